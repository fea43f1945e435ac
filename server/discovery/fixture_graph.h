// Which fixtures multiply the tests that request them, and how: pytest parametrizes a test
// once per `params=` value of every fixture in its closure, including fixtures requested by
// fixtures. Fixture names resolve as pytest resolves them: the innermost definition visible
// from the test (class, module, nearest conftest, ...), except that a fixture requesting its
// own name gets the next outer definition. Fixtures defined nowhere visible (plugins, builtins)
// are taken as unparametrized. A name imported into a layer may be a fixture defined
// elsewhere: reaching it leaves the test to pytest.
//
// The reference is pytest's `getfixtureinfo`/`getfixtureclosure` (closure order: autouse
// names outermost first, then usefixtures, then arguments, depth first) and
// `FixtureManager.pytest_generate_tests` (one indirect parametrize per parametrized fixture of
// the closure, in closure order, before the test's parametrize marks). Only function-scoped
// params are expanded: higher scopes make `reorder_items` regroup tests, left to pytest.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "server/discovery/collect_rules.h"
#include "server/discovery/module_scope.h"
#include "server/discovery/parametrize.h"

namespace fastest {

// The fixtures a class body, module or conftest defines. In a class, the first parameter of
// a fixture method is `self`/`cls`, not a request. `params=`/`ids=` are expanded with the
// same evaluator as parametrize marks (`evaluator`, whose scopes are the source's own; without
// it literals only: `resolve`: the module's names, in a class body a name the class binds is
// not followed).
std::vector<FixtureDecl> fixture_decls(const Scope& scope, std::string_view source, bool in_class,
                                       const CollectRules& rules = {}, const NameResolver& resolve = {},
                                       const UnboundCheck& unbound = {}, StaticEvaluator* evaluator = nullptr);

// The fixtures of a class and its in-module bases (MRO order, most derived first) as pytest
// registers them on the class node: `dir(cls)` holds one attribute per name.
std::vector<FixtureDecl> merge_class_fixtures(const std::vector<std::vector<FixtureDecl>>& mro_layers);

// What the fixtures of one test's closure add to it.
struct FixtureParametrization {
  // The product of the parametrized fixtures' values, first fixture outermost, ids joined by
  // "-" (empty when no fixture of the closure is parametrized).
  std::vector<FixtureParam> cases;
  std::string dynamic_reason;  // non-empty: pytest settles the test
  // metafunc.fixturenames: every name of the closure, in pytest's order (with the reason empty).
  std::vector<std::string> closure;
};

// Fixture definitions visible from one test, innermost layer first.
class FixtureLayers {
 public:
  void push_outer(const std::vector<FixtureDecl>* layer) { layers_.push_back(layer); }
  void push_inner(const std::vector<FixtureDecl>* layer) { layers_.insert(layers_.begin(), layer); }
  // The visible definitions of `name`, innermost first (an import of the name, or a star
  // import, stands for a definition pytest may find there).
  std::vector<const FixtureDecl*> definitions(const std::string& name) const;

  // pytest's parametrization of a test by its fixtures. `arguments`: the names its signature
  // requests; `usefixtures`: the usefixtures marks' names (nearest mark first);
  // `direct_args`: argnames of parametrize marks that are not indirect (pytest does not look
  // for their fixtures); `mark_args`: every argname of the test's parametrize marks (those
  // fixtures' own params give way to the mark's values).
  FixtureParametrization parametrize(const std::vector<std::string>& arguments,
                                     const std::vector<std::string>& usefixtures,
                                     const std::set<std::string>& direct_args,
                                     const std::set<std::string>& mark_args) const;

 private:
  std::vector<std::string> closure(const std::vector<std::string>& initial, const std::set<std::string>& ignore,
                                   std::string& unknown) const;
  std::vector<const std::vector<FixtureDecl>*> layers_;
};

}  // namespace fastest
