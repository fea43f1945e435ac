// The names a test function requests as fixtures, as pytest's getfuncargnames reads the
// function pytest is handed: decorators that replace the signature (hypothesis' @given) or that
// pass arguments themselves (mock.patch) change them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <tree_sitter/api.h>

#include "server/discovery/module_scope.h"

namespace fastest {

struct TestArgnames {
  std::vector<std::string> names;
  std::string unknown;  // non-empty: what a decorator does to the signature is not read statically
  // Every name the function's own signature could give (a superset of `names` whatever its
  // decorators do): when none of them reaches a parametrized fixture, an unknown does not matter.
  std::vector<std::string> at_most;
};

// `function`: a function_definition; `decorators` top to bottom as written; `scope`: the module's
// names (what `given` and `patch` are imported as); `skip_first`: a method (not a staticmethod),
// whose first parameter pytest drops.
// pytest keeps the parameters without a default, positional-or-keyword or keyword-only; then
// drops a method's first; then, for a wrapped function, the first one per mock.patch decorator
// without `new` (num_mock_patch_args). hypothesis' @given gives the test a signature without the
// arguments it provides (its positional strategies fill the rightmost positional parameters).
TestArgnames test_argnames(TSNode function, const std::vector<TSNode>& decorators, std::string_view source,
                           const Scope& scope, bool skip_first);

}  // namespace fastest
