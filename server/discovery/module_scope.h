// A module's or class body's namespace rebuilt from source, in `__dict__` order: a name keeps
// the position of its first binding and the value of its last. Shared by module discovery
// and conftest analysis.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <tree_sitter/api.h>

namespace fastest {

struct Binding {
  enum class Kind { Function, Class, Assignment, Import, Other };
  Kind kind = Kind::Other;
  TSNode definition{};                 // function_definition / class_definition
  TSNode outer{};                      // decorated_definition or the definition itself
  std::vector<TSNode> decorators;      // decorator expressions, top to bottom as written
  TSNode value{};                      // Assignment: the right-hand side
  // Assignment to a target in a pattern (`a, (b, c) = rhs`): `value` is null, `unpacked_from`
  // the right-hand side, and the name is its element `unpack_path[0]`, then that one's
  // `unpack_path[1]`...; `unpack_arity`: how many targets each level names (Python raises when
  // the sequence has another length). Unset under a starred target (`a, *rest = ...`).
  TSNode unpacked_from{};
  std::vector<uint32_t> unpack_path, unpack_arity;
  std::string import_from;             // Import: the dotted name it comes from
  bool from_import = false;            // Import: `from m import x` (else `import m`)
  bool aliased = false;                // Import: `... as name`
  bool conditional = false;            // defined under if/for/while or an except branch
  int count = 0;                       // how many times the name was bound
};

// A star import (`from m import *`) binds the name "*".
struct Scope {
  std::vector<std::string> order;                       // first-binding order
  std::unordered_map<std::string, Binding> bindings;    // last binding
  // A fresh binding for `name` (the last one wins), counting how often it was bound.
  Binding& bind(const std::string& name);
  const Binding* find(std::string_view name) const;
};

struct PythonFacts;
// Reads the statements of a module (root node) or class body (block) into a Scope. With the
// interpreter's facts, an `if`/`elif` whose condition they decide (sys.version_info, ...) binds
// only its taken branch, unconditionally; otherwise every branch binds conditionally.
// `module`: for a class body, the module's scope its conditions may read (`sys`).
Scope read_scope(TSNode block, std::string_view source, const PythonFacts* python = nullptr,
                 const Scope* module = nullptr);

bool is_false_literal(TSNode node);
// The dotted name an expression denotes through the module's imports, each bound once
// unconditionally (`given` after `from hypothesis import given` -> "hypothesis.given";
// `st.lists` after `from hypothesis import strategies as st` -> "hypothesis.strategies.lists"),
// or nullopt.
std::optional<std::string> imported_as(TSNode expr, std::string_view source, const Scope& scope);
// True if the decorator (called or not) names one of `names`, e.g. "pytest.fixture".
bool decorator_is(TSNode expr, std::string_view source, std::initializer_list<std::string_view> names);
bool is_fixture_decorator(TSNode expr, std::string_view source);
// A fixture decorator call with `params=`.
bool fixture_has_params(TSNode expr, std::string_view source);
// A fixture decorator call with `autouse=True`.
bool fixture_is_autouse(TSNode expr, std::string_view source);
// The fixture's name: `name=` of the decorator, else the function's name.
std::string fixture_name(const Binding& b, std::string_view name, std::string_view source);

// `name.append(...)` / `+=` / `.extend(...)` / `.insert(...)` in a module-level statement: a
// list built at run time, whatever its first binding says.
bool mutated_at_module_level(TSNode root, std::string_view source, std::string_view name);

}  // namespace fastest
