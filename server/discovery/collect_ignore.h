// A conftest's `collect_ignore` / `collect_ignore_glob` as pytest finds it after importing the
// conftest: the module-level statements that build it replayed in order (assignments of known
// values, `.append` / `.extend` / `+=`, `if` branches the interpreter decides).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <tree_sitter/api.h>

#include "server/discovery/collect_rules.h"
#include "server/discovery/module_scope.h"
#include "server/discovery/static_value.h"

namespace fastest {

// The list's final entries; an empty vector when the conftest never binds it; nullopt when
// anything that touches it is not known statically (then the folder is settled by pytest).
// `evaluator`: the conftest's (its names, and what they import when it follows imports).
std::optional<std::vector<std::string>> replay_collect_ignore(TSNode root, std::string_view source, std::string_view name,
                                                              StaticEvaluator& evaluator);

}  // namespace fastest
