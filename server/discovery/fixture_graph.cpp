#include "server/discovery/fixture_graph.h"

#include <algorithm>
#include <functional>
#include <map>

#include "server/discovery/ts_util.h"

namespace fastest {
namespace {

// More cases than this are left to pytest.
constexpr size_t kMaxFixtureCases = 100000;

TSNode keyword_value(TSNode call, std::string_view source, std::string_view keyword) {
  for (TSNode arg : ts::named_children(ts::field(call, "arguments")))
    if (ts::is(arg, "keyword_argument") && ts::text(ts::field(arg, "name"), source) == keyword)
      return ts::field(arg, "value");
  return TSNode{};
}

// `scope=`, `params=` and `ids=` of a fixture decorator call, read into `decl`.
void read_fixture_call(TSNode call, std::string_view source, FixtureDecl& decl, const CollectRules& rules,
                       const NameResolver& resolve, const UnboundCheck& unbound, StaticEvaluator* evaluator) {
  if (!ts::is(call, "call")) return;
  for (TSNode arg : ts::named_children(ts::field(call, "arguments")))
    if (!ts::is(arg, "keyword_argument")) {
      decl.scope.clear();  // `**kwargs` or positional: not read
      decl.params_unknown = "the fixture decorator's arguments are not all keywords";
    }
  if (TSNode scope = keyword_value(call, source, "scope"); !ts_node_is_null(scope)) {
    PyValue v = evaluate(scope, source, resolve);
    decl.scope = v.kind == PyValue::Kind::Str ? to_utf8(v.chars) : "";
  }
  TSNode params = keyword_value(call, source, "params");
  if (ts_node_is_null(params) || !decl.params_unknown.empty()) return;
  ArgvaluesExpansion values = expand_argvalues({decl.name}, /*force_tuple=*/true, params,
                                               keyword_value(call, source, "ids"), source, rules, resolve, unbound,
                                               evaluator);
  if (!values.dynamic_reason.empty()) {
    decl.params_unknown = "the params of fixture `" + decl.name + "`: " + values.dynamic_reason;
    return;
  }
  for (ParamCase& c : values.cases) decl.params.push_back(FixtureParam{std::move(c.id), std::move(c.marks)});
}

// pytest registers every attribute holding a fixture function under the attribute's name
// (unless the fixture has its own name=): `Poly1 = Poly` (numpy's test_classes.py) is a second
// fixture, parametrized as Poly is (an alias of an imported name may be one too: its requesters
// stay pytest's, as the name's own do). A fixture made by a call (`f = pytest.fixture(g)`) is not
// read: requesting it is left to pytest.
void add_fixture_aliases(const Scope& scope, std::string_view source, std::vector<FixtureDecl>& out) {
  const size_t defined = out.size();
  for (const std::string& name : scope.order) {
    const Binding& b = scope.bindings.at(name);
    if (b.kind != Binding::Kind::Assignment || ts_node_is_null(b.value)) continue;
    TSNode value = ts::unparen(b.value);
    if (ts::is(value, "identifier")) {
      std::string_view target = ts::text(value, source);
      auto original = std::find_if(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(defined),
                                   [&](const FixtureDecl& d) { return d.attribute == target; });
      if (original == out.begin() + static_cast<std::ptrdiff_t>(defined)) continue;
      FixtureDecl alias = *original;
      alias.attribute = name;
      if (original->name == original->attribute) alias.name = name;
      if (b.conditional || b.count != 1) {
        alias.scope.clear();
        if (alias.has_params) alias.params_unknown = "fixture `" + alias.name + "` is bound conditionally or more than once";
      }
      out.push_back(std::move(alias));
    } else if (ts::is(value, "call")) {
      std::string_view callee = ts::text(ts::unparen(ts::field(value, "function")), source);
      if (callee == "pytest.fixture" || callee == "fixture" || callee.starts_with("pytest.fixture(") ||
          callee.starts_with("fixture(")) {
        FixtureDecl made;
        made.name = name;
        made.attribute = name;
        made.has_params = true;
        made.imported_from = "a call to " + std::string(callee.substr(0, callee.find('(')));
        out.push_back(std::move(made));
      }
    }
  }
}

}  // namespace

std::vector<FixtureDecl> fixture_decls(const Scope& scope, std::string_view source, bool in_class,
                                       const CollectRules& rules, const NameResolver& resolve,
                                       const UnboundCheck& unbound, StaticEvaluator* evaluator) {
  // A class body's decorators see the class's own names first: those are not followed.
  NameResolver scoped = [&](std::string_view name) -> std::optional<TSNode> {
    if ((in_class && scope.find(name)) || !resolve) return std::nullopt;
    return resolve(name);
  };
  UnboundCheck scoped_unbound = [&](std::string_view name) {
    return unbound && unbound(name) && !(in_class && scope.find(name));
  };
  std::vector<FixtureDecl> out;
  for (const std::string& name : scope.order) {
    const Binding& b = scope.bindings.at(name);
    if (b.kind == Binding::Kind::Import) {
      // pytest registers any fixture function the scope holds, imported ones too.
      FixtureDecl imported;
      imported.name = name;
      imported.attribute = name;
      imported.has_params = true;
      imported.imported_from = b.import_from;
      out.push_back(std::move(imported));
      continue;
    }
    if (b.kind != Binding::Kind::Function || b.decorators.empty()) continue;
    bool fixture = false, is_static = false;
    FixtureDecl decl;
    decl.attribute = name;
    for (TSNode d : b.decorators) {
      if (decorator_is(d, source, {"staticmethod"})) is_static = true;
      if (!is_fixture_decorator(d, source)) continue;
      if (!fixture) decl.name = fixture_name(b, name, source);  // only for fixtures: every test is decorated too
      fixture = true;
      decl.has_params |= fixture_has_params(d, source);
      decl.autouse |= fixture_is_autouse(d, source);
      read_fixture_call(d, source, decl, rules, scoped, scoped_unbound, evaluator);
    }
    if (!fixture) continue;
    if (b.conditional || b.count != 1) {
      decl.scope.clear();
      if (decl.has_params) decl.params_unknown = "fixture `" + decl.name + "` is defined conditionally or more than once";
    }
    bool first = true;
    for (TSNode p : ts::named_children(ts::field(b.definition, "parameters"))) {
      bool is_self = first && in_class && !is_static;
      first = false;
      std::string param;
      if (ts::is(p, "identifier")) param = std::string(ts::text(p, source));
      else if (ts::is(p, "typed_parameter") && ts::is(ts_node_named_child(p, 0), "identifier"))
        param = std::string(ts::text(ts_node_named_child(p, 0), source));
      // Parameters with defaults and *args/**kwargs are not requested.
      if (!is_self && !param.empty()) decl.requests.push_back(param);
    }
    out.push_back(std::move(decl));
  }
  add_fixture_aliases(scope, source, out);
  return out;
}

std::vector<FixtureDecl> merge_class_fixtures(const std::vector<std::vector<FixtureDecl>>& mro_layers) {
  std::vector<FixtureDecl> out;
  std::set<std::string> attributes;
  for (const auto& layer : mro_layers)
    for (const FixtureDecl& d : layer)
      if (attributes.insert(d.attribute).second) out.push_back(d);
  return out;
}

std::vector<const FixtureDecl*> FixtureLayers::definitions(const std::string& name) const {
  std::vector<const FixtureDecl*> chain;
  for (const auto* layer : layers_) {
    const FixtureDecl* found = nullptr;
    const FixtureDecl* star = nullptr;
    for (const FixtureDecl& d : *layer) {
      if (d.name == name) found = &d;  // the last definition of a name wins
      if (d.name == "*" && !d.imported_from.empty()) star = &d;
    }
    if (!found) found = star;  // `from m import *` may bring a fixture of that name
    if (found) chain.push_back(found);
  }
  return chain;
}

// traverse_fixture_closure: depth first, each name once, a fixture requesting its own name
// reaching the next outer definition.
std::vector<std::string> FixtureLayers::closure(const std::vector<std::string>& initial,
                                                const std::set<std::string>& ignore, std::string& unknown) const {
  std::vector<std::string> order;
  std::map<std::string, size_t> depth;  // pytest's current_indices: 0 is the innermost definition
  std::function<void(const std::string&, int)> visit = [&](const std::string& name, int level) {
    if (level > 64 || !unknown.empty()) return;
    auto it = depth.find(name);
    if (it != depth.end() && it->second == 0) return;
    if (it == depth.end()) {
      order.push_back(name);
      depth[name] = 0;
    }
    if (ignore.count(name)) return;
    std::vector<const FixtureDecl*> chain = definitions(name);
    size_t index = depth[name];
    if (index >= chain.size()) return;
    const FixtureDecl* def = chain[index];
    if (!def->imported_from.empty()) {
      unknown = "requests the fixture `" + name + "`, which reaches `" + def->imported_from +
                "` imported from another module: pytest settles whether it is parametrized";
      return;
    }
    depth[name] = index + 1;
    for (const std::string& dep : def->requests) visit(dep, level + 1);
    depth[name] = index;
  };
  for (const std::string& name : initial) visit(name, 0);
  return order;
}

FixtureParametrization FixtureLayers::parametrize(const std::vector<std::string>& arguments,
                                                  const std::vector<std::string>& usefixtures,
                                                  const std::set<std::string>& direct_args,
                                                  const std::set<std::string>& mark_args) const {
  FixtureParametrization out;
  // Autouse names by node, outermost first; on one node in `dir()` order (by attribute).
  std::vector<std::string> initial;
  auto add = [&](const std::string& name) {
    if (std::find(initial.begin(), initial.end(), name) == initial.end()) initial.push_back(name);
  };
  for (auto layer = layers_.rbegin(); layer != layers_.rend(); ++layer) {
    std::vector<const FixtureDecl*> autouse;
    for (const FixtureDecl& d : **layer)
      if (d.autouse) autouse.push_back(&d);
    std::sort(autouse.begin(), autouse.end(),
              [](const FixtureDecl* a, const FixtureDecl* b) { return a->attribute < b->attribute; });
    for (const FixtureDecl* d : autouse) add(d->name);
  }
  for (const std::string& name : usefixtures) add(name);
  for (const std::string& name : arguments) add(name);

  std::vector<std::string> names = closure(initial, direct_args, out.dynamic_reason);
  if (!out.dynamic_reason.empty()) return out;
  out.closure = names;

  std::vector<FixtureParam> combined{FixtureParam{}};
  bool any = false;
  for (const std::string& name : names) {
    if (mark_args.count(name)) continue;  // the test's own parametrize takes precedence
    std::vector<const FixtureDecl*> chain = definitions(name);
    for (size_t i = 0; i < chain.size(); ++i) {
      const FixtureDecl* def = chain[i];
      if (!def->imported_from.empty()) {
        out.dynamic_reason = "requests the fixture `" + name + "`, which reaches `" + def->imported_from +
                             "` imported from another module: pytest settles whether it is parametrized";
        return out;
      }
      if (def->has_params) {
        if (!def->params_unknown.empty() || def->params.empty()) {  // params=[] has one (NOTSET) case
          out.dynamic_reason = "requests the parametrized fixture `" + name + "`" +
                               (def->params_unknown.empty() ? "" : " (" + def->params_unknown + ")");
          return out;
        }
        if (def->scope != "function" || chain[0]->scope != "function") {
          out.dynamic_reason = "requests the parametrized fixture `" + name +
                               "`, not function-scoped: pytest's reorder_items regroups such tests";
          return out;
        }
        std::vector<FixtureParam> next;
        for (const FixtureParam& outer : combined)
          for (const FixtureParam& inner : def->params) {
            FixtureParam c;
            c.id = any ? outer.id + "-" + inner.id : inner.id;
            c.marks = outer.marks;
            c.marks.insert(c.marks.end(), inner.marks.begin(), inner.marks.end());
            next.push_back(std::move(c));
          }
        combined = std::move(next);
        any = true;
        if (combined.size() > kMaxFixtureCases) {
          out.dynamic_reason = "more parametrized cases than are listed statically";
          return out;
        }
        break;
      }
      // Not requesting the overridden fixture of the same name: its params are not reached.
      if (std::find(def->requests.begin(), def->requests.end(), name) == def->requests.end()) break;
    }
  }
  if (any) out.cases = std::move(combined);
  return out;
}

}  // namespace fastest
