#include "server/discovery/module_scope.h"

#include <algorithm>
#include <map>

#include "server/discovery/python_literal.h"
#include "server/discovery/static_value.h"
#include "server/discovery/ts_util.h"

namespace fastest {
namespace {


void bind_definition(Scope& scope, TSNode outer, std::string_view source, bool conditional) {
  TSNode def = outer;
  std::vector<TSNode> decorators;
  if (ts::is(outer, "decorated_definition")) {
    // A handful of children, decorators then the definition: indexing them is cheaper than a
    // cursor and a vector.
    for (uint32_t i = 0, n = ts_node_named_child_count(outer); i < n; ++i) {
      TSNode child = ts_node_named_child(outer, i);
      if (ts::is(child, "decorator")) {
        if (ts_node_named_child_count(child) > 0) decorators.push_back(ts_node_named_child(child, 0));
      } else if (ts::is(child, "function_definition") || ts::is(child, "class_definition")) {
        def = child;
      }
    }
  }
  TSNode name = ts::field(def, "name");
  if (ts_node_is_null(name)) return;
  std::string n(ts::text(name, source));
  Binding& b = scope.bind(n);
  b.kind = ts::is(def, "class_definition") ? Binding::Kind::Class : Binding::Kind::Function;
  b.definition = def;
  b.outer = outer;
  b.decorators = std::move(decorators);
  b.conditional = conditional;
}

// `unpacked_from`, `path`, `arity`: where a target inside a pattern takes its value from (see
// Binding); null for a target whose value is not read (under a starred target).
void bind_targets(Scope& scope, TSNode left, TSNode right, bool conditional, std::string_view source,
                  TSNode unpacked_from = TSNode{}, std::vector<uint32_t> path = {}, std::vector<uint32_t> arity = {}) {
  left = ts::unparen(left);
  if (ts::is(left, "identifier")) {
    std::string n(ts::text(left, source));
    Binding& b = scope.bind(n);
    b.kind = Binding::Kind::Assignment;
    b.value = right;
    b.conditional = conditional;
    if (ts_node_is_null(right) && !ts_node_is_null(unpacked_from)) {
      b.unpacked_from = unpacked_from;
      b.unpack_path = std::move(path);
      b.unpack_arity = std::move(arity);
    }
    return;
  }
  if (ts::is(left, "pattern_list") || ts::is(left, "tuple_pattern") || ts::is(left, "list_pattern") ||
      ts::is(left, "tuple") || ts::is(left, "list")) {
    const std::vector<TSNode> targets = ts::named_children(left);
    const bool starred = std::any_of(targets.begin(), targets.end(), [](TSNode t) {
      return ts::is(t, "list_splat_pattern") || ts::is(t, "list_splat");
    });
    // The right-hand side this pattern unpacks: the assignment's own, or the element above.
    const TSNode from = !ts_node_is_null(right) ? right : unpacked_from;
    for (uint32_t i = 0; i < targets.size(); ++i) {
      if (starred || ts_node_is_null(from)) {
        bind_targets(scope, targets[i], TSNode{}, conditional, source);
        continue;
      }
      std::vector<uint32_t> element_path = path, element_arity = arity;
      element_path.push_back(i);
      element_arity.push_back(static_cast<uint32_t>(targets.size()));
      bind_targets(scope, targets[i], TSNode{}, conditional, source, from, std::move(element_path), std::move(element_arity));
    }
  }
}

void read_block(Scope& scope, TSNode block, std::string_view source, bool conditional, const PythonFacts* python, const Scope* module);

// An `if` statement: with a condition known from the interpreter, only the taken branch binds
// (as the rest of the block does); an unknown condition makes it and every later branch
// conditional.
void read_if(Scope& scope, TSNode stmt, std::string_view source, bool conditional, const PythonFacts* python, const Scope* module) {
  bool decided = false;  // an earlier branch was known true: the rest never run
  bool unknown = false;  // an earlier condition was unknown: the rest may or may not run
  auto branch = [&](TSNode condition, TSNode body) {
    if (decided) return;
    std::optional<bool> taken;
    if (ts_node_is_null(condition)) taken = true;  // else
    else if (python && !unknown) {
      // The scope read so far is what the condition sees (sys imported above it, PY3 = ...).
      // In a class body, the class's names so far, then the module's.
      StaticEvaluator evaluator(source, condition, module ? *module : scope, python, /*check_mutation=*/false);
      taken = evaluator.truth_in(condition, module ? &scope : nullptr);
    }
    if (unknown || !taken) {
      unknown = true;
      read_block(scope, body, source, true, python, module);
      return;
    }
    if (*taken) {
      read_block(scope, body, source, conditional, python, module);
      decided = true;
    }
  };
  branch(ts::field(stmt, "condition"), ts::field(stmt, "consequence"));
  for (TSNode child : ts::named_children(stmt)) {
    if (ts::is(child, "elif_clause")) branch(ts::field(child, "condition"), ts::field(child, "consequence"));
    else if (ts::is(child, "else_clause")) branch(TSNode{}, ts::field(child, "body"));
  }
}

// Reads the statements of a module or class body into a Scope.
void read_block(Scope& scope, TSNode block, std::string_view source, bool conditional, const PythonFacts* python, const Scope* module) {
  for (TSNode stmt : ts::named_children(block)) {
    const std::string_view type = ts_node_type(stmt);  // once: most statements test several kinds
    if (type == "function_definition" || type == "class_definition" ||
        type == "decorated_definition") {
      bind_definition(scope, stmt, source, conditional);
    } else if (type == "expression_statement") {
      for (TSNode expr : ts::named_children(stmt)) {
        // `a = b = 1` nests assignments on the right.
        TSNode node = expr;
        while (ts::is(node, "assignment")) {
          TSNode right = ts::field(node, "right");
          TSNode value = right;
          while (ts::is(value, "assignment")) value = ts::field(value, "right");
          bind_targets(scope, ts::field(node, "left"), value, conditional, source);
          node = right;
        }
      }
    } else if (type == "import_from_statement") {
      std::string from(ts::text(ts::field(stmt, "module_name"), source));
      for (TSNode child : ts::named_children(stmt)) {
        if (ts_node_eq(child, ts::field(stmt, "module_name"))) continue;
        if (ts::is(child, "wildcard_import")) {
          // `from m import *`: any name of m; recorded under "*" for the rules that must know.
          Binding& b = scope.bind("*");
          b.kind = Binding::Kind::Import;
          b.import_from = from + ".*";
          b.conditional = conditional;
          continue;
        }
        TSNode name_node = child;
        if (ts::is(child, "aliased_import")) name_node = ts::field(child, "alias");
        else if (!ts::is(child, "dotted_name")) continue;
        std::string n(ts::text(name_node, source));
        if (ts::is(child, "dotted_name")) {
          size_t dot = n.rfind('.');
          if (dot != std::string::npos) n = n.substr(dot + 1);
        }
        Binding& b = scope.bind(n);
        b.kind = Binding::Kind::Import;
        b.import_from = from + "." + std::string(ts::text(ts::is(child, "aliased_import") ? ts::field(child, "name") : child, source));
        b.from_import = true;
        b.aliased = ts::is(child, "aliased_import");
        b.conditional = conditional;
      }
    } else if (type == "import_statement") {
      for (TSNode child : ts::named_children(stmt)) {
        std::string n;
        std::string full;
        if (ts::is(child, "aliased_import")) {
          n = std::string(ts::text(ts::field(child, "alias"), source));
          full = std::string(ts::text(ts::field(child, "name"), source));
        } else {
          full = std::string(ts::text(child, source));
          n = full.substr(0, full.find('.'));
        }
        Binding& b = scope.bind(n);
        b.kind = Binding::Kind::Import;
        b.import_from = full;
        b.from_import = false;
        b.aliased = ts::is(child, "aliased_import");
        b.conditional = conditional;
      }
    } else if (type == "try_statement" || type == "with_statement") {
      // The try body and with body run; handlers and else/finally may not.
      for (TSNode child : ts::named_children(stmt)) {
        if (ts::is(child, "block")) read_block(scope, child, source, conditional, python, module);
        else if (ts::is(child, "except_clause") || ts::is(child, "else_clause") ||
                 ts::is(child, "finally_clause") || ts::is(child, "except_group_clause"))
          for (TSNode inner : ts::named_children(child))
            if (ts::is(inner, "block")) read_block(scope, inner, source, true, python, module);
      }
    } else if (type == "if_statement") {
      read_if(scope, stmt, source, conditional, python, module);
    } else if (type == "for_statement" ||
               type == "while_statement") {
      for (TSNode child : ts::named_children(stmt)) {
        if (ts::is(child, "block")) read_block(scope, child, source, true, python, module);
        else if (ts::is(child, "elif_clause") || ts::is(child, "else_clause"))
          for (TSNode inner : ts::named_children(child))
            if (ts::is(inner, "block")) read_block(scope, inner, source, true, python, module);
      }
    }
  }
}

}  // namespace

Binding& Scope::bind(const std::string& name) {
  auto [it, inserted] = bindings.try_emplace(name);
  if (inserted) order.push_back(name);
  const int count = it->second.count;
  it->second = Binding{};
  it->second.count = count + 1;
  return it->second;
}

const Binding* Scope::find(std::string_view name) const {
  auto it = bindings.find(std::string(name));
  return it == bindings.end() ? nullptr : &it->second;
}


Scope read_scope(TSNode block, std::string_view source, const PythonFacts* python, const Scope* module) {
  Scope scope;
  if (ts_node_is_null(block)) return scope;
  scope.bindings.reserve(ts_node_named_child_count(block));
  scope.order.reserve(ts_node_named_child_count(block));
  read_block(scope, block, source, false, python, module);
  return scope;
}

bool is_false_literal(TSNode node) { return ts::is(ts::unparen(node), "false"); }

bool decorator_is(TSNode expr, std::string_view source, std::initializer_list<std::string_view> names) {
  // The name is where the decorator's text starts: most decorators are ruled out without
  // looking into the tree.
  const std::string_view whole = ts::text(expr, source);
  bool may_match = false;
  for (std::string_view n : names) may_match |= whole.starts_with(n);
  if (!may_match) return false;
  TSNode target = ts::is(expr, "call") ? ts::field(expr, "function") : expr;
  std::string_view t = ts::text(target, source);
  for (std::string_view n : names) if (t == n) return true;
  return false;
}

bool is_fixture_decorator(TSNode expr, std::string_view source) {
  return decorator_is(expr, source, {"pytest.fixture", "fixture", "pytest_asyncio.fixture"});
}

// The `params=` of a fixture decorator, if any.
bool fixture_has_params(TSNode expr, std::string_view source) {
  if (!ts::is(expr, "call") || !is_fixture_decorator(expr, source)) return false;
  for (TSNode arg : ts::named_children(ts::field(expr, "arguments")))
    if (ts::is(arg, "keyword_argument") && ts::text(ts::field(arg, "name"), source) == "params") return true;
  return false;
}

std::string fixture_name(const Binding& b, std::string_view name, std::string_view source) {
  for (TSNode d : b.decorators) {
    if (!ts::is(d, "call")) continue;
    for (TSNode arg : ts::named_children(ts::field(d, "arguments")))
      if (ts::is(arg, "keyword_argument") && ts::text(ts::field(arg, "name"), source) == "name") {
        PyValue v = evaluate(ts::field(arg, "value"), source, nullptr);
        if (v.kind == PyValue::Kind::Str) return to_utf8(v.chars);
      }
  }
  return std::string(name);
}

bool fixture_is_autouse(TSNode expr, std::string_view source) {
  if (!ts::is(expr, "call") || !is_fixture_decorator(expr, source)) return false;
  for (TSNode arg : ts::named_children(ts::field(expr, "arguments")))
    if (ts::is(arg, "keyword_argument") && ts::text(ts::field(arg, "name"), source) == "autouse" &&
        ts::is(ts::unparen(ts::field(arg, "value")), "true"))
      return true;
  return false;
}

// `collect_ignore.append(...)` / `+=` / `.extend(...)` anywhere at module level.
bool mutated_at_module_level(TSNode root, std::string_view source, std::string_view name) {
  for (TSNode stmt : ts::named_children(root)) {
    std::string_view text = ts::text(stmt, source);
    if (ts::is(stmt, "expression_statement") || ts::is(stmt, "if_statement") ||
        ts::is(stmt, "for_statement") || ts::is(stmt, "try_statement")) {
      size_t pos = text.find(name);
      while (pos != std::string_view::npos) {
        std::string_view rest = text.substr(pos + name.size());
        if (rest.rfind(".append", 0) == 0 || rest.rfind(".extend", 0) == 0 ||
            rest.rfind(" +=", 0) == 0 || rest.rfind("+=", 0) == 0 || rest.rfind(".insert", 0) == 0)
          return true;
        pos = text.find(name, pos + 1);
      }
    }
  }
  return false;
}


std::optional<std::string> imported_as(TSNode expr, std::string_view source, const Scope& scope) {
  expr = ts::unparen(expr);
  if (ts::is(expr, "identifier")) {
    const Binding* b = scope.find(ts::text(expr, source));
    if (!b || b->kind != Binding::Kind::Import || b->count != 1 || b->conditional) return std::nullopt;
    return b->import_from;
  }
  if (ts::is(expr, "attribute")) {
    auto owner = imported_as(ts::field(expr, "object"), source, scope);
    if (!owner) return std::nullopt;
    return *owner + "." + std::string(ts::text(ts::field(expr, "attribute"), source));
  }
  return std::nullopt;
}

}  // namespace fastest
