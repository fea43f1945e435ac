#include "server/discovery/computed_bindings.h"

#include <array>
#include <cctype>
#include <vector>

#include "server/discovery/source_search.h"
#include "server/discovery/ts_util.h"

namespace fastest {
namespace {

// Values that are never callable, whatever they hold.
bool is_non_callable_literal(TSNode value) {
  value = ts::unparen(value);
  static constexpr std::array<const char*, 16> kTypes = {
      "string",          "concatenated_string", "integer",          "float",
      "true",            "false",               "none",             "list",
      "tuple",           "dictionary",          "set",              "list_comprehension",
      "set_comprehension", "dictionary_comprehension", "generator_expression", "ellipsis"};
  for (const char* type : kTypes)
    if (ts::is(value, type)) return true;
  if (ts::is(value, "unary_operator")) return is_non_callable_literal(ts::field(value, "argument"));
  return false;
}

// The calls that write a namespace by name. Searched in the whole text: a helper defined in the
// module and called at import time writes the module's globals from its body.
constexpr std::array<std::string_view, 6> kNamespaceWriters = {
    "globals()", "locals()[", "vars()[", "sys.modules[__name__]", "setattr(", "exec("};

// `unittest.TestLoader().loadTestsFromModule(sys.modules[__name__])`: the old unittest idiom
// building a suite reads the module, it writes nothing.
bool read_by_unittest_loader(std::string_view source, size_t at) {
  size_t end = at;
  while (end > 0 && (source[end - 1] == ' ' || source[end - 1] == '\t')) --end;
  constexpr std::string_view kLoader = "loadTestsFromModule(";
  return end >= kLoader.size() && source.substr(end - kLoader.size(), kLoader.size()) == kLoader;
}

// `"name" in globals()`, `globals().get("name")`: reading the module's names writes none.
bool globals_read_only(TSNode root, std::string_view source, size_t at) {
  if (ts_node_is_null(root)) return false;
  TSNode call = ts_node_descendant_for_byte_range(root, static_cast<uint32_t>(at), static_cast<uint32_t>(at));
  while (!ts_node_is_null(call) && !ts::is(call, "call")) call = ts_node_parent(call);
  if (ts_node_is_null(call) || ts_node_start_byte(call) != at) return false;
  TSNode parent = ts_node_parent(call);
  if (ts::is(parent, "comparison_operator")) {
    // The right operand of `in` / `not in`: membership only.
    std::vector<TSNode> operands = ts::named_children(parent);
    if (operands.size() != 2 || !ts_node_eq(operands[1], call)) return false;
    std::string_view between = source.substr(ts_node_end_byte(operands[0]), at - ts_node_end_byte(operands[0]));
    while (!between.empty() && std::isspace(static_cast<unsigned char>(between.front()))) between.remove_prefix(1);
    while (!between.empty() && std::isspace(static_cast<unsigned char>(between.back()))) between.remove_suffix(1);
    return between == "in" || between == "not in";
  }
  // `globals().get(...)`, `.keys()`, `.items()`, `.values()`, `.copy()`: calls that only read.
  if (ts::is(parent, "attribute") && ts::is(ts_node_parent(parent), "call")) {
    const std::string_view method = ts::text(ts::field(parent, "attribute"), source);
    return method == "get" || method == "keys" || method == "items" || method == "values" || method == "copy";
  }
  return false;
}

// The identifiers a target (`a`, `a, b`, `(a, [b])`) binds.
void target_names(TSNode target, std::string_view source, std::vector<std::string>& out) {
  target = ts::unparen(target);
  if (ts::is(target, "identifier")) {
    out.emplace_back(ts::text(target, source));
    return;
  }
  for (TSNode element : ts::named_children(target)) target_names(element, source, out);
}

// Statements that run at import time and may bind names: a block's statements, and those of
// the blocks of compound statements (not function or class bodies).
void loop_targets(TSNode block, std::string_view source, std::vector<std::string>& out, int depth) {
  if (depth > 32) return;
  for (TSNode stmt : ts::named_children(block)) {
    if (ts::is(stmt, "function_definition") || ts::is(stmt, "class_definition") ||
        ts::is(stmt, "decorated_definition"))
      continue;
    if (ts::is(stmt, "for_statement")) target_names(ts::field(stmt, "left"), source, out);
    if (ts::is(stmt, "with_statement")) {
      for (TSNode clause : ts::named_children(stmt))
        if (ts::is(clause, "with_clause"))
          for (TSNode item : ts::named_children(clause)) {
            TSNode value = ts::field(item, "value");
            if (ts::is(value, "as_pattern"))
              for (TSNode child : ts::named_children(value))
                if (ts::is(child, "as_pattern_target")) target_names(child, source, out);
          }
    }
    for (TSNode child : ts::named_children(stmt)) {
      if (ts::is(child, "block")) loop_targets(child, source, out, depth + 1);
      else if (ts::is(child, "else_clause") || ts::is(child, "elif_clause") || ts::is(child, "except_clause") ||
               ts::is(child, "finally_clause"))
        for (TSNode inner : ts::named_children(child))
          if (ts::is(inner, "block")) loop_targets(inner, source, out, depth + 1);
    }
  }
}

}  // namespace

std::optional<std::string> loop_bound_test_name(TSNode root, std::string_view source,
                                                const TestNamePredicate& collectable) {
  std::vector<std::string> names;
  loop_targets(root, source, names, 0);
  for (const std::string& name : names)
    if (collectable(name))
      return "binds `" + name + "` as a loop or `with` target: pytest collects it if it holds a test";
  return std::nullopt;
}

std::optional<std::string> computed_test_binding(const Scope& scope, std::string_view source,
                                                 const TestNamePredicate& collectable) {
  for (const std::string& name : scope.order) {
    const Binding& b = scope.bindings.at(name);
    if (b.kind != Binding::Kind::Assignment || !collectable(name)) continue;
    if (!ts_node_is_null(b.value) && is_non_callable_literal(b.value)) continue;
    std::string what = ts_node_is_null(b.value) ? "an unpacked value" : "`" + std::string(ts::text(b.value, source)) + "`";
    if (what.size() > 80) what = what.substr(0, 76) + "...`";
    return "binds `" + name + "` to " + what + ", not a def or class: pytest collects it if it holds a test";
  }
  return std::nullopt;
}

// Whether the byte at `at` lies in the body of a function whose name pytest collects (or of a
// function nested in one).
bool inside_test_function(TSNode root, std::string_view source, size_t at, const TestNamePredicate& collectable) {
  TSNode node = ts_node_descendant_for_byte_range(root, static_cast<uint32_t>(at), static_cast<uint32_t>(at));
  for (; !ts_node_is_null(node); node = ts_node_parent(node))
    if (ts::is(node, "function_definition") && collectable(ts::text(ts::field(node, "name"), source))) return true;
  return false;
}

std::optional<std::string> namespace_written_by_code(std::string_view source, TSNode root,
                                                     const TestNamePredicate& collectable, const SourceKeywords* keywords) {
  for (std::string_view writer : kNamespaceWriters) {
    if (!source_contains(source, writer, keywords)) continue;
    for (size_t at = find_in_source(source, writer); at != std::string_view::npos; at = find_in_source(source, writer, at + 1)) {
      // `xsetattr(` or `obj.exec(` is another function.
      if (at > 0) {
        char before = source[at - 1];
        if (before == '_' || before == '.' || std::isalnum(static_cast<unsigned char>(before))) continue;
      }
      if (writer == "sys.modules[__name__]" && read_by_unittest_loader(source, at)) continue;
      if (writer == "globals()" && globals_read_only(root, source, at)) continue;
      if (!ts_node_is_null(root) && collectable && inside_test_function(root, source, at, collectable)) continue;
      size_t line = 1;
      for (size_t i = 0; i < at; ++i) line += source[i] == '\n';
      return "uses `" + std::string(writer) + "` at line " + std::to_string(line) +
             ": code may add tests to the module's namespace";
    }
  }
  return std::nullopt;
}

}  // namespace fastest
