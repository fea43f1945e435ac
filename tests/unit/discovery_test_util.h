// Helpers for discovery unit tests: parse a snippet, list leaf ids.
#pragma once

#include <string>
#include <vector>

#include "server/discovery/module_discovery.h"
#include "server/discovery/syntax_tree.h"

namespace fastest::test {

inline ModuleResult discover_snippet(const std::string& source, CollectRules rules = {}) {
  auto parser = make_python_parser();
  auto tree = parse_python(parser.get(), source);
  return discover_module(tree.get(), source, "test_m.py", rules);
}

// Runnable ids: cases, and functions that have no cases.
inline std::vector<std::string> leaf_ids(const ModuleResult& result) {
  std::vector<std::string> out;
  for (const auto& item : result.items) {
    if (item.kind == ItemKind::Case) { out.push_back(item.id); continue; }
    if (item.kind != ItemKind::Function) continue;
    bool has_cases = false;
    for (const auto& other : result.items) has_cases |= other.parent_id() == item.id && other.kind == ItemKind::Case;
    if (!has_cases) out.push_back(item.id);
  }
  return out;
}

inline std::vector<std::string> ids_of(const std::string& source, CollectRules rules = {}) {
  return leaf_ids(discover_snippet(source, rules));
}

inline const TestItem* find_item(const ModuleResult& r, const std::string& id) {
  for (const auto& item : r.items) if (item.id == id) return &item;
  return nullptr;
}

}  // namespace fastest::test
