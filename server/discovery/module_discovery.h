// The pure heart of discovery: (syntax tree, source, rules) -> test items of one module.
// No I/O, never throws: a broken file yields what can be read plus diagnostics.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <tree_sitter/api.h>

#include "server/core/model.h"
#include "server/discovery/collect_rules.h"

namespace fastest {

struct ModuleResult {
  // Pre-order, in pytest's collection order: the Module item first, then classes,
  // functions and cases as pytest would collect them.
  std::vector<TestItem> items;
  std::vector<Diagnostic> diagnostics;
};

// module_path: the file's path relative to rootdir, '/'-separated ("tests/test_a.py").
// It is the node-id prefix of every item and becomes the Module item's id.
ModuleResult discover_module(const TSTree* tree, std::string_view source,
                             std::string_view module_path, const CollectRules& rules);

// The tree-sitter-python language (compiled from the pinned grammar).
extern "C" const TSLanguage* tree_sitter_python();

}  // namespace fastest
