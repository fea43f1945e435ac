#include "server/discovery/generate_tests_hook.h"

#include <algorithm>

#include "server/discovery/ts_util.h"

namespace fastest {
namespace {

// pytest's own fixtures, and the ones they request: a test reaches them through fixtures whose
// bodies are not read here, so a guard on one of them is not decided statically.
constexpr std::string_view kBuiltinFixtures[] = {
    "request", "pytestconfig", "tmp_path", "tmp_path_factory", "tmpdir", "tmpdir_factory", "capsys",
    "capsysbinary", "capfd", "capfdbinary", "caplog", "monkeypatch", "recwarn", "cache", "doctest_namespace",
    "record_property", "record_xml_attribute", "record_testsuite_property", "testdir", "pytester",
    "linecomp", "LineMatcher", "capteesys", "subtests",
};

bool holds_statement(TSNode node, const char* type) {
  if (ts::is(node, type)) return true;
  const uint32_t n = ts_node_named_child_count(node);
  for (uint32_t i = 0; i < n; ++i)
    if (holds_statement(ts_node_named_child(node, i), type)) return true;
  return false;
}

bool names_identifier(TSNode node, std::string_view name, std::string_view source) {
  if (ts::is(node, "identifier") && ts::text(node, source) == name) return true;
  const uint32_t n = ts_node_named_child_count(node);
  for (uint32_t i = 0; i < n; ++i)
    if (names_identifier(ts_node_named_child(node, i), name, source)) return true;
  return false;
}

// `"name" in <metafunc>.fixturenames`: the name.
std::optional<std::string> guard_of(TSNode condition, std::string_view metafunc, std::string_view source) {
  condition = ts::unparen(condition);
  if (!ts::is(condition, "comparison_operator") || ts_node_named_child_count(condition) != 2) return std::nullopt;
  TSNode left = ts_node_named_child(condition, 0), right = ts::unparen(ts_node_named_child(condition, 1));
  std::string_view between = source.substr(ts_node_end_byte(left), ts_node_start_byte(right) - ts_node_end_byte(left));
  while (!between.empty() && (between.front() == ' ' || between.front() == '(')) between.remove_prefix(1);
  while (!between.empty() && (between.back() == ' ' || between.back() == ')')) between.remove_suffix(1);
  if (between != "in") return std::nullopt;
  if (!ts::is(right, "attribute") || ts::text(ts::field(right, "attribute"), source) != "fixturenames" ||
      !ts::is(ts::field(right, "object"), "identifier") || ts::text(ts::field(right, "object"), source) != metafunc)
    return std::nullopt;
  PyValue name = evaluate(left, source, nullptr);
  if (name.kind != PyValue::Kind::Str) return std::nullopt;
  return to_utf8(name.chars);
}

std::vector<TSNode> statements_of(TSNode block) {
  std::vector<TSNode> out = ts::named_children(block);
  if (!out.empty() && ts::is(out.front(), "expression_statement") && ts_node_named_child_count(out.front()) == 1 &&
      ts::is(ts_node_named_child(out.front(), 0), "string"))
    out.erase(out.begin());  // a docstring
  return out;
}

struct BranchReader {
  std::string_view metafunc, source;
  const CollectRules& rules;
  const NameResolver& resolve;
  const UnboundCheck& unbound;
  StaticEvaluator* evaluator;

  GuardedParametrize read(std::string guard, TSNode body) const {
    GuardedParametrize out;
    out.guard = std::move(guard);
    std::vector<TSNode> statements = statements_of(body);
    TSNode call{};
    if (statements.size() == 1 && ts::is(statements[0], "expression_statement") &&
        ts_node_named_child_count(statements[0]) == 1)
      call = ts_node_named_child(statements[0], 0);
    TSNode function = ts::field(call, "function");
    if (!ts::is(call, "call") || !ts::is(function, "attribute") ||
        ts::text(ts::field(function, "attribute"), source) != "parametrize" ||
        ts::text(ts::field(function, "object"), source) != metafunc) {
      out.unknown = "does more than one metafunc.parametrize";
      return out;
    }
    TSNode arguments = ts::field(call, "arguments");
    if (names_identifier(arguments, metafunc, source)) {
      out.unknown = "its values read metafunc";
      return out;
    }
    // Two positional arguments and ids=: indirect= and scope= move values to fixtures or
    // regroup tests.
    size_t positional = 0;
    for (TSNode arg : ts::named_children(arguments)) {
      if (ts::is(arg, "keyword_argument")) {
        std::string_view key = ts::text(ts::field(arg, "name"), source);
        if (key != "argnames" && key != "argvalues" && key != "ids") {
          out.unknown = "metafunc.parametrize is given " + std::string(key) + "=";
          return out;
        }
      } else if (++positional > 2) {
        out.unknown = "metafunc.parametrize is given indirect= or more";
        return out;
      }
    }
    Parametrization p = expand_parametrize({call}, source, rules, resolve, unbound, evaluator);
    if (p.dynamic) {
      out.unknown = p.dynamic_reason;
      return out;
    }
    for (const ParamCase& c : p.cases)
      if (!c.marks.empty()) {
        // pytest applies them, and warns of an unregistered one, only when the hook runs.
        out.unknown = "its values carry marks";
        return out;
      }
    out.parametrization = std::move(p);
    return out;
  }
};

}  // namespace

std::optional<GenerateTestsHook> read_generate_tests(TSNode hook, TSNode outer, std::string_view source,
                                                     const CollectRules& rules, const NameResolver& resolve,
                                                     const UnboundCheck& unbound, StaticEvaluator* evaluator,
                                                     std::string& why) {
  auto refuse = [&why](std::string reason) -> std::optional<GenerateTestsHook> {
    why = std::move(reason);
    return std::nullopt;
  };
  if (!ts_node_eq(hook, outer)) return refuse("it is decorated (a hookimpl option may change its order)");
  std::vector<TSNode> params = ts::named_children(ts::field(hook, "parameters"));
  TSNode param = params.size() == 1 && ts::is(params[0], "typed_parameter") ? ts_node_named_child(params[0], 0) : params.empty() ? TSNode{} : params[0];
  if (params.size() != 1 || !ts::is(param, "identifier") || ts::text(param, source) != "metafunc")
    return refuse("its parameters are not `metafunc`");
  TSNode body = ts::field(hook, "body");
  if (holds_statement(body, "global_statement") || holds_statement(body, "nonlocal_statement") ||
      holds_statement(body, "yield"))
    return refuse("it changes names outside itself");
  const std::string_view metafunc = "metafunc";
  BranchReader reader{metafunc, source, rules, resolve, unbound, evaluator};
  GenerateTestsHook out;
  for (TSNode statement : statements_of(body)) {
    if (ts::is(statement, "pass_statement")) continue;
    if (!ts::is(statement, "if_statement")) return refuse("it does more than test fixture names");
    std::vector<GuardedParametrize> chain;
    auto add = [&](TSNode condition, TSNode consequence) {
      std::optional<std::string> guard = guard_of(condition, metafunc, source);
      if (!guard) return false;
      for (std::string_view builtin : kBuiltinFixtures)
        if (*guard == builtin) return false;
      chain.push_back(reader.read(std::move(*guard), consequence));
      return true;
    };
    if (!add(ts::field(statement, "condition"), ts::field(statement, "consequence")))
      return refuse("a condition is not `\"name\" in metafunc.fixturenames`");
    for (TSNode alternative : ts::named_children(statement)) {
      if (ts::is(alternative, "elif_clause")) {
        if (!add(ts::field(alternative, "condition"), ts::field(alternative, "consequence")))
          return refuse("a condition is not `\"name\" in metafunc.fixturenames`");
      } else if (ts::is(alternative, "else_clause")) {
        std::vector<TSNode> rest = statements_of(ts::field(alternative, "body"));
        if (!std::all_of(rest.begin(), rest.end(), [](TSNode s) { return ts::is(s, "pass_statement"); }))
          return refuse("an else branch acts on every other test");
      }
    }
    out.chains.push_back(std::move(chain));
  }
  return out;
}

GeneratedParametrization apply_generate_tests(const GenerateTestsHook& hook, const std::vector<std::string>& closure) {
  GeneratedParametrization out;
  auto in_closure = [&closure](const std::string& name) {
    return std::find(closure.begin(), closure.end(), name) != closure.end();
  };
  for (const auto& chain : hook.chains) {
    auto taken = std::find_if(chain.begin(), chain.end(), [&](const GuardedParametrize& b) { return in_closure(b.guard); });
    if (taken == chain.end()) continue;
    if (!taken->parametrization) {
      out.dynamic_reason = "the pytest_generate_tests of " + hook.where + " parametrizes `" + taken->guard +
                           "` with values not known statically (" + taken->unknown + ")";
      return out;
    }
    for (const std::string& name : taken->parametrization->argnames)
      if (!in_closure(name)) {
        out.dynamic_reason = "the pytest_generate_tests of " + hook.where + " parametrizes `" + name +
                             "`, which the test does not request (pytest's error)";
        return out;
      }
    out.calls.push_back(*taken->parametrization);
  }
  return out;
}

}  // namespace fastest
