// Reading a conftest's collection hook to tell whether it can change which ids pytest
// collects. `pytest_collection_modifyitems` is harmless when its body only adds marks (to
// skip, xfail or label items) and reads values, or when everything else it does sits behind an
// option of the conftest's own `pytest_addoption` whose default makes the guard false and that
// is not given (ini addopts, PYTEST_ADDOPTS, the command line). Anything not understood counts
// as changing the ids: pytest settles them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <tree_sitter/api.h>

#include "server/discovery/module_scope.h"

namespace fastest {

// An option a `pytest_addoption` registers (`parser.addoption` / `group.addoption`).
struct RegisteredOption {
  std::vector<std::string> flags;  // "--split", "-s"
  std::string dest;                // "split"
  bool default_is_false = false;   // the default (explicit or argparse's) is falsy
};

std::vector<RegisteredOption> registered_options(TSNode root, std::string_view source);

struct HookReading {
  bool harmless = false;
  // The flags of the options whose defaults make it harmless: given, the hook may act.
  std::vector<std::string> unless_given;
  // It adds marks: ids stay, but `-m`/`-k` select by them.
  bool adds_marks = false;
};

// `hook`: the function_definition of pytest_collection_modifyitems; `module`: the conftest's
// scope (module-level helpers it calls are read too).
HookReading read_modifyitems(TSNode hook, const Scope& module, std::string_view source,
                             const std::vector<RegisteredOption>& options);

// Whether one of `flags` is among the given command-line tokens (`--split 1/2`, `--split=1/2`,
// `-s`, `-sv`).
bool option_given(const std::vector<std::string>& flags, const std::vector<std::string>& tokens);

}  // namespace fastest
