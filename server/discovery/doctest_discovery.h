// pytest's doctest plugin, statically: the DoctestItems of a DoctestModule (--doctest-modules)
// and of a DoctestTextfile (--doctest-glob). Pure: text (and tree) in, items out; no I/O.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <tree_sitter/api.h>

#include "server/core/model.h"

namespace fastest {

struct DoctestResult {
  // The DoctestItems (kind Function, label = the DocTest name), in DocTestFinder's order
  // (sorted by name). Their parent is the file's Module item, whose id is `file_path`.
  std::vector<TestItem> items;
  // Set when the file's doctests depend on run-time facts (conditional definitions, computed
  // docstrings, aliases, unknown decorators, malformed examples): a real collection settles them.
  bool dynamic = false;
  std::string dynamic_reason;
};

// DocTestFinder.find(module, import_name) over a module's syntax tree. `file_path` is the file
// relative to rootdir ("pkg/mod.py"); `import_name` is the module's __name__ under pytest's
// import mode ("pkg.mod"), which prefixes every DocTest name.
DoctestResult discover_doctests(const TSTree* tree, std::string_view source, std::string_view file_path,
                                std::string_view import_name);

// DoctestTextfile: one item named after the file when the text holds examples.
DoctestResult discover_doctest_text(std::string_view text, std::string_view file_path);

// pytest's _is_setup_py: a `setup.py` that mentions setuptools or distutils is not imported.
bool is_setuptools_script(std::string_view source);

}  // namespace fastest
