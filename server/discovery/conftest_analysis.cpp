#include "server/discovery/conftest_analysis.h"
#include "server/discovery/fixture_graph.h"

#include "server/discovery/collect_ignore.h"
#include "server/discovery/module_scope.h"
#include "server/discovery/python_literal.h"
#include "server/discovery/ts_util.h"

namespace fastest {
namespace {

constexpr std::string_view kCollectionHooks[] = {
    "pytest_collect_file",          "pytest_collect_directory", "pytest_collection_modifyitems",
    "pytest_ignore_collect",        "pytest_generate_tests",    "pytest_pycollect_makeitem",
    "pytest_pycollect_makemodule",  "pytest_make_collect_report", "pytest_collection",
    "pytest_deselected",            "pytest_make_parametrize_id", "pytest_itemcollected",
};

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

ConftestInfo analyze_conftest(const TSTree* tree, std::string_view source, const PythonFacts* python) {
  ConftestInfo info;
  if (!tree) return info;
  TSNode root = ts_tree_root_node(tree);
  Scope scope = read_scope(root, source, python);
  for (const std::string& name : scope.order) {
    const Binding& b = scope.bindings.at(name);
    if (b.kind == Binding::Kind::Function) {
      for (std::string_view hook : kCollectionHooks)
        if (name == hook) info.collection_hooks.push_back(name);
    }
  }
  info.fixtures = fixture_decls(scope, source, /*in_class=*/false);
  for (const char* list_name : {"collect_ignore", "collect_ignore_glob"}) {
    auto& out = std::string_view(list_name) == "collect_ignore" ? info.collect_ignore : info.collect_ignore_glob;
    if (auto entries = replay_collect_ignore(root, source, scope, list_name, python)) out = std::move(*entries);
    else info.collect_ignore_dynamic = true;
  }
  if (const Binding* b = scope.find("pytest_plugins"); b && b->kind == Binding::Kind::Assignment)
    read_string_list(b->value, source, info.pytest_plugins);
  return info;
}

}  // namespace fastest
