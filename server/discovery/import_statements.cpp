#include "server/discovery/import_statements.h"

#include "server/discovery/ts_util.h"

namespace fastest {
namespace {

// A dotted name without the spaces, backslashes and newlines tree-sitter keeps (`a . b`).
std::string dotted(TSNode node, std::string_view source) {
  std::string out;
  for (char c : ts::text(node, source))
    if (c != ' ' && c != '\t' && c != '\\' && c != '\n' && c != '\r' && c != '(' && c != ')') out += c;
  return out;
}

// `a.b` or `a.b as c` → "a.b".
std::string imported_name(TSNode node, std::string_view source) {
  if (ts::is(node, "aliased_import")) return dotted(ts::field(node, "name"), source);
  return dotted(node, source);
}

void read_import(TSNode node, std::string_view source, std::vector<ImportStatement>& out) {
  for (TSNode child : ts::named_children(node)) {
    if (!ts::is(child, "dotted_name") && !ts::is(child, "aliased_import")) continue;
    ImportStatement s;
    s.module = imported_name(child, source);
    if (!s.module.empty()) out.push_back(std::move(s));
  }
}

void read_from_import(TSNode node, std::string_view source, std::vector<ImportStatement>& out) {
  ImportStatement s;
  TSNode module = ts::field(node, "module_name");
  if (ts::is(module, "relative_import")) {
    for (TSNode part : ts::named_children(module)) {
      if (ts::is(part, "import_prefix")) {
        for (char c : ts::text(part, source)) s.level += c == '.';
      } else if (ts::is(part, "dotted_name")) {
        s.module = dotted(part, source);
      }
    }
  } else {
    s.module = dotted(module, source);
  }
  for (TSNode child : ts::named_children(node)) {
    if (ts_node_eq(child, module)) continue;
    if (ts::is(child, "dotted_name") || ts::is(child, "aliased_import")) {
      std::string name = imported_name(child, source);
      if (!name.empty()) s.names.push_back(std::move(name));
    }
  }
  if (s.level > 0 || !s.module.empty()) out.push_back(std::move(s));
}

}  // namespace

void read_import_statement(TSNode statement, std::string_view source, std::vector<ImportStatement>& out) {
  if (ts::is(statement, "import_statement")) read_import(statement, source, out);
  else if (ts::is(statement, "import_from_statement")) read_from_import(statement, source, out);
}

std::vector<ImportStatement> import_statements(TSNode root, std::string_view source) {
  std::vector<ImportStatement> out;
  if (ts_node_is_null(root)) return out;
  // Depth-first with a cursor: imports may sit in any block.
  TSTreeCursor cursor = ts_tree_cursor_new(root);
  bool done = false;
  while (!done) {
    TSNode node = ts_tree_cursor_current_node(&cursor);
    bool descend = true;
    if (ts::is(node, "import_statement")) {
      read_import(node, source, out);
      descend = false;
    } else if (ts::is(node, "import_from_statement")) {
      read_from_import(node, source, out);
      descend = false;
    } else if (ts::is(node, "string") || ts::is(node, "comment")) {
      descend = false;
    }
    if (descend && ts_tree_cursor_goto_first_child(&cursor)) continue;
    while (!ts_tree_cursor_goto_next_sibling(&cursor)) {
      if (!ts_tree_cursor_goto_parent(&cursor)) { done = true; break; }
    }
  }
  ts_tree_cursor_delete(&cursor);
  return out;
}

}  // namespace fastest
