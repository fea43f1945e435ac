#include "server/discovery/module_imports.h"

#include "server/discovery/ts_util.h"

namespace fastest {
namespace {

std::string first_component(std::string_view dotted) {
  size_t dot = dotted.find('.');
  std::string_view head = dotted.substr(0, dot);
  // tree-sitter keeps the spelling: drop any whitespace around the dots (`import a . b`).
  std::string out;
  for (char c : head)
    if (c != ' ' && c != '\t' && c != '\\' && c != '\n' && c != '\r') out += c;
  return out;
}

bool is_identifier_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
         static_cast<unsigned char>(c) >= 0x80;
}

// Whether an except clause may catch a failed import. Only handlers naming exception classes
// that are plainly not ImportError or one of its bases (`except KeyError:`) are proved not to.
bool may_catch_import_error(TSNode clause, std::string_view source) {
  std::string_view types;
  for (TSNode child : ts::named_children(clause)) {
    if (ts::is(child, "block") || ts::is(child, "comment")) continue;
    if (ts::is(child, "as_pattern")) child = ts_node_named_child(child, 0);
    types = ts::text(child, source);
    break;  // the first named child is the type expression (the `as` name follows it)
  }
  if (types.empty()) return true;  // bare `except:`
  size_t i = 0;
  bool any = false;
  while (i < types.size()) {
    if (!is_identifier_char(types[i])) { ++i; continue; }
    size_t start = i;
    while (i < types.size() && is_identifier_char(types[i])) ++i;
    std::string_view word = types.substr(start, i - start);
    if (word == "as") break;  // `except (A, B) as e` when the grammar keeps it flat
    size_t dot = word.rfind('.');
    std::string_view leaf = dot == std::string_view::npos ? word : word.substr(dot + 1);
    if (leaf == "ImportError" || leaf == "ModuleNotFoundError" || leaf == "Exception" || leaf == "BaseException")
      return true;
    // Anything but an exception class name (an alias, a computed tuple) may be ImportError.
    auto ends_with = [&](std::string_view s) {
      return leaf.size() >= s.size() && leaf.compare(leaf.size() - s.size(), s.size(), s) == 0;
    };
    if (!ends_with("Error") && !ends_with("Warning") && !ends_with("Exit") && !ends_with("Interrupt") &&
        !ends_with("Iteration"))
      return true;
    any = true;
  }
  return !any;
}

bool falls_back(TSNode clause, std::string_view source);

// Whether a block's statements only bind names (assignments, imports, definitions) or pass; a
// nested `try` counts when its own body does and a handler catching ImportError falls back
// (`except ImportError: try: from gmpy import mpz except ImportError: mpz = None`).
bool binds_only(TSNode block, std::string_view source) {
  if (ts_node_is_null(block)) return false;
  std::vector<TSNode> statements = ts::named_children(block);
  if (statements.empty()) return false;
  for (TSNode stmt : statements) {
    if (ts::is(stmt, "pass_statement") || ts::is(stmt, "import_statement") ||
        ts::is(stmt, "import_from_statement") || ts::is(stmt, "function_definition") ||
        ts::is(stmt, "class_definition") || ts::is(stmt, "decorated_definition") ||
        ts::is(stmt, "global_statement") || ts::is(stmt, "comment"))
      continue;
    if (ts::is(stmt, "expression_statement")) {
      bool binding = true;
      for (TSNode expr : ts::named_children(stmt))
        binding &= ts::is(expr, "assignment") || ts::is(expr, "augmented_assignment") ||
                   ts::is(expr, "string") || ts::is(expr, "ellipsis");
      if (binding) continue;
    }
    if (ts::is(stmt, "try_statement") && binds_only(ts::field(stmt, "body"), source)) {
      bool handled = false;
      for (TSNode child : ts::named_children(stmt))
        if (ts::is(child, "except_clause") || ts::is(child, "except_group_clause"))
          handled |= may_catch_import_error(child, source) && falls_back(child, source);
      if (handled) continue;
    }
    return false;
  }
  return true;
}

// Whether a handler visibly falls back, so that the module goes on without the import: its
// statements only bind names (assignments, imports, definitions, a nested guarded `try`) or
// pass, and it does not end in `raise`. Anything else (a re-raise, a helper that may raise, a
// branch) may fail the import as if unguarded.
bool falls_back(TSNode clause, std::string_view source) {
  TSNode block{};
  for (TSNode child : ts::named_children(clause))
    if (ts::is(child, "block")) block = child;
  return binds_only(block, source);
}

void scan_block(TSNode block, std::string_view source, std::vector<UnconditionalImport>& out) {
  for (TSNode stmt : ts::named_children(block)) {
    uint32_t line = ts_node_start_point(stmt).row + 1;
    if (ts::is(stmt, "import_statement") || ts::is(stmt, "import_from_statement")) {
      std::vector<ImportStatement> read;
      read_import_statement(stmt, source, read);
      for (ImportStatement& s : read) out.push_back({std::move(s), line});
    } else if (ts::is(stmt, "try_statement")) {
      bool guarded = false;
      for (TSNode child : ts::named_children(stmt))
        if ((ts::is(child, "except_clause") || ts::is(child, "except_group_clause")) &&
            may_catch_import_error(child, source) && falls_back(child, source))
          guarded = true;
      if (!guarded) scan_block(ts::field(stmt, "body"), source, out);
    }
  }
}

}  // namespace

std::vector<UnconditionalImport> unconditional_import_statements(TSNode root, std::string_view source) {
  std::vector<UnconditionalImport> out;
  scan_block(root, source, out);
  return out;
}

std::vector<TopLevelImport> unconditional_imports(TSNode root, std::string_view source) {
  std::vector<TopLevelImport> out;
  for (const UnconditionalImport& u : unconditional_import_statements(root, source))
    if (u.statement.level == 0) out.push_back({first_component(u.statement.module), u.line});
  return out;
}

}  // namespace fastest
