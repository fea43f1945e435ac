#include "server/discovery/document.h"

#include <algorithm>
#include <unordered_map>

namespace fastest {

Document::Document(std::string module_path, std::string text, CollectRules rules)
    : module_path_(std::move(module_path)), text_(std::move(text)), rules_(std::move(rules)),
      parser_(make_python_parser()) {
  tree_ = parse_python(parser_.get(), text_);
  result_ = discover_module(tree_.get(), text_, module_path_, rules_);
}

ItemDelta Document::apply_edit(uint32_t start_byte, uint32_t old_end_byte, std::string_view new_text) {
  const uint32_t size = static_cast<uint32_t>(text_.size());
  start_byte = std::min(start_byte, size);
  old_end_byte = std::clamp(old_end_byte, start_byte, size);
  std::string updated;
  updated.reserve(text_.size() - (old_end_byte - start_byte) + new_text.size());
  updated.append(text_, 0, start_byte);
  updated.append(new_text);
  updated.append(text_, old_end_byte, std::string::npos);
  const uint32_t new_end_byte = start_byte + static_cast<uint32_t>(new_text.size());
  if (tree_) {
    TSInputEdit edit = make_input_edit(text_, updated, start_byte, old_end_byte, new_end_byte);
    ts_tree_edit(tree_.get(), &edit);
    tree_ = reparse_python(parser_.get(), tree_.get(), updated);
  } else {
    tree_ = parse_python(parser_.get(), updated);
  }
  text_ = std::move(updated);
  return recompute();
}

ItemDelta Document::replace_text(std::string text) {
  text_ = std::move(text);
  tree_ = parse_python(parser_.get(), text_);
  return recompute();
}

ItemDelta Document::set_rules(CollectRules rules) {
  rules_ = std::move(rules);
  return recompute();
}

ItemDelta Document::recompute() {
  ModuleResult next = discover_module(tree_.get(), text_, module_path_, rules_);
  ItemDelta delta = diff_items(result_.items, next.items);
  delta.diagnostics_changed = next.diagnostics != result_.diagnostics;
  result_ = std::move(next);
  return delta;
}

ItemDelta diff_items(const std::vector<TestItem>& before, const std::vector<TestItem>& after) {
  ItemDelta delta;
  std::unordered_map<std::string_view, const TestItem*> old_by_id;
  old_by_id.reserve(before.size());
  for (const TestItem& item : before) old_by_id.emplace(item.id, &item);
  std::unordered_map<std::string_view, bool> seen;
  seen.reserve(after.size());
  for (const TestItem& item : after) {
    seen.emplace(item.id, true);
    auto it = old_by_id.find(item.id);
    if (it == old_by_id.end()) delta.added.push_back(item.id);
    else if (!(*it->second == item)) delta.changed.push_back(item.id);
  }
  for (const TestItem& item : before)
    if (!seen.count(item.id)) delta.removed.push_back(item.id);
  return delta;
}

}  // namespace fastest
