// Module-level outcomes: code that runs when pytest imports a test module and may end its
// collection (`pytest.importorskip`, `pytest.skip(allow_module_level=True)`, `pytest.fail`).
// Whether it does depends on the interpreter, so such a module is settled by pytest.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <tree_sitter/api.h>

#include "server/discovery/collect_rules.h"
#include "server/discovery/module_scope.h"
#include "server/discovery/source_keywords.h"

namespace fastest {

// Why the module's collection depends on its import (e.g. "calls pytest.importorskip at
// module level (line 3): pytest skips the module when the import fails"), or nothing when no
// statement run at import calls one of pytest's outcome functions. Calls inside function
// bodies and lambdas run later (in tests and fixtures) and do not count.
// With the interpreter's facts (the evaluator's), an `if` they decide only counts its taken
// branch. `importorskip("x")` stays the interpreter's to decide even when x is on its path: a
// module found there may still skip or fail when imported (a project module calling pytest.skip).
class StaticEvaluator;
struct ModuleOutcome {
  std::string reason;
  bool may_skip = false;  // importorskip or skip; else pytest.fail/exit: the collection may fail
};
// `keywords`: the text's words counted beforehand (a Document's), or null to scan the text.
std::optional<ModuleOutcome> module_level_outcome(TSNode root, std::string_view source, const Scope& module,
                                                  StaticEvaluator* evaluator = nullptr,
                                                  const SourceKeywords* keywords = nullptr);

}  // namespace fastest
