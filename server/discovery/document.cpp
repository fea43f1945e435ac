#include "server/discovery/document.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <unordered_map>

namespace fastest {

Document::Document(std::string module_path, std::string text, CollectRules rules)
    : module_path_(std::move(module_path)), text_(std::move(text)), rules_(std::move(rules)),
      parser_(make_python_parser()) {
  tree_ = parse_python(parser_.get(), text_);
  result_ = discover_module(tree_.get(), text_, module_path_, rules_);
}

namespace {

// The innermost function_definition whose body contains byte `at` (start < at <= end).
TSNode function_with_body_at(TSNode root, uint32_t at) {
  // Probe the byte before `at`: an insertion right after a body's last character is in it.
  uint32_t probe = at > 0 ? at - 1 : at;
  TSNode node = ts_node_descendant_for_byte_range(root, probe, probe);
  while (!ts_node_is_null(node)) {
    if (std::strcmp(ts_node_type(node), "function_definition") == 0) {
      TSNode body = ts_node_child_by_field_name(node, "body", 4);
      if (!ts_node_is_null(body) && ts_node_start_byte(body) < at && at <= ts_node_end_byte(body)) return node;
    }
    node = ts_node_parent(node);
  }
  return TSNode{};
}

Point shifted(Point p, TSPoint old_end, TSPoint new_end) {
  if (p.line < old_end.row || (p.line == old_end.row && p.column < old_end.column)) return p;
  Point out = p;
  out.line = p.line - old_end.row + new_end.row;
  if (p.line == old_end.row) out.column = p.column - old_end.column + new_end.column;
  return out;
}

}  // namespace

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
  if (!tree_) {
    text_ = std::move(updated);
    tree_ = parse_python(parser_.get(), text_);
    return recompute();
  }
  // Fast path: an edit inside one function's body cannot change any test item (bodies hold
  // no collectable definitions); items only move. tree-sitter's changed ranges prove that
  // the edit left the structure outside that function alone.
  TSNode old_function = function_with_body_at(ts_tree_root_node(tree_.get()), start_byte);
  // Whatever the edit spans, the changed-ranges check below proves the structure held.
  bool inside_body = !ts_node_is_null(old_function);
  uint32_t function_start = inside_body ? ts_node_start_byte(old_function) : 0;

  TSInputEdit edit = make_input_edit(text_, updated, start_byte, old_end_byte, new_end_byte);
  ts_tree_edit(tree_.get(), &edit);
  TreePtr next = reparse_python(parser_.get(), tree_.get(), updated);
  text_ = std::move(updated);
  if (!next) {
    tree_ = parse_python(parser_.get(), text_);
    return recompute();
  }
  bool fast = false;
  if (inside_body) {
    TSNode new_function = function_with_body_at(ts_tree_root_node(next.get()), start_byte);
    if (!ts_node_is_null(new_function) && ts_node_start_byte(new_function) == function_start) {
      uint32_t count = 0;
      TSRange* changed = ts_tree_get_changed_ranges(tree_.get(), next.get(), &count);
      fast = true;
      // A changed range may spill past the function only over blank space (a new empty line).
      auto blank = [this](uint32_t from, uint32_t to) {
        for (uint32_t b = from; b < to && b < text_.size(); ++b)
          if (text_[b] != ' ' && text_[b] != '\t' && text_[b] != '\n' && text_[b] != '\r') return false;
        return true;
      };
      uint32_t function_end = ts_node_end_byte(new_function);
      for (uint32_t i = 0; i < count; ++i) {
        if (changed[i].start_byte < function_start && !blank(changed[i].start_byte, function_start)) fast = false;
        if (changed[i].end_byte > function_end && !blank(function_end, changed[i].end_byte)) fast = false;
      }
      free(changed);
    }
  }
  tree_ = std::move(next);
  if (!fast) return recompute();

  ItemDelta delta;
  TSNode root = ts_tree_root_node(tree_.get());
  for (TestItem& item : result_.items) {
    Range range{shifted(item.range.start, edit.old_end_point, edit.new_end_point),
                shifted(item.range.end, edit.old_end_point, edit.new_end_point)};
    Range name{shifted(item.name_range.start, edit.old_end_point, edit.new_end_point),
               shifted(item.name_range.end, edit.old_end_point, edit.new_end_point)};
    if (item.kind == ItemKind::Module) range = Range{{0, 0}, {ts_node_end_point(root).row, ts_node_end_point(root).column}};
    if (range != item.range || name != item.name_range) {
      item.range = range;
      item.name_range = name;
      delta.changed.push_back(item.id);
    }
  }
  std::vector<Diagnostic> diagnostics = syntax_errors(root, module_path_);
  delta.diagnostics_changed = diagnostics != result_.diagnostics;
  result_.diagnostics = std::move(diagnostics);
  result_.has_syntax_error = ts_node_has_error(root);
  return delta;
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
