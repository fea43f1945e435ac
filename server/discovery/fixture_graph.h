// Which fixtures multiply the tests that request them: pytest parametrizes a test once per
// `params=` value of every fixture in its closure, including fixtures requested by fixtures.
// Fixture names resolve as pytest resolves them: the innermost definition visible from the
// test (class, module, nearest conftest, ...), except that a fixture requesting its own name
// gets the next outer definition. Fixtures defined nowhere visible (plugins, builtins) are
// taken as unparametrized. A name imported into a layer may be a fixture defined elsewhere:
// it counts as one that may multiply (pytest settles it).
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "server/discovery/collect_rules.h"
#include "server/discovery/module_scope.h"

namespace fastest {

// The fixtures a class body, module or conftest defines. In a class, the first parameter of
// a fixture method is `self`/`cls`, not a request.
std::vector<FixtureDecl> fixture_decls(const Scope& scope, std::string_view source, bool in_class);

// Fixture definitions visible from one test, innermost layer first.
class FixtureLayers {
 public:
  void push_outer(const std::vector<FixtureDecl>* layer) { layers_.push_back(layer); }
  void push_inner(const std::vector<FixtureDecl>* layer) { layers_.insert(layers_.begin(), layer); }
  // True if requesting `name` multiplies the test (the fixture or one it requests has params).
  bool parametrizes(const std::string& name) const;
  // The fixture (or imported name) in `name`'s closure that multiplies the test, if any.
  const FixtureDecl* multiplier(const std::string& name) const;
  // An autouse fixture visible here that parametrizes every test, if any.
  const FixtureDecl* parametrizing_autouse() const;

 private:
  const FixtureDecl* multiplier(const std::string& name, size_t from_layer,
                                std::set<std::pair<std::string, size_t>>& seen) const;
  std::vector<const std::vector<FixtureDecl>*> layers_;
};

}  // namespace fastest
