#include "server/discovery/computed_bindings.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <map>
#include <set>
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

// The identifiers `node` reads, skipping function bodies when `skip_bodies` (decorators,
// default values and class bodies run where they stand). A name read only as a class's base
// goes to `as_base`: subclassing runs none of its methods but `__init_subclass__`.
struct NamesRead {
  std::set<std::string_view> used, as_base;
};
void identifiers_read(TSNode node, std::string_view source, bool skip_bodies, NamesRead& out, int depth = 0) {
  if (depth > 200) return;
  if (ts::is(node, "identifier")) {
    out.used.insert(ts::text(node, source));
    return;
  }
  const bool function = ts::is(node, "function_definition");
  const bool klass = ts::is(node, "class_definition");
  const uint32_t n = ts_node_named_child_count(node);
  for (uint32_t i = 0; i < n; ++i) {
    TSNode child = ts_node_named_child(node, i);
    if (function && skip_bodies && ts_node_eq(child, ts::field(node, "body"))) continue;
    if ((function || klass) && ts_node_eq(child, ts::field(node, "name"))) continue;
    // `X.attr = value` sets an attribute: none of X's methods runs.
    if (ts::is(node, "assignment") && ts_node_eq(child, ts::field(node, "left")) && ts::is(child, "attribute") &&
        ts::is(ts::field(child, "object"), "identifier"))
      continue;
    if (klass && ts_node_eq(child, ts::field(node, "superclasses"))) {
      for (TSNode base : ts::named_children(child)) {
        if (ts::is(base, "identifier")) out.as_base.insert(ts::text(base, source));
        else identifiers_read(base, source, skip_bodies, out, depth + 1);
      }
      continue;
    }
    identifiers_read(child, source, skip_bodies, out, depth + 1);
  }
}

// How code that runs while the module is imported (or functions and classes it reaches,
// transitively) reads the top-level function or class `name`.
enum class Reached { Not, AsBase, Used };
NamesRead read_at_import(TSNode root, std::string_view source);
Reached reached_at_import(TSNode root, std::string_view source, std::string_view name) {
  NamesRead read = read_at_import(root, source);
  if (read.used.count(name)) return Reached::Used;
  return read.as_base.count(name) ? Reached::AsBase : Reached::Not;
}

// Every top-level name code run at import reads (as a value, or only as a base), transitively.
NamesRead read_at_import(TSNode root, std::string_view source) {
  std::map<std::string_view, TSNode> definitions;
  for (TSNode statement : ts::named_children(root)) {
    TSNode def = ts::is(statement, "decorated_definition") ? ts::field(statement, "definition") : statement;
    if (ts::is(def, "function_definition") || ts::is(def, "class_definition"))
      definitions[ts::text(ts::field(def, "name"), source)] = statement;
  }
  NamesRead read;
  identifiers_read(root, source, /*skip_bodies=*/true, read);
  // A definition read as a value: all of it may run; read only as a base: its class body (read
  // above already) and its __init_subclass__.
  std::set<std::string_view> expanded, expanded_as_base;
  for (bool grew = true; grew;) {
    grew = false;
    for (auto& [def_name, statement] : definitions) {
      if (read.used.count(def_name) && expanded.insert(def_name).second) {
        identifiers_read(statement, source, /*skip_bodies=*/false, read);
        grew = true;
      } else if (read.as_base.count(def_name) && !read.used.count(def_name) &&
                 expanded_as_base.insert(def_name).second) {
        TSNode def = ts::is(statement, "decorated_definition") ? ts::field(statement, "definition") : statement;
        for (TSNode member : ts::named_children(ts::field(def, "body"))) {
          TSNode method = ts::is(member, "decorated_definition") ? ts::field(member, "definition") : member;
          if (ts::is(method, "function_definition") && ts::text(ts::field(method, "name"), source) == "__init_subclass__")
            identifiers_read(member, source, /*skip_bodies=*/false, read);
        }
        identifiers_read(def, source, /*skip_bodies=*/true, read);
        grew = true;
      }
    }
  }
  return read;
}

// Whether the code at `at` may run while the module is imported. Inside the body of a
// top-level function, or of a method of a top-level class (undecorated, all of them), it runs
// only when that function or class is read by code that runs at import (pyparsing's
// `resetting.__exit__` calling setattr, used in test bodies only).
bool may_run_at_import(TSNode root, std::string_view source, size_t at) {
  if (ts_node_is_null(root)) return true;
  TSNode top{};
  for (TSNode statement : ts::named_children(root))
    if (ts_node_start_byte(statement) <= at && at < ts_node_end_byte(statement)) top = statement;
  if (!ts::is(top, "function_definition") && !ts::is(top, "class_definition")) return true;
  // The innermost function whose body holds `at`, with every def and class on the way undecorated.
  bool in_function_body = false, in_init_subclass = false;
  TSNode node = ts_node_descendant_for_byte_range(root, static_cast<uint32_t>(at), static_cast<uint32_t>(at));
  for (; !ts_node_is_null(node) && !ts_node_eq(node, root); node = ts_node_parent(node)) {
    if (ts::is(node, "decorated_definition")) return true;
    if (ts::is(node, "function_definition")) {
      TSNode body = ts::field(node, "body");
      if (ts_node_start_byte(body) <= at && at < ts_node_end_byte(body)) in_function_body = true;
      in_init_subclass |= ts::text(ts::field(node, "name"), source) == "__init_subclass__";
    }
  }
  if (!in_function_body) return true;
  switch (reached_at_import(root, source, ts::text(ts::field(top, "name"), source))) {
    case Reached::Used: return true;
    case Reached::AsBase: return in_init_subclass;
    case Reached::Not: return false;
  }
  return true;
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
      if (!ts_node_is_null(root) && !may_run_at_import(root, source, at)) continue;
      if (!ts_node_is_null(root) && collectable && inside_test_function(root, source, at, collectable)) continue;
      size_t line = 1;
      for (size_t i = 0; i < at; ++i) line += source[i] == '\n';
      return "uses `" + std::string(writer) + "` at line " + std::to_string(line) +
             ": code may add tests to the module's namespace";
    }
  }
  return std::nullopt;
}

bool mentions_namespace_writer(std::string_view source, const SourceKeywords* keywords) {
  for (std::string_view writer : kNamespaceWriters) {
    if (!source_contains(source, writer, keywords)) continue;
    for (size_t at = find_in_source(source, writer); at != std::string_view::npos; at = find_in_source(source, writer, at + 1)) {
      const char before = at > 0 ? source[at - 1] : ' ';
      if (before != '_' && before != '.' && !std::isalnum(static_cast<unsigned char>(before))) return true;
    }
  }
  return false;
}

// Decorators that never call the function they decorate: its body runs only when called.
static bool decorators_never_call(TSNode definition_or_decorated, std::string_view source) {
  if (!ts::is(definition_or_decorated, "decorated_definition")) return true;
  for (TSNode d : ts::named_children(definition_or_decorated)) {
    if (!ts::is(d, "decorator")) continue;
    TSNode expr = ts_node_named_child(d, 0);
    if (ts::is(expr, "call")) expr = ts::field(expr, "function");
    const std::string_view name = ts::text(expr, source);
    if (!(name.starts_with("pytest.mark.") || name == "pytest.fixture" || name == "fixture" || name == "staticmethod" ||
          name == "classmethod" || name == "property"))
      return false;
  }
  return true;
}

// pytest's hooks (a module's or class's pytest_generate_tests, a conftest's) run while it
// collects; a module's `__getattr__` runs when another module imports from it.
static bool runs_while_collecting(std::string_view name) {
  return name.starts_with("pytest_") || (name.starts_with("__") && name.ends_with("__"));
}

std::vector<TSNode> bodies_not_run_at_import(TSNode root, std::string_view source) {
  std::vector<TSNode> bodies;
  if (ts_node_is_null(root)) return bodies;
  std::optional<NamesRead> read;
  auto definition_of = [](TSNode statement) {
    return ts::is(statement, "decorated_definition") ? ts::field(statement, "definition") : statement;
  };
  for (TSNode statement : ts::named_children(root)) {
    TSNode def = definition_of(statement);
    const bool function = ts::is(def, "function_definition"), klass = ts::is(def, "class_definition");
    if ((!function && !klass) || !decorators_never_call(statement, source)) continue;
    if (!read) read = read_at_import(root, source);
    const std::string_view name = ts::text(ts::field(def, "name"), source);
    if (read->used.count(name) || runs_while_collecting(name)) continue;
    if (function) {
      bodies.push_back(ts::field(def, "body"));
      continue;
    }
    // A class's methods, unless its own body's statements read one of them.
    std::vector<TSNode> methods;
    std::set<std::string_view> method_names;
    NamesRead body_reads;
    for (TSNode member : ts::named_children(ts::field(def, "body"))) {
      TSNode method = definition_of(member);
      if (ts::is(method, "function_definition")) {
        if (!decorators_never_call(member, source)) continue;
        const std::string_view method_name = ts::text(ts::field(method, "name"), source);
        if ((method_name == "__init_subclass__" && read->as_base.count(name)) || runs_while_collecting(method_name)) continue;
        methods.push_back(ts::field(method, "body"));
        method_names.insert(method_name);
      } else {
        identifiers_read(member, source, /*skip_bodies=*/true, body_reads);
      }
    }
    if (std::none_of(method_names.begin(), method_names.end(), [&](std::string_view m) { return body_reads.used.count(m) > 0; }))
      bodies.insert(bodies.end(), methods.begin(), methods.end());
  }
  return bodies;
}

bool code_may_run_at_import(TSNode root, std::string_view source, size_t at) {
  return may_run_at_import(root, source, at);
}

bool module_names_written_by_code(std::string_view source, TSNode root,
                                  const std::function<bool(std::string_view)>& may_name_module) {
  for (std::string_view writer : kNamespaceWriters) {
    for (size_t at = find_in_source(source, writer); at != std::string_view::npos; at = find_in_source(source, writer, at + 1)) {
      if (at > 0) {
        char before = source[at - 1];
        if (before == '_' || before == '.' || std::isalnum(static_cast<unsigned char>(before))) continue;
      }
      if (writer == "globals()" && globals_read_only(root, source, at)) continue;
      if (!may_run_at_import(root, source, at)) continue;
      if (writer == "setattr(") {
        TSNode call = ts_node_descendant_for_byte_range(root, static_cast<uint32_t>(at), static_cast<uint32_t>(at));
        while (!ts_node_is_null(call) && !ts::is(call, "call")) call = ts_node_parent(call);
        std::vector<TSNode> args = ts::named_children(ts::field(call, "arguments"));
        if (!args.empty() && ts::is(args[0], "identifier") && !may_name_module(ts::text(args[0], source))) continue;
      }
      return true;
    }
  }
  return false;
}

}  // namespace fastest
