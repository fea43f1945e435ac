// What a conftest.py tells collection, read statically: the parts pytest would only know at
// run time (collection hooks) are reported so the workspace can flag the folder dynamic.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <tree_sitter/api.h>

#include "server/discovery/collect_rules.h"
#include "server/discovery/generate_tests_hook.h"

namespace fastest {

struct ConftestInfo {
  // Collection hooks it defines (pytest_collect_file, pytest_collection_modifyitems, ...).
  std::vector<std::string> collection_hooks;
  // A pytest_collection_modifyitems read as harmless unless one of these options is given
  // (then it counts as a collection hook).
  std::vector<std::string> modifyitems_unless_given;
  // A hook read as harmless adds marks (pytest_itemcollected is taken to): under `-m`/`-k`
  // they select, so it counts as a collection hook then.
  bool hooks_add_marks = false;
  // Literal `collect_ignore` / `collect_ignore_glob` entries (relative to the conftest's folder).
  std::vector<std::string> collect_ignore;
  std::vector<std::string> collect_ignore_glob;
  // True when either list is built at run time (appended to, computed, conditional).
  bool collect_ignore_dynamic = false;
  // Its pytest_generate_tests, when of the shape read statically (it is in collection_hooks
  // otherwise); `where` is left for the caller.
  std::shared_ptr<GenerateTestsHook> generate_tests;
  // The fixtures it defines (those reaching `params=` multiply their requesters at run time).
  std::vector<FixtureDecl> fixtures;
  // Modules it imports unconditionally, absolute and dotted (`a.b`; `a.b.c` too for
  // `from a.b import c`, which may be a submodule): one that cannot be imported fails pytest's
  // collection.
  std::vector<std::string> imports;
  // `pytest_plugins = [...]` entries.
  std::vector<std::string> pytest_plugins;
};

// `rules`: what pytest's ids depend on (version, escaping), for the fixtures' params, and the
// interpreter's facts (`rules.python`), deciding `if sys.version_info ...` around collect_ignore.
// `module_path` (rootdir-relative, as discover_module's): given with `rules.modules` or
// `rules.library`, names the conftest imports are read where they come from.
ConftestInfo analyze_conftest(const TSTree* tree, std::string_view source, const CollectRules& rules = {},
                              std::string_view module_path = {});

}  // namespace fastest
