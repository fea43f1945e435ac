// Reading a `pytest_generate_tests` hook (a conftest's or a test module's) to tell which tests it
// parametrizes, and how. The common shape, from pytest's own documentation, is a chain of
//     if "name" in metafunc.fixturenames:
//         metafunc.parametrize("name", VALUES)
// A test whose fixture closure (`metafunc.fixturenames`) holds none of the names tested is not
// touched: its ids are static. A branch that is one `metafunc.parametrize` of values known
// statically gives its cases; any other branch leaves the tests reaching it to pytest. A hook
// of any other shape is not read (it stays a collection hook: pytest settles every test).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <tree_sitter/api.h>

#include "server/discovery/collect_rules.h"
#include "server/discovery/parametrize.h"
#include "server/discovery/static_value.h"

namespace fastest {

// One `if "guard" in metafunc.fixturenames:` branch.
struct GuardedParametrize {
  std::string guard;
  // Set when the branch is exactly one `metafunc.parametrize(argnames, argvalues[, ids=])` of
  // values known statically; `unknown` says why not otherwise.
  std::optional<Parametrization> parametrization;
  std::string unknown;
};

struct GenerateTestsHook {
  std::string where;  // "conftest.py", "tests/conftest.py", "the module": for dynamic reasons
  // Each if/elif chain: for one test, its first branch whose guard is in the closure runs.
  std::vector<std::vector<GuardedParametrize>> chains;
};

// What a hook does to one test.
struct GeneratedParametrization {
  // The parametrize calls it makes, in order (each one call: argnames, cases).
  std::vector<Parametrization> calls;
  std::string dynamic_reason;  // non-empty: pytest settles the test
};

// `hook`: the function_definition of `pytest_generate_tests`; `outer`: its decorated_definition
// or itself. nullopt with `why` set: not of the shape read here. The values go through
// `evaluator` (the source's module scope).
std::optional<GenerateTestsHook> read_generate_tests(TSNode hook, TSNode outer, std::string_view source,
                                                     const CollectRules& rules, const NameResolver& resolve,
                                                     const UnboundCheck& unbound, StaticEvaluator* evaluator,
                                                     std::string& why);

// The parametrization `hook` gives a test whose `metafunc.fixturenames` is `closure`.
GeneratedParametrization apply_generate_tests(const GenerateTestsHook& hook, const std::vector<std::string>& closure);

}  // namespace fastest
