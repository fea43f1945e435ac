// What a conftest.py tells collection, read statically: the parts pytest would only know at
// run time (collection hooks) are reported so the workspace can flag the folder dynamic.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <tree_sitter/api.h>

#include "server/discovery/collect_rules.h"

namespace fastest {

struct ConftestInfo {
  // Collection hooks it defines (pytest_collect_file, pytest_collection_modifyitems, ...).
  std::vector<std::string> collection_hooks;
  // Literal `collect_ignore` / `collect_ignore_glob` entries (relative to the conftest's folder).
  std::vector<std::string> collect_ignore;
  std::vector<std::string> collect_ignore_glob;
  // True when either list is built at run time (appended to, computed, conditional).
  bool collect_ignore_dynamic = false;
  // The fixtures it defines (those reaching `params=` multiply their requesters at run time).
  std::vector<FixtureDecl> fixtures;
  // `pytest_plugins = [...]` entries.
  std::vector<std::string> pytest_plugins;
};

// `python`: the interpreter's facts, deciding `if sys.version_info ...` around collect_ignore.
ConftestInfo analyze_conftest(const TSTree* tree, std::string_view source, const PythonFacts* python = nullptr);

}  // namespace fastest
