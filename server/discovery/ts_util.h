// Small read-only helpers over tree-sitter nodes, shared by the discovery rules.
#pragma once

#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include <tree_sitter/api.h>

#include "server/core/model.h"

namespace fastest::ts {

inline bool is(TSNode node, const char* type) {
  return !ts_node_is_null(node) && std::strcmp(ts_node_type(node), type) == 0;
}

inline std::string_view text(TSNode node, std::string_view source) {
  if (ts_node_is_null(node)) return {};
  uint32_t start = ts_node_start_byte(node), end = ts_node_end_byte(node);
  if (start > source.size() || end > source.size() || end < start) return {};
  return source.substr(start, end - start);
}

// Field ids are looked up once: ts_node_child_by_field_name compares names on every call.
TSFieldId field_id(const char* name);

inline TSNode field(TSNode node, const char* name) {
  if (ts_node_is_null(node)) return node;
  return ts_node_child_by_field_id(node, field_id(name));
}

// Named children except comments, walked with a cursor (ts_node_named_child(i) is O(i)).
inline std::vector<TSNode> named_children(TSNode node) {
  std::vector<TSNode> out;
  if (ts_node_is_null(node)) return out;
  TSTreeCursor cursor = ts_tree_cursor_new(node);
  if (ts_tree_cursor_goto_first_child(&cursor)) {
    do {
      TSNode child = ts_tree_cursor_current_node(&cursor);
      if (ts_node_is_named(child) && !is(child, "comment")) out.push_back(child);
    } while (ts_tree_cursor_goto_next_sibling(&cursor));
  }
  ts_tree_cursor_delete(&cursor);
  return out;
}

inline Range range_of(TSNode node) {
  TSPoint s = ts_node_start_point(node), e = ts_node_end_point(node);
  return Range{{s.row, s.column}, {e.row, e.column}};
}

// Strips parentheses: `((x))` -> `x`.
inline TSNode unparen(TSNode node) {
  while (is(node, "parenthesized_expression") && ts_node_named_child_count(node) == 1)
    node = ts_node_named_child(node, 0);
  return node;
}

}  // namespace fastest::ts
