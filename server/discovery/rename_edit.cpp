#include "server/discovery/rename_edit.h"

#include "server/discovery/module_scope.h"
#include "server/discovery/ts_util.h"

namespace fastest {

namespace {

// Bytes of UTF-8 sequences count as identifier characters: Python allows non-ASCII names.
bool identifier_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  return (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || u == '_' || u >= 0x80;
}

bool plain_identifier(std::string_view name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  for (char c : name)
    if (!identifier_char(c)) return false;
  return true;
}

bool special_name(std::string_view name) {
  return name.rfind("pytest", 0) == 0 || name.rfind("__", 0) == 0;
}

bool is_definition(TSNode node) {
  return ts::is(node, "function_definition") || ts::is(node, "class_definition");
}

// The definition's name node holding bytes [start, end], or null.
TSNode definition_name_at(TSNode root, uint32_t start, uint32_t end) {
  TSNode node = ts_node_descendant_for_byte_range(root, start, end);
  // An insertion right after a name lands on what follows it (`(`, `:`): look just before.
  if (!ts::is(node, "identifier") && start > 0) node = ts_node_descendant_for_byte_range(root, start - 1, start - 1);
  if (!ts::is(node, "identifier")) return TSNode{};
  if (ts_node_start_byte(node) > start || ts_node_end_byte(node) < end) return TSNode{};
  TSNode parent = ts_node_parent(node);
  if (!is_definition(parent) || !ts_node_eq(ts::field(parent, "name"), node)) return TSNode{};
  return node;
}

bool has_fixture_decorator(TSNode statement, std::string_view text) {
  if (!ts::is(statement, "decorated_definition")) return false;
  for (TSNode child : ts::named_children(statement))
    if (ts::is(child, "decorator") && ts_node_named_child_count(child) > 0 &&
        is_fixture_decorator(ts_node_named_child(child, 0), text))
      return true;
  return false;
}

}  // namespace

bool identifier_occurs_outside(std::string_view text, std::string_view word, uint32_t skip_from, uint32_t skip_to) {
  if (word.empty()) return false;
  for (size_t at = text.find(word); at != std::string_view::npos; at = text.find(word, at + 1)) {
    const size_t end = at + word.size();
    if (at > 0 && identifier_char(text[at - 1])) continue;
    if (end < text.size() && identifier_char(text[end])) continue;
    if (at >= skip_from && end <= skip_to) continue;
    return true;
  }
  return false;
}

std::optional<RenameEdit> find_rename_edit(const TSTree* tree, std::string_view text, uint32_t start_byte,
                                           uint32_t old_end_byte, std::string_view new_text) {
  if (!tree) return std::nullopt;
  for (char c : new_text)
    if (!identifier_char(c)) return std::nullopt;
  TSNode root = ts_tree_root_node(tree);
  TSNode name = definition_name_at(root, start_byte, old_end_byte);
  if (ts_node_is_null(name)) return std::nullopt;

  const uint32_t name_start = ts_node_start_byte(name);
  const std::string_view old_name = ts::text(name, text);
  std::string new_name(old_name.substr(0, start_byte - name_start));
  new_name.append(new_text);
  new_name.append(old_name.substr(old_end_byte - name_start));
  if (!plain_identifier(new_name) || new_name == old_name) return std::nullopt;

  TSNode statement = name;
  while (!ts_node_is_null(ts_node_parent(statement)) && !ts_node_eq(ts_node_parent(statement), root))
    statement = ts_node_parent(statement);
  TSNode definition = ts::is(statement, "decorated_definition") ? ts::field(statement, "definition") : statement;
  if (!is_definition(definition) || has_fixture_decorator(statement, text)) return std::nullopt;

  RenameEdit rename;
  rename.statement_start = ts_node_start_byte(statement);
  rename.statement_end = ts_node_end_byte(statement);
  rename.statement_row = ts_node_start_point(statement).row;
  rename.entry_before = std::string(ts::text(ts::field(definition, "name"), text));
  const bool renames_statement = ts_node_eq(ts::field(definition, "name"), name);
  rename.entry_after = renames_statement ? new_name : rename.entry_before;
  // A def inside a class body binds in that class alone: only the class's own name can lead
  // elsewhere to it (a subclass, an alias, `TestA.test_x`). A module-level rename changes the
  // module's namespace: the old and the new name must be free everywhere else.
  if (renames_statement) {
    for (std::string_view word : {old_name, std::string_view(new_name)})
      if (special_name(word) || identifier_occurs_outside(text, word, rename.statement_start, rename.statement_end))
        return std::nullopt;
  } else if (identifier_occurs_outside(text, rename.entry_before, rename.statement_start, rename.statement_end)) {
    return std::nullopt;
  }
  return rename;
}

}  // namespace fastest
