// Tests that exist only through code static discovery does not follow: a name pytest would
// collect (matching python_functions / python_classes) bound at module or class level to
// something other than a `def` or `class` (a call's result, an alias, a lambda, an attribute),
// or a namespace written through `globals()`, `setattr(...)`, `exec(...)`. Whether such a name
// holds a test is for pytest to say, so the module (or class) is dynamic.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <tree_sitter/api.h>

#include "server/discovery/module_scope.h"
#include "server/discovery/source_keywords.h"

namespace fastest {

// Whether a name would be collected if it held a function or class.
using TestNamePredicate = std::function<bool(std::string_view name)>;

// Why a scope's bindings may hold tests static discovery cannot see, or nothing. Names bound
// to a literal or display (a number, string, list, dict, comprehension...) are never callable:
// pytest does not collect them.
std::optional<std::string> computed_test_binding(const Scope& scope, std::string_view source,
                                                 const TestNamePredicate& collectable);

// Why a module-level `for` target or `with ... as` target binds a test-like name (to whatever
// the loop or context yields), or nothing. Statements under if/try/with/for are searched too.
std::optional<std::string> loop_bound_test_name(TSNode root, std::string_view source,
                                                const TestNamePredicate& collectable);

// Why the module's namespace may be written at import time by code (`globals()[...] = `,
// `setattr(module, ...)`, `exec(...)`), or nothing. With the module's tree and pytest's test
// name rule, a use inside a test function (or a function nested in one) does not count: it runs
// when the test does, after collection.
// `keywords`: the text's words counted beforehand (a Document's), or null to scan the text.
std::optional<std::string> namespace_written_by_code(std::string_view source, TSNode root = TSNode{},
                                                     const TestNamePredicate& collectable = nullptr,
                                                     const SourceKeywords* keywords = nullptr);

// Whether the code at byte `at` may run while the module is imported: anything but the body of a
// top-level function, or of a method of a top-level class, that no code run at import reaches
// (by name, transitively; a class only subclassed runs just its __init_subclass__). Decorated
// definitions on the way count as reached.
bool code_may_run_at_import(TSNode root, std::string_view source, size_t at);

// The bodies of top-level functions and of top-level classes' methods that no code run at
// import reaches (the rule above, for the whole module at once; a decorator other than pytest's
// marks and fixture, staticmethod, classmethod, property may call them): what they do happens
// after pytest collected, and cannot change the values its ids are made of.
std::vector<TSNode> bodies_not_run_at_import(TSNode root, std::string_view source);

// Whether the text holds any of the calls namespace_written_by_code looks for.
bool mentions_namespace_writer(std::string_view source, const SourceKeywords* keywords = nullptr);

// Whether code may write the module's own top-level names (not its classes' attributes):
// `globals()`, `exec`, `sys.modules[__name__]`, and `setattr` of anything but a plain name that
// `is_local` says is not the module (a parameter, a local: `setattr(cls, ...)`).
bool module_names_written_by_code(std::string_view source, TSNode root,
                                  const std::function<bool(std::string_view)>& may_name_module);

}  // namespace fastest
