#include "server/discovery/conftest_analysis.h"
#include "server/discovery/fixture_graph.h"

#include "server/discovery/hook_reading.h"
#include "server/discovery/module_discovery.h"
#include "server/discovery/module_imports.h"
#include "server/discovery/collect_ignore.h"
#include "server/discovery/module_scope.h"
#include "server/discovery/python_literal.h"
#include "server/discovery/static_value.h"
#include "server/discovery/ts_util.h"

namespace fastest {
namespace {

constexpr std::string_view kCollectionHooks[] = {
    "pytest_collect_file",          "pytest_collect_directory", "pytest_collection_modifyitems",
    "pytest_ignore_collect",        "pytest_generate_tests",    "pytest_pycollect_makeitem",
    "pytest_pycollect_makemodule",  "pytest_make_collect_report", "pytest_collection",
    "pytest_deselected",            "pytest_make_parametrize_id",
};
// pytest_itemcollected, pytest_collectreport, pytest_configure, pytest_addoption, reporting and
// pytest_runtest_* hooks see items or reports but cannot add, remove, rename or reorder them.

// A literal list/tuple of strings; false if anything in it is not a string literal.
bool read_string_list(TSNode value, std::string_view source, std::vector<std::string>& out) {
  value = ts::unparen(value);
  if (ts::is(value, "string") || ts::is(value, "concatenated_string")) {
    PyValue v = evaluate(value, source, nullptr);
    if (v.kind != PyValue::Kind::Str) return false;
    out.push_back(to_utf8(v.chars));
    return true;
  }
  if (!ts::is(value, "list") && !ts::is(value, "tuple")) return false;
  for (TSNode element : ts::named_children(value)) {
    PyValue v = evaluate(element, source, nullptr);
    if (v.kind != PyValue::Kind::Str) return false;
    out.push_back(to_utf8(v.chars));
  }
  return true;
}

}  // namespace

ConftestInfo analyze_conftest(const TSTree* tree, std::string_view source, const CollectRules& rules,
                              std::string_view module_path) {
  const PythonFacts* python = rules.python.get();
  ConftestInfo info;
  if (!tree) return info;
  TSNode root = ts_tree_root_node(tree);
  // Its values read as a test module's are (imports followed, installed modules asked) when
  // the collection knows the project's modules; its own literals alone otherwise.
  std::optional<ModuleValues> values;
  std::optional<Scope> own_scope;
  std::optional<StaticEvaluator> own_evaluator;
  if (!module_path.empty() && (rules.modules || rules.library)) values.emplace(root, source, module_path, rules);
  else own_scope.emplace(read_scope(root, source, python));
  const Scope& scope = values ? values->scope() : *own_scope;
  if (!values) own_evaluator.emplace(source, root, scope, python);
  StaticEvaluator& evaluator = values ? values->evaluator() : *own_evaluator;
  // The conftest's module-level names bound once to a value, as for a test module.
  NameResolver resolve = [&scope](std::string_view name) -> std::optional<TSNode> {
    const Binding* b = scope.find(name);
    if (!b || b->count != 1 || b->conditional) return std::nullopt;
    if (b->kind == Binding::Kind::Assignment && !ts_node_is_null(b->value)) return b->value;
    return std::nullopt;
  };
  UnboundCheck unbound = [&scope](std::string_view name) { return scope.find(name) == nullptr; };
  for (const std::string& name : scope.order) {
    const Binding& b = scope.bindings.at(name);
    if (b.kind != Binding::Kind::Function) continue;
    if (name == "pytest_collection_modifyitems" && b.count == 1 && !b.conditional) {
      // Only adding marks, or acting only under an option not given, leaves the ids as they are.
      HookReading reading = read_modifyitems(b.definition, scope, source, registered_options(root, source));
      if (reading.harmless) {
        info.modifyitems_unless_given = reading.unless_given;
        info.hooks_add_marks |= reading.adds_marks;
        continue;
      }
    }
    if (name == "pytest_generate_tests" && b.count == 1 && !b.conditional) {
      std::string why;
      if (auto hook = read_generate_tests(b.definition, b.outer, source, rules, resolve, unbound, &evaluator, why)) {
        info.generate_tests = std::make_shared<GenerateTestsHook>(std::move(*hook));
        continue;
      }
    }
    if (name == "pytest_itemcollected") info.hooks_add_marks = true;
    for (std::string_view hook : kCollectionHooks)
      if (name == hook) info.collection_hooks.push_back(name);
  }
  info.fixtures = fixture_decls(scope, source, /*in_class=*/false, rules, resolve, unbound, &evaluator);
  for (const UnconditionalImport& u : unconditional_import_statements(root, source)) {
    if (u.statement.level != 0 || u.statement.module.empty()) continue;
    info.imports.push_back(u.statement.module);
    for (const std::string& name : u.statement.names)
      if (name != "*") info.imports.push_back(u.statement.module + "." + name);
  }
  for (const char* list_name : {"collect_ignore", "collect_ignore_glob"}) {
    auto& out = std::string_view(list_name) == "collect_ignore" ? info.collect_ignore : info.collect_ignore_glob;
    if (auto entries = replay_collect_ignore(root, source, list_name, evaluator)) out = std::move(*entries);
    else info.collect_ignore_dynamic = true;
  }
  if (const Binding* b = scope.find("pytest_plugins"); b && b->kind == Binding::Kind::Assignment)
    read_string_list(b->value, source, info.pytest_plugins);
  return info;
}

}  // namespace fastest
