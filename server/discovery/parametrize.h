// pytest's parametrize expansion, statically: the cases of one function and their exact ids
// (IdMaker: `_idval_from_value`, ids=, pytest.param(id=), stacking, duplicate suffixes).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <tree_sitter/api.h>

#include "server/core/model.h"
#include "server/discovery/collect_rules.h"
#include "server/discovery/python_literal.h"
#include "server/discovery/static_value.h"

namespace fastest {

struct ParamCase {
  std::string id;          // "1-a"; the item id is "func[1-a]"
  Range range;             // the source range of this case's values (nearest decorator's element)
  std::vector<Mark> marks; // marks given with pytest.param(..., marks=...)
};

struct Parametrization {
  std::vector<ParamCase> cases;
  std::vector<std::string> argnames;  // of every parametrize call, in order
  std::vector<std::vector<std::string>> call_argnames;  // the same, per call
  bool dynamic = false;
  std::string dynamic_reason;
};

// `calls`: the `call` nodes of the parametrize marks applying to one function, in pytest's
// application order: nearest the def first, then further decorators, then class-level
// marks (innermost class first), then module `pytestmark`.
// `unbound`: whether a name is bound nowhere in the module (so `range` is the builtin).
using UnboundCheck = std::function<bool(std::string_view name)>;
// `evaluator`: argnames, argvalues and ids= go through the static evaluator (names, comprehensions,
// range/zip/product, f-strings, ...); without it only literals (and range() of int literals) are read.
Parametrization expand_parametrize(const std::vector<TSNode>& calls, std::string_view source,
                                   const CollectRules& rules, const NameResolver& resolve,
                                   const UnboundCheck& unbound = {}, StaticEvaluator* evaluator = nullptr);

// One argvalues list (and its ids=) for `argnames`, as Metafunc.parametrize expands it: the
// mark's values, and a fixture's `params=` (pytest parametrizes those with the fixture's name
// and `ids=`). `force_tuple`: one argname given as a string, each value taken whole. With an
// evaluator, as a parametrize mark's values; without, literals only (and range() of ints).
struct ArgvaluesExpansion {
  std::vector<ParamCase> cases;
  std::string dynamic_reason;  // non-empty: not statically knowable
};
ArgvaluesExpansion expand_argvalues(const std::vector<std::string>& argnames, bool force_tuple, TSNode argvalues,
                                    TSNode ids, std::string_view source, const CollectRules& rules,
                                    const NameResolver& resolve, const UnboundCheck& unbound = {},
                                    StaticEvaluator* evaluator = nullptr);

}  // namespace fastest
