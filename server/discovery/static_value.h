// A small, safe evaluator of the Python expressions pytest reads ids and conditions from:
// literals, names bound once to such values, containers, comprehensions, a few pure builtins
// (range, zip, enumerate, list, tuple, sorted, reversed, len, dict), itertools' product /
// combinations / permutations / chain, f-strings and str.format, pytest.param, and what the
// interpreter answers (sys.version_info, sys.platform, os.name, platform.python_implementation()).
// Anything else is Unknown, with the reason: the caller keeps the test dynamic. It never guesses.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <tree_sitter/api.h>

#include "server/discovery/collect_rules.h"
#include "server/discovery/module_scope.h"
#include "server/discovery/python_literal.h"

namespace fastest {

class StaticEvaluator;
class LibraryFacts;

// Where a value of an installed module came from (LibraryFacts' key): its attributes are
// asked the same way.
struct LibraryPath {
  std::string statement;  // "import numpy", "from math import pi"
  // The steps read after it, as JSON: an attribute's name, or a call's known arguments
  // (`["arange", {"a": [{"i": "3"}]}]`); "[]" for what the statement binds.
  std::string chain = "[]";
  std::string origin;     // the file pytest's import loads for the statement's top module, or ""
};

struct StaticValue {
  enum class Kind {
    Unknown, None, Bool, Int, Float, Complex, Str, Bytes,
    Tuple, List, Set, Dict,
    Named,     // a class or function (text: its __name__)
    Module,    // an imported module we know (text: "sys", "os", "platform", "itertools")
    Function,  // a callable we can evaluate (text: "range", "itertools.product", ...)
    Param,     // pytest.param(...): items are its values
    EnumMember,  // a member of an enum class: items[0] is what pytest renders (the name, an int, a str)
    Object,      // an instance pytest has no id for (a datetime.date, ...): argname+index
  };
  Kind kind = Kind::Unknown;
  std::string text;              // Int/Float/Complex/Bool/None: Python's str(); Bytes: raw; names
  std::u32string chars;          // Str
  long long integer = 0;         // Int/Bool, when `exact`
  bool exact = false;            // Int fits in 64 bits (arithmetic is allowed)
  std::vector<StaticValue> items;  // Tuple/List/Set/Param values; Dict: key, value, key, value...
  bool one_shot = false;         // an iterator (zip, generator, ...): consumed by one iteration
  bool iterable = false;         // Object: a collection whose elements (items) are known (np.arange(3))
  // Param: its id= (nullopt: none given) and whether marks= was given.
  std::optional<std::u32string> param_id;
  bool param_has_marks = false;
  TSNode node{};                 // the source node, for values written literally in place
  // Where a class or function (`node`: its definition, maybe in another module) is written in
  // a list of values: the case's range.
  TSNode written{};
  std::string why;               // Unknown: what could not be known
  // Named class: the evaluator of the module defining it (node: its class_definition), to read
  // its members; `changed`: passed to code that may change it, so its __name__ is not trusted
  // (an enum's members cannot be reassigned: their str() still is).
  StaticEvaluator* home = nullptr;
  bool changed = false;
  // A value an installed module gave (LibraryFacts), or a module bound by an import: an
  // attribute read of it is asked of the facts too.
  std::shared_ptr<const LibraryPath> library;

  bool known() const { return kind != Kind::Unknown; }
};

StaticValue unknown_value(std::string why);

// The value as python_literal's PyValue: pytest's `_idval_from_value` input.
PyValue to_id_value(const StaticValue& value);

// Evaluates expressions of one module. Names resolve to the module's (and a class body's)
// bindings when bound once, unconditionally, and never rebound or mutated anywhere in the file.
class StaticEvaluator {
 public:
  // `check_mutation`: scan the file for rebinding/mutation of names (off while the scope is
  // still being read statement by statement, where only earlier statements count).
  StaticEvaluator(std::string_view source, TSNode root, const Scope& module, const PythonFacts* python,
                  bool check_mutation = true);

  std::string_view source() const { return source_; }

  // The value of `expr`, evaluated where it stands (the class body enclosing it, if any;
  // `in_scope_only`: in the evaluator's scope alone, as while that scope is being read).
  StaticValue eval(TSNode expr, bool in_scope_only = false);
  // A condition's truth, or nullopt when unknown.
  std::optional<bool> truth(TSNode expr, bool in_scope_only = false);
  // A condition's truth with `class_scope` (may be null) as the class body it stands in.
  std::optional<bool> truth_in(TSNode expr, const Scope* class_scope);
  // The elements iterating `value` yields (nullopt: unknown, e.g. a set's hash order).
  static std::optional<std::vector<StaticValue>> iterate(const StaticValue& value);
  // Whether a name's value was read, for which the whole file (function bodies too) was
  // checked for code rebinding or mutating it.
  bool scanned_bodies() const { return unstable_.has_value(); }
  const PythonFacts* python() const { return python_; }
  // A name bound by an import (`from .data import CASES`): its value in the module it comes
  // from, as `follow` reads it (the project's own modules). Unset: imported names stay unknown.
  using ImportFollower = std::function<StaticValue(std::string_view name, const Binding& import)>;
  void follow_imports(ImportFollower follow) { follow_ = std::move(follow); }
  // Values of installed modules as the interpreter gave them (library_facts.h); `top_file`:
  // the file pytest's import loads for a top-level module (ModuleLookup::top_module_file).
  using TopModuleFile = std::function<std::optional<std::string>(std::string_view top)>;
  void use_library_facts(const LibraryFacts* facts, TopModuleFile top_file) {
    library_ = facts;
    top_file_ = std::move(top_file);
  }
  // A module-level name's value once the module has run (what `from <it> import name` gets).
  StaticValue module_value(std::string_view name);
  // What calling `callee` (a Named function or lambda of this evaluator's module) returns, when
  // its body is one returned expression; `at`: where the call stands in this module.
  StaticValue call_user_function(const StaticValue& callee, const std::vector<StaticValue>& positional,
                                 const std::vector<std::pair<std::string, StaticValue>>& keyword, uint32_t at, int depth);

 public:
  struct Args {
    std::vector<TSNode> positional;
    std::vector<std::pair<std::string, TSNode>> keyword;
    bool splat = false;
    // With `splat`: the positional arguments in order, `*x` included (for a str method, which
    // takes a known sequence unpacked), and whether `**` was given (never read).
    std::vector<TSNode> positional_and_unpacked;
    bool dict_splat = false;
  };

 private:
  struct Frame { std::unordered_map<std::string, StaticValue> names; };
  struct Context {
    const Scope* class_scope = nullptr;  // visible class body, or null
    std::vector<Frame>* frames = nullptr;
    int depth = 0;
    uint32_t at = UINT32_MAX;  // where the expression stands: names bound after it are not bound yet
  };
  StaticValue eval_in(TSNode expr, Context& ctx);
  StaticValue lookup(std::string_view name, Context& ctx);
  StaticValue call(TSNode node, Context& ctx);
  StaticValue call_function(const std::string& f, const Args& args, Context& ctx);
  StaticValue param(TSNode node, const Args& args, Context& ctx);
  StaticValue method_call(const StaticValue& object, std::string_view method, const Args& args, Context& ctx);
  StaticValue comprehension(TSNode node, Context& ctx);
  StaticValue fstring(TSNode node, Context& ctx);
  StaticValue attribute(TSNode node, Context& ctx);
  StaticValue subscript(TSNode node, Context& ctx);
  StaticValue binary(TSNode node, Context& ctx);
  StaticValue compare(TSNode node, Context& ctx);
  StaticValue binding_value(const Binding& b, std::string_view name, const Scope* class_scope, Context& ctx);
  // A name bound by several plain statements of one body, read after some of them.
  std::optional<StaticValue> bound_in_sequence(const Binding& b, std::string_view name, const Scope* class_scope,
                                               Context& ctx);
  std::optional<StaticValue> built_list(const Binding& b, std::string_view name, Context& ctx);
  bool replay_growth(TSNode stmt, const std::unordered_set<std::string>& growable, bool in_function, Context& ctx);
  StaticValue run_function_body(const StaticValue& callee, Frame frame, uint32_t at, int depth);
  StaticValue enum_member(const StaticValue& cls, std::string_view attr);
  StaticValue datetime_object(const std::string& f, const std::vector<StaticValue>& values,
                              const std::vector<std::pair<std::string, StaticValue>>& keyword);
  std::optional<std::string> enum_base(TSNode base);
  bool name_is_rebound(std::string_view name);
  const Scope* class_scope_of(TSNode expr);
  bool name_is_stable(std::string_view name);

  std::string_view source_;
  TSNode root_;
  const Scope& module_;
  const PythonFacts* python_;
  bool check_mutation_;
  std::optional<std::unordered_set<std::string>> unstable_;  // rebound or mutated names (lazy)
  std::unordered_set<std::string> elements_mutated_;  // names whose elements may change (with unstable_)
  std::unordered_set<std::string> rebound_;           // names bound again (with unstable_)
  std::unordered_set<std::string> changed_otherwise_; // changed by more than method calls on them (with unstable_)
  std::unordered_set<std::string> plus_extended_;     // changed by `X += ...` (with unstable_): otherwise, but for built_list
  // Changed by more than method calls on it, `+=` included.
  bool changed_otherwise(std::string_view name) const {
    const std::string key(name);
    return changed_otherwise_.count(key) || plus_extended_.count(key);
  }
  std::unordered_map<std::string, std::vector<TSNode>> method_changes_;  // `X.m(...)` calls that may change X
  std::unordered_set<std::string> changed_deeper_;    // changed through an element or attribute
  std::unordered_set<std::string> shared_;            // values other names may share (aliases, arguments)
  // `value` as `name` holds it when code changes its elements in place: the elements whose id
  // could change become unknown in their places (or the whole value, when that cannot be).
  StaticValue stable_elements(std::string_view name, StaticValue value);
  std::unordered_map<uint32_t, std::unique_ptr<Scope>> class_scopes_;  // by class body start byte
  std::unordered_map<std::string, StaticValue> module_memo_;
  size_t budget_ = 0;
  // What the import binding `name` gives, asked of the library facts (nullopt: none to ask).
  std::optional<StaticValue> library_binding(const Binding& b);
  std::shared_ptr<const LibraryPath> library_import_path(const Binding& b);
  StaticValue library_value(std::shared_ptr<const LibraryPath> path);
  // A call of an installed module's function or class with known arguments, asked of the
  // interpreter (which calls it twice: a result that differs is not an answer).
  StaticValue library_call(const LibraryPath& callee, const Args& args, Context& ctx);
  std::optional<StaticValue> builtin_of_library_values(TSNode function, const Args& args, Context& ctx);
  // A dict of (key, value, key, value, ...) as Python builds it: a repeated key keeps its first
  // place and its last value; keys only the interpreter can compare are asked of it.
  StaticValue dict_of_pairs(std::vector<StaticValue> pairs);
  static void give_library_paths(StaticValue& v, const std::shared_ptr<const LibraryPath>& path, int depth = 0);
  const LibraryFacts* library_ = nullptr;
  TopModuleFile top_file_;
  ImportFollower follow_;  // elements produced: bounded so a huge product stays Unknown
};

}  // namespace fastest
