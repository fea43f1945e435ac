#include "server/discovery/fixture_graph.h"

#include "server/discovery/ts_util.h"

namespace fastest {

std::vector<FixtureDecl> fixture_decls(const Scope& scope, std::string_view source, bool in_class) {
  std::vector<FixtureDecl> out;
  for (const std::string& name : scope.order) {
    const Binding& b = scope.bindings.at(name);
    if (b.kind == Binding::Kind::Import) {
      // pytest registers any fixture function the scope holds, imported ones too.
      FixtureDecl imported;
      imported.name = name;
      imported.has_params = true;
      imported.imported_from = b.import_from;
      out.push_back(std::move(imported));
      continue;
    }
    if (b.kind != Binding::Kind::Function || b.decorators.empty()) continue;
    bool fixture = false, is_static = false;
    FixtureDecl decl;
    for (TSNode d : b.decorators) {
      if (decorator_is(d, source, {"staticmethod"})) is_static = true;
      if (!is_fixture_decorator(d, source)) continue;
      fixture = true;
      decl.has_params |= fixture_has_params(d, source);
      decl.autouse |= fixture_is_autouse(d, source);
    }
    if (!fixture) continue;
    decl.name = fixture_name(b, name, source);
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
  return out;
}

bool FixtureLayers::parametrizes(const std::string& name) const { return multiplier(name) != nullptr; }

const FixtureDecl* FixtureLayers::multiplier(const std::string& name) const {
  std::set<std::pair<std::string, size_t>> seen;
  return multiplier(name, 0, seen);
}

const FixtureDecl* FixtureLayers::multiplier(const std::string& name, size_t from_layer,
                                             std::set<std::pair<std::string, size_t>>& seen) const {
  for (size_t layer = from_layer; layer < layers_.size(); ++layer) {
    const FixtureDecl* found = nullptr;
    const FixtureDecl* star = nullptr;
    for (const FixtureDecl& d : *layers_[layer]) {
      if (d.name == name) found = &d;  // the last definition of a name wins
      if (d.name == "*" && !d.imported_from.empty()) star = &d;
    }
    if (!found) found = star;  // `from m import *` may bring a fixture of that name
    if (!found) continue;
    if (!seen.insert({name, layer}).second) return nullptr;  // a cycle: pytest reports it, adds no params
    if (found->has_params) return found;
    for (const std::string& request : found->requests) {
      const FixtureDecl* m = request == name ? multiplier(request, layer + 1, seen) : multiplier(request, 0, seen);
      if (m) return m;
    }
    return nullptr;
  }
  return nullptr;
}

const FixtureDecl* FixtureLayers::parametrizing_autouse() const {
  for (size_t layer = 0; layer < layers_.size(); ++layer)
    for (const FixtureDecl& d : *layers_[layer])
      if (d.autouse && parametrizes(d.name)) return &d;
  return nullptr;
}

}  // namespace fastest
