#include "server/discovery/static_value.h"

#include <gmpxx.h>

#include <algorithm>
#include <functional>
#include <charconv>
#include <cmath>

#include "server/discovery/computed_bindings.h"
#include "server/discovery/library_facts.h"
#include "server/discovery/ts_util.h"

namespace fastest {
std::optional<double> exact_double(const StaticValue& v);  // below, with the float operators
StaticValue complex_of(const std::vector<StaticValue>& values);
std::optional<StaticValue> complex_binary(std::string_view op, const StaticValue& a, const StaticValue& b);

namespace {

using Kind = StaticValue::Kind;

constexpr int kMaxDepth = 24;             // nested expressions and name chains (also cycles)
constexpr size_t kMaxElements = 200000;   // values produced per evaluator: beyond, Unknown

StaticValue make(Kind kind) {
  StaticValue v;
  v.kind = kind;
  return v;
}

StaticValue make_int(long long n) {
  StaticValue v = make(Kind::Int);
  v.integer = n;
  v.exact = true;
  v.text = std::to_string(n);
  return v;
}

StaticValue make_bool(bool b) {
  StaticValue v = make(Kind::Bool);
  v.integer = b ? 1 : 0;
  v.exact = true;
  v.text = b ? "True" : "False";
  return v;
}

StaticValue make_str(std::u32string chars) {
  StaticValue v = make(Kind::Str);
  v.chars = std::move(chars);
  return v;
}

StaticValue make_seq(Kind kind, std::vector<StaticValue> items) {
  StaticValue v = make(kind);
  v.items = std::move(items);
  return v;
}

// `path` with one more step (JSON text) in its chain.
std::shared_ptr<const LibraryPath> library_step(const LibraryPath& path, const std::string& step) {
  auto next = std::make_shared<LibraryPath>(path);
  next->chain = path.chain == "[]" ? "[" + step + "]" : path.chain.substr(0, path.chain.size() - 1) + "," + step + "]";
  return next;
}

// The path of attribute `attr` (an identifier: nothing to escape) of a value read through `path`.
std::shared_ptr<const LibraryPath> library_attribute(const LibraryPath& path, std::string_view attr) {
  return library_step(path, "\"" + std::string(attr) + "\"");
}

void append_json_string(std::string& out, std::string_view utf8) {
  out += '"';
  for (unsigned char c : utf8) {
    if (c == '"' || c == '\\') { out += '\\'; out += static_cast<char>(c); }
    else if (c < 0x20) {
      static const char* hex = "0123456789abcdef";
      out += "\\u00";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else out += static_cast<char>(c);
  }
  out += '"';
}

// A known value as a call's argument in a library path (worker/fastest_worker/library_facts.py
// decodes it): nullopt for what the interpreter cannot rebuild (a project's class, an object).
std::optional<std::string> library_argument(const StaticValue& v, int depth = 0) {
  if (depth > 8) return std::nullopt;
  if (v.library) {
    std::string out = "{\"p\":[";
    append_json_string(out, v.library->statement);
    out += "," + v.library->chain + ",";
    append_json_string(out, v.library->origin);
    return out + "]}";
  }
  auto seq = [&](const char* tag, const std::vector<StaticValue>& items) -> std::optional<std::string> {
    std::string out = std::string("{\"") + tag + "\":[";
    for (size_t i = 0; i < items.size(); ++i) {
      auto item = library_argument(items[i], depth + 1);
      if (!item) return std::nullopt;
      out += (i ? "," : "") + *item;
    }
    return out + "]}";
  };
  switch (v.kind) {
    case Kind::None: return "null";
    case Kind::Bool: return v.integer ? "true" : "false";
    case Kind::Int: return "{\"i\":\"" + v.text + "\"}";
    case Kind::Float: return "{\"f\":\"" + v.text + "\"}";
    case Kind::Complex: return "{\"c\":\"" + v.text + "\"}";
    case Kind::Str: {
      std::string out;
      append_json_string(out, to_utf8(v.chars));
      return out;
    }
    case Kind::Bytes: {
      static const char* hex = "0123456789abcdef";
      std::string out = "{\"b\":\"";
      for (unsigned char c : v.text) { out += hex[c >> 4]; out += hex[c & 15]; }
      return out + "\"}";
    }
    case Kind::Tuple: return v.one_shot ? std::nullopt : seq("t", v.items);
    case Kind::List: return v.one_shot ? std::nullopt : seq("l", v.items);
    case Kind::Dict: return seq("d", v.items);
    default: return std::nullopt;
  }
}

std::u32string ascii32(std::string_view s) { return std::u32string(s.begin(), s.end()); }

bool is_int_like(const StaticValue& v) { return (v.kind == Kind::Int || v.kind == Kind::Bool) && v.exact; }

// Python's ints have no bound: one past 64 bits is an Int with `text` alone (its decimal str()).
std::optional<mpz_class> big_int_of(const StaticValue& v) {
  if (is_int_like(v)) return mpz_class(std::to_string(v.integer));
  if (v.kind != Kind::Int || v.text.empty() || v.text.find_first_not_of("-0123456789") != std::string::npos ||
      v.text.find('-', 1) != std::string::npos || v.text == "-")
    return std::nullopt;
  mpz_class n;
  if (n.set_str(v.text, 10) != 0) return std::nullopt;  // never throws: a text GMP refuses is not an int
  return n;
}

// CPython refuses str() of an int past 4300 digits (sys.int_info.default_max_str_digits):
// pytest's id of one raises.
constexpr size_t kMaxIntStrDigits = 4300;

StaticValue make_big_int(const mpz_class& n) {
  if (n.fits_slong_p()) return make_int(n.get_si());
  StaticValue v = make(Kind::Int);
  v.text = n.get_str(10);
  if (v.text.size() - (v.text[0] == '-') > kMaxIntStrDigits) return unknown_value("an int too large for str()");
  return v;  // not `exact`: 64-bit arithmetic does not take it, big_int_of does
}

// A literal leaf through python_literal's evaluate().
StaticValue from_literal(TSNode node, std::string_view source) {
  PyValue p = evaluate(node, source, nullptr);
  switch (p.kind) {
    case PyValue::Kind::Str: return make_str(std::move(p.chars));
    case PyValue::Kind::Bytes: { StaticValue v = make(Kind::Bytes); v.text = p.text; return v; }
    case PyValue::Kind::Number: {
      if (p.text == "True" || p.text == "False") return make_bool(p.text == "True");
      if (p.text == "None") { StaticValue v = make(Kind::None); v.text = "None"; return v; }
      if (!p.text.empty() && p.text.back() == 'j') { StaticValue v = make(Kind::Complex); v.text = p.text; return v; }
      if (p.text.find_first_not_of("-0123456789") == std::string::npos) {
        StaticValue v = make(Kind::Int);
        v.text = p.text;
        auto [ptr, ec] = std::from_chars(p.text.data(), p.text.data() + p.text.size(), v.integer);
        v.exact = ec == std::errc() && ptr == p.text.data() + p.text.size();
        return v;
      }
      StaticValue v = make(Kind::Float);
      v.text = p.text;
      return v;
    }
    default: return unknown_value(p.why.empty() ? "not a literal" : p.why);
  }
}

// Python's repr() of a str, for the ASCII-printable strings whose repr is simple.
std::optional<std::u32string> str_repr(const std::u32string& s) {
  bool has_single = s.find(U'\'') != std::u32string::npos, has_double = s.find(U'"') != std::u32string::npos;
  char32_t q = has_single && !has_double ? U'"' : U'\'';
  std::u32string out(1, q);
  for (char32_t c : s) {
    if (c == '\\') out += U"\\\\";
    else if (c == '\n') out += U"\\n";
    else if (c == '\r') out += U"\\r";
    else if (c == '\t') out += U"\\t";
    else if (c == q) { out += U'\\'; out += c; }
    else if (c < 0x20 || c >= 0x7F) return std::nullopt;  // \x.. / isprintable(): not mirrored here
    else out += c;
  }
  out += q;
  return out;
}

// str() (or repr() when `as_repr`) of a value, for f-strings and str.format.
std::optional<std::u32string> to_text(const StaticValue& v, bool as_repr) {
  switch (v.kind) {
    case Kind::Str: return as_repr ? str_repr(v.chars) : std::optional(v.chars);
    case Kind::Int: case Kind::Bool: case Kind::None: case Kind::Float: case Kind::Complex:
      return ascii32(v.text);
    case Kind::Tuple: case Kind::List: {
      std::u32string out = v.kind == Kind::Tuple ? U"(" : U"[";
      for (size_t i = 0; i < v.items.size(); ++i) {
        auto part = to_text(v.items[i], true);
        if (!part) return std::nullopt;
        out += (i ? U", " : U"") + *part;
      }
      if (v.kind == Kind::Tuple && v.items.size() == 1) out += U",";
      out += v.kind == Kind::Tuple ? U")" : U"]";
      return out;
    }
    default: return std::nullopt;
  }
}

// The format specs applied here: "" and, for ints, `[0][width][d]`; for str, `[width][s]`.
std::optional<std::u32string> apply_spec(const StaticValue& v, std::u32string_view spec, std::optional<char32_t> conversion) {
  if (conversion && *conversion != 's' && *conversion != 'r') return std::nullopt;
  StaticValue target = v;
  if (conversion) {
    auto t = to_text(v, *conversion == 'r');
    if (!t) return std::nullopt;
    target = make_str(*t);
  }
  if (spec.empty()) return to_text(target, false);
  bool zero = spec[0] == '0';
  std::u32string_view digits = zero ? spec.substr(1) : spec;
  char type = 0;
  if (!digits.empty() && (digits.back() == 'd' || digits.back() == 's')) {
    type = static_cast<char>(digits.back());
    digits.remove_suffix(1);
  }
  size_t width = 0;
  for (char32_t c : digits) {
    if (c < '0' || c > '9' || width > 1000) return std::nullopt;
    width = width * 10 + (c - '0');
  }
  if (target.kind == Kind::Int && type != 's') {
    std::u32string t = ascii32(target.text);
    if (t.size() >= width) return t;
    if (!zero) return std::u32string(width - t.size(), U' ') + t;
    bool negative = t[0] == '-';
    std::u32string digits_only = negative ? t.substr(1) : t;
    return (negative ? U"-" : U"") + std::u32string(width - t.size(), U'0') + digits_only;
  }
  if (target.kind == Kind::Str && type != 'd' && !zero) {
    std::u32string t = target.chars;
    if (t.size() < width) t += std::u32string(width - t.size(), U' ');
    return t;
  }
  return std::nullopt;
}

// Python's ordering for the values sorted() and comparisons read: ints/bools, strs, tuples
// and lists of them. nullopt: not comparable here (or a TypeError in Python).
std::optional<int> order(const StaticValue& a, const StaticValue& b) {
  if (is_int_like(a) && is_int_like(b)) return a.integer < b.integer ? -1 : a.integer > b.integer ? 1 : 0;
  if (a.kind == Kind::Int || b.kind == Kind::Int)
    if (auto x = big_int_of(a), y = big_int_of(b); x && y) return cmp(*x, *y) < 0 ? -1 : cmp(*x, *y) > 0 ? 1 : 0;
  if (a.kind == Kind::Str && b.kind == Kind::Str) return a.chars < b.chars ? -1 : a.chars > b.chars ? 1 : 0;
  if (a.kind == Kind::Bytes && b.kind == Kind::Bytes) return a.text < b.text ? -1 : a.text > b.text ? 1 : 0;
  if ((a.kind == Kind::Tuple && b.kind == Kind::Tuple) || (a.kind == Kind::List && b.kind == Kind::List)) {
    for (size_t i = 0; i < a.items.size() && i < b.items.size(); ++i) {
      auto c = order(a.items[i], b.items[i]);
      if (!c) return std::nullopt;
      if (*c != 0) return c;
    }
    return a.items.size() < b.items.size() ? -1 : a.items.size() > b.items.size() ? 1 : 0;
  }
  return std::nullopt;
}

// Python's ==, where it is known.
std::optional<bool> equal(const StaticValue& a, const StaticValue& b) {
  if (!a.known() || !b.known()) return std::nullopt;
  if (a.kind == Kind::EnumMember || b.kind == Kind::EnumMember) return std::nullopt;  // an IntEnum/StrEnum equals its value
  if (is_int_like(a) && is_int_like(b)) return a.integer == b.integer;
  if (a.kind == Kind::Int || b.kind == Kind::Int)
    if (auto x = big_int_of(a), y = big_int_of(b); x && y) return *x == *y;
  if (a.kind == Kind::None || b.kind == Kind::None) return a.kind == b.kind;
  if (a.kind == Kind::Str || b.kind == Kind::Str) {
    if (a.kind != b.kind) return false;
    return a.chars == b.chars;
  }
  if (a.kind == Kind::Bytes && b.kind == Kind::Bytes) return a.text == b.text;
  if ((a.kind == Kind::Tuple || a.kind == Kind::List) && (b.kind == Kind::Tuple || b.kind == Kind::List)) {
    if (a.kind != b.kind) return false;
    if (a.items.size() != b.items.size()) return false;
    for (size_t i = 0; i < a.items.size(); ++i) {
      auto e = equal(a.items[i], b.items[i]);
      if (!e) return std::nullopt;
      if (!*e) return false;
    }
    return true;
  }
  return std::nullopt;
}

std::optional<bool> truth_of(const StaticValue& v) {
  switch (v.kind) {
    case Kind::None: return false;
    case Kind::Bool: case Kind::Int: return v.exact ? std::optional(v.integer != 0) : std::optional(true);
    case Kind::Str: return !v.chars.empty();
    case Kind::Bytes: return !v.text.empty();
    case Kind::Tuple: case Kind::List: case Kind::Dict: case Kind::Set:
      return v.one_shot ? std::optional(true) : std::optional(!v.items.empty());
    case Kind::Named: case Kind::Module: case Kind::Function: return true;
    default: return std::nullopt;
  }
}

// Read-only methods: calling them on a name does not change its value.
bool is_read_only_method(std::string_view m) {
  static const std::unordered_set<std::string_view> names{
      "copy", "count", "index", "keys", "values", "items", "get", "format", "join", "split", "rsplit",
      "strip", "lstrip", "rstrip", "startswith", "endswith", "upper", "lower", "replace", "encode",
      "decode", "splitlines", "title", "capitalize", "find", "rfind", "isdigit", "isalpha", "isalnum",
      "isidentifier", "casefold", "zfill", "ljust", "rjust", "center", "partition", "rpartition",
      "issubset", "issuperset", "union", "intersection", "difference", "symmetric_difference",
      "isdisjoint", "hex", "bit_length", "fromkeys"};
  return names.count(m) > 0;
}

// Callees that do not mutate what they are given (and do not keep it to mutate later).
bool is_pure_callee(std::string_view callee) {
  static const std::unordered_set<std::string_view> names{
      "len", "list", "tuple", "sorted", "reversed", "enumerate", "zip", "range", "set", "frozenset",
      "dict", "str", "repr", "print", "isinstance", "min", "max", "sum", "any", "all", "iter",
      "itertools.product", "product", "itertools.combinations", "combinations",
      "itertools.permutations", "permutations", "itertools.chain", "chain", "pytest.param",
      "pytest.fixture", "fixture", "pytest.raises", "id", "hash", "bool", "int", "float", "complex",
      "getattr", "hasattr", "issubclass", "callable", "type", "partial", "functools.partial", "dir",
      "metafunc.parametrize"};  // pytest reads its argvalues, never changes them
  return names.count(callee) > 0 || callee.starts_with("pytest.mark.");
}

// The __name__ of a function of the `operator` module (`operator.__add__` is `add`), the same
// in every Python 3 since 3.5; nothing for a name it may not have.
std::optional<std::string_view> operator_function_name(std::string_view attr) {
  static const std::unordered_set<std::string_view> names{
      "abs",     "add",      "and_",     "concat",  "contains",  "countOf", "delitem",  "eq",       "floordiv",
      "ge",      "getitem",  "gt",       "iadd",    "iand",      "iconcat", "ifloordiv", "ilshift", "imatmul",
      "imod",    "imul",     "index",    "indexOf", "inv",       "invert",  "ior",      "ipow",     "irshift",
      "is_",     "is_not",   "isub",     "itruediv", "ixor",     "le",      "length_hint", "lshift", "lt",
      "matmul",  "mod",      "mul",      "ne",      "neg",       "not_",    "or_",      "pos",      "pow",
      "rshift",  "setitem",  "sub",      "truediv", "truth",     "xor"};
  std::string_view name = attr;
  if (name.size() > 4 && name.starts_with("__") && name.ends_with("__")) {
    name = name.substr(2, name.size() - 4);
    if (name == "and" || name == "or" || name == "not") {
      static const std::unordered_set<std::string_view> keyword_names{"and_", "or_", "not_"};
      return *keyword_names.find(std::string(name) + "_");
    }
    // Only the operator dunders alias a function of the same name.
    if (name == "countOf" || name == "indexOf" || name == "is_" || name == "is_not" || name == "truth" ||
        name == "length_hint")
      return std::nullopt;
  }
  auto it = names.find(name);
  if (it == names.end()) return std::nullopt;
  return *it;
}

// `datetime.date(...)`: a constructor of the datetime module, which it does not change.
bool is_datetime_constructor(std::string_view callee) {
  return callee == "datetime.date" || callee == "datetime.datetime" || callee == "datetime.time" ||
         callee == "datetime.timedelta";
}

// The identifier an assignment target or method receiver is rooted at: `a[0].b` -> a.
TSNode root_identifier(TSNode node) {
  node = ts::unparen(node);
  while (ts::is(node, "subscript") || ts::is(node, "attribute")) node = ts::unparen(ts::field(node, ts::is(node, "subscript") ? "value" : "object"));
  return ts::is(node, "identifier") ? node : TSNode{};
}

void identifiers_in(TSNode node, std::string_view source, std::vector<std::string>& out) {
  if (ts_node_is_null(node)) return;
  // A cursor walk: indexing children is O(index), and a value may be a list of thousands.
  TSTreeCursor cursor = ts_tree_cursor_new(node);
  for (bool more = true; more;) {
    TSNode n = ts_tree_cursor_current_node(&cursor);
    if (ts::is(n, "identifier")) out.emplace_back(ts::text(n, source));
    if (ts_tree_cursor_goto_first_child(&cursor)) continue;
    while (!ts_tree_cursor_goto_next_sibling(&cursor)) {
      if (!ts_tree_cursor_goto_parent(&cursor)) { more = false; break; }
    }
  }
  ts_tree_cursor_delete(&cursor);
}

// Installed libraries' functions documented to read what they are given and never change it:
// hypothesis' strategies build strategies from their arguments (`sampled_from(TYPES)`), and
// @given / @example / @settings take strategies and values.
bool library_reads_arguments_only(TSNode function, std::string_view source, const Scope* module) {
  if (!module) return false;
  std::optional<std::string> name = imported_as(function, source, *module);
  if (!name) return false;
  return name->starts_with("hypothesis.strategies.") || *name == "hypothesis.given" ||
         *name == "hypothesis.example" || *name == "hypothesis.settings";
}

struct MutationScan {
  std::string_view source;
  const Scope* module = nullptr;  // the module's names: what a callee is imported as
  // Names bound again (a loop target, `as`, `global`, ...) and names whose value may be changed
  // in place (a method call, an argument, item or attribute assignment, `+=`, `del x[0]`).
  // Only a change in place reaches the values a name was bound from (an alias, an element):
  // binding `i` again in `for i in range(3)` does not touch `range`.
  std::unordered_set<std::string> rebound;
  std::unordered_set<std::string> mutated;
  std::unordered_set<std::string> unstable;  // both, after walk()
  // Names whose elements (or their elements) may change in place: a loop's name changed
  // (`for row in ROWS: row.append(0)`). Harmless when every element is immutable.
  std::unordered_set<std::string> elements_mutated;
  // Changed by anything but a method call on them (`sys.path.insert(...)` calls on `sys`): a
  // module's constants stay what they are under calls of its functions.
  std::unordered_set<std::string> changed_otherwise;
  // Extended by `X += ...` (an identifier): changed otherwise too, except for built_list, which
  // replays it as `X.extend(...)`.
  std::unordered_set<std::string> plus_extended;
  // `X.method(...)` calls that may change X, by X (a built list is replayed from them), and the
  // names changed through more than their own name (`X[0].append`, `X.a.append`).
  std::unordered_map<std::string, std::vector<TSNode>> method_changes;
  std::unordered_set<std::string> changed_deeper;
  // Names whose value another name may share (`Y = X`, `f(a=X)`, `[X]`): a change through the
  // other name is not one of X's method calls.
  std::unordered_set<std::string> shared;
  struct Flow {
    std::vector<std::string> to, from;  // targets <- sources
    std::vector<std::string> whole;     // the sources taken whole (not an attribute's object: `m` of `m.X`)
    bool element = false;               // the targets are elements of the sources (a loop)
  };
  std::vector<Flow> flows;

  void mutate_root(TSNode target, bool method_receiver = false) {
    TSNode id = root_identifier(target);
    if (ts_node_is_null(id)) return;
    mutated.emplace(ts::text(id, source));
    if (!method_receiver) changed_otherwise.emplace(ts::text(id, source));
  }
  void rebind_all(TSNode target) {
    std::vector<std::string> names;
    identifiers_in(target, source, names);
    rebound.insert(names.begin(), names.end());
  }
  void mutate_all(TSNode target) {
    std::vector<std::string> names;
    identifiers_in(target, source, names);
    mutated.insert(names.begin(), names.end());
    changed_otherwise.insert(names.begin(), names.end());
  }
  // A target that is an item or attribute (`for x[0] in ...`) changes the object it is rooted at.
  static bool writes_into(TSNode target) {
    if (ts_node_is_null(target)) return false;
    if (ts::is(target, "subscript") || ts::is(target, "attribute")) return true;
    for (TSNode c : ts::named_children(target))
      if (writes_into(c)) return true;
    return false;
  }
  void flow(TSNode target, TSNode value, bool element = false) {
    Flow f;
    f.element = element;
    identifiers_in(target, source, f.to);
    values_in(value, f.from, f.whole, false);
    if (!element) shared.insert(f.from.begin(), f.from.end());
    if (!f.to.empty() && !f.from.empty()) flows.push_back(std::move(f));
  }
  // The names a value may share objects with: a called name (`range(3)`, `f(x)`) is not among
  // them, its arguments and a method's receiver are.
  void values_in(TSNode node, std::vector<std::string>& out, std::vector<std::string>& whole, bool in_attribute) {
    if (ts_node_is_null(node)) return;
    if (ts::is(node, "call") && ts::is(ts::unparen(ts::field(node, "function")), "identifier")) {
      values_in(ts::field(node, "arguments"), out, whole, in_attribute);
      return;
    }
    if (ts::is(node, "identifier")) {
      out.emplace_back(ts::text(node, source));
      if (!in_attribute) whole.emplace_back(ts::text(node, source));
      return;
    }
    const bool attribute = ts::is(node, "attribute");
    TSTreeCursor cursor = ts_tree_cursor_new(node);
    if (ts_tree_cursor_goto_first_child(&cursor)) {
      do values_in(ts_tree_cursor_current_node(&cursor), out, whole, in_attribute || attribute);
      while (ts_tree_cursor_goto_next_sibling(&cursor));
    }
    ts_tree_cursor_delete(&cursor);
  }

  void walk(TSNode node) {
    // Function bodies that run only after pytest collected change nothing its ids are made of.
    std::unordered_set<uint32_t> not_run;
    for (TSNode body : bodies_not_run_at_import(node, source)) not_run.insert(ts_node_start_byte(body));
    // Every node once, with a cursor (indexing children is O(index) in tree-sitter).
    TSTreeCursor cursor = ts_tree_cursor_new(node);
    for (bool more = true; more;) {
      TSNode n = ts_tree_cursor_current_node(&cursor);
      const bool skipped = ts::is(n, "block") && not_run.count(ts_node_start_byte(n));
      if (ts_node_is_named(n) && !skipped) visit(n);
      if (!skipped && ts_tree_cursor_goto_first_child(&cursor)) continue;
      while (!ts_tree_cursor_goto_next_sibling(&cursor)) {
        if (!ts_tree_cursor_goto_parent(&cursor)) { more = false; break; }
      }
    }
    ts_tree_cursor_delete(&cursor);
    close_over_flows();
    unstable = rebound;
    unstable.insert(mutated.begin(), mutated.end());
  }

  void visit(TSNode n) {
    {
      const std::string_view type = ts_node_type(n);
      if (type == "global_statement" || type == "nonlocal_statement") {
        rebind_all(n);
      } else if (type == "delete_statement") {
        mutate_all(n);  // `del x[0]` changes x; `del x` unbinds it
      } else if (type == "augmented_assignment") {
        TSNode left = ts::unparen(ts::field(n, "left"));
        if (ts::is(left, "identifier") && ts::text(ts::field(n, "operator"), source) == "+=") {
          // `x += [1]` extends a list in place (or rebinds an immutable x): built_list replays it.
          mutate_root(left, /*method_receiver=*/true);
          method_changes[std::string(ts::text(left, source))].push_back(n);
          plus_extended.emplace(ts::text(left, source));
        } else {
          mutate_root(left);
        }
      } else if (type == "assignment") {
        TSNode left = ts::unparen(ts::field(n, "left"));
        if (ts::is(left, "subscript") || ts::is(left, "attribute")) mutate_root(left);
        else flow(left, ts::field(n, "right"));
      } else if (type == "for_statement" || type == "for_in_clause") {
        if (type == "for_statement") {
          TSNode left = ts::field(n, "left");
          if (writes_into(left)) mutate_all(left);
          else rebind_all(left);  // rebinds (module level: a name)
        }
        flow(ts::field(n, "left"), ts::field(n, "right"), /*element=*/true);
      } else if (type == "named_expression") {
        rebind_all(ts::field(n, "name"));
      } else if (type == "as_pattern" || type == "with_item") {
        if (TSNode alias = ts::field(n, "alias"); !ts_node_is_null(alias)) {
          if (writes_into(alias)) mutate_all(alias);
          else rebind_all(alias);
        }
      } else if (type == "except_clause") {
        // `except E as name` rebinds (and then deletes) the name.
        for (TSNode c : ts::named_children(n)) if (ts::is(c, "as_pattern")) rebind_all(ts::field(c, "alias"));
      } else if (type == "default_parameter" || type == "typed_default_parameter") {
        flow(ts::field(n, "name"), ts::field(n, "value"));
      } else if (type == "call") {
        TSNode function = ts::unparen(ts::field(n, "function"));
        std::string_view callee = ts::text(function, source);
        if (ts::is(function, "attribute") &&
            !is_read_only_method(ts::text(ts::field(function, "attribute"), source)) &&
            !callee.starts_with("pytest.") && !callee.starts_with("itertools.") && !is_datetime_constructor(callee)) {
          TSNode object = ts::unparen(ts::field(function, "object"));
          mutate_root(object, /*method_receiver=*/true);
          if (ts::is(object, "identifier")) method_changes[std::string(ts::text(object, source))].push_back(n);
          else if (TSNode id = root_identifier(object); !ts_node_is_null(id)) changed_deeper.emplace(ts::text(id, source));
        }
        // A read-only method (`"{}".format(x)`, `", ".join(x)`) does not change its arguments either.
        const bool read_only_method =
            ts::is(function, "attribute") && is_read_only_method(ts::text(ts::field(function, "attribute"), source));
        if (!is_pure_callee(callee) && !read_only_method && !library_reads_arguments_only(function, source, module))
          for (TSNode arg : ts::named_children(ts::field(n, "arguments"))) {
            TSNode value = ts::is(arg, "keyword_argument") ? ts::field(arg, "value") : arg;
            if (ts::is(value, "list_splat") || ts::is(value, "dictionary_splat")) value = ts_node_named_child(value, 0);
            // `f(m.attr)`, `f(m.x[0])` may change that object in place, never what m binds: a
            // module's other values stay (`assert_raises(TypeError, operator.mul, ...)`).
            const bool through_member = ts::is(ts::unparen(value), "attribute") || ts::is(ts::unparen(value), "subscript");
            if (TSNode id = root_identifier(value); through_member && !ts_node_is_null(id)) {
              mutate_root(value, /*method_receiver=*/true);
              changed_deeper.emplace(ts::text(id, source));
            } else {
              mutate_root(value);
            }
            std::vector<std::string> names, whole;
            values_in(value, names, whole, false);
            shared.insert(names.begin(), names.end());
          }
      }
    }
  }

  void close_over_flows() {
    // A name bound to a mutated name's value changes with it: an alias wholly, the sequence a
    // loop's name walks in its elements.
    auto any_in = [](const std::vector<std::string>& names, const std::unordered_set<std::string>& set) {
      return std::any_of(names.begin(), names.end(), [&](const std::string& t) { return set.count(t) > 0; });
    };
    for (bool changed = true; changed;) {
      changed = false;
      for (const Flow& f : flows) {
        const bool whole = any_in(f.to, mutated);
        const bool inner = whole || any_in(f.to, elements_mutated);
        if (!inner) continue;
        for (const std::string& name : f.from) {
          if (whole && !f.element) changed |= mutated.insert(name).second;
          else changed |= elements_mutated.insert(name).second;
        }
        if (!f.element && (any_in(f.to, changed_otherwise) || any_in(f.to, plus_extended)))
          for (const std::string& name : f.whole) changed |= changed_otherwise.insert(name).second;
      }
    }
  }
};

using Args = StaticEvaluator::Args;

Args read_args(TSNode call, std::string_view source) {
  Args a;
  for (TSNode arg : ts::named_children(ts::field(call, "arguments"))) {
    if (ts::is(arg, "keyword_argument")) a.keyword.emplace_back(std::string(ts::text(ts::field(arg, "name"), source)), ts::field(arg, "value"));
    else if (ts::is(arg, "list_splat") || ts::is(arg, "dictionary_splat")) {
      a.splat = true;
      a.dict_splat |= ts::is(arg, "dictionary_splat");
      a.positional_and_unpacked.push_back(arg);
    } else if (ts::is(arg, "generator_expression") || !ts_node_is_null(arg)) {
      a.positional.push_back(arg);
      a.positional_and_unpacked.push_back(arg);
    }
  }
  // `f(x for x in y)`: the arguments node is itself the generator expression.
  TSNode args_node = ts::field(call, "arguments");
  if (ts::is(args_node, "generator_expression")) { a.positional.clear(); a.positional.push_back(args_node); }
  return a;
}

bool yields_from(TSNode yield) {
  return ts_node_child_count(yield) > 1 && ts::is(ts_node_child(yield, 1), "from");
}

// The frame's name for what a replayed generator yielded so far: no Python name can be it.
constexpr const char* kYielded = "<yielded>";

}  // namespace

StaticValue unknown_value(std::string why) {
  StaticValue v;
  v.why = std::move(why);
  return v;
}

PyValue to_id_value(const StaticValue& v) {
  PyValue p;
  switch (v.kind) {
    case Kind::Str: p.kind = PyValue::Kind::Str; p.chars = v.chars; break;
    case Kind::Bytes: p.kind = PyValue::Kind::Bytes; p.text = v.text; break;
    case Kind::None: case Kind::Bool: case Kind::Int: case Kind::Float: case Kind::Complex:
      p.kind = PyValue::Kind::Number; p.text = v.text; break;
    case Kind::Named:
      if (v.changed) { p.kind = PyValue::Kind::Unknown; p.why = "`" + v.text + "` is passed to code that may change it"; break; }
      p.kind = PyValue::Kind::Named; p.text = v.text; break;
    case Kind::EnumMember: return to_id_value(v.items.at(0));
    case Kind::Object: p.kind = PyValue::Kind::Opaque; break;
    case Kind::Function: {
      p.kind = PyValue::Kind::Named;
      size_t dot = v.text.rfind('.');
      p.text = dot == std::string::npos ? v.text : v.text.substr(dot + 1);
      break;
    }
    case Kind::Module: p.kind = PyValue::Kind::Named; p.text = v.text; break;
    case Kind::Tuple: case Kind::List: case Kind::Set: case Kind::Dict:
      p.kind = PyValue::Kind::Opaque; break;
    case Kind::Param: case Kind::Unknown:
      p.kind = PyValue::Kind::Unknown; p.why = v.why; break;
  }
  return p;
}

StaticEvaluator::StaticEvaluator(std::string_view source, TSNode root, const Scope& module, const PythonFacts* python,
                                 bool check_mutation)
    : source_(source), root_(root), module_(module), python_(python), check_mutation_(check_mutation) {}

std::optional<std::vector<StaticValue>> StaticEvaluator::iterate(const StaticValue& v) {
  switch (v.kind) {
    case Kind::Tuple: case Kind::List: return v.items;
    case Kind::Object: if (v.iterable) return v.items; return std::nullopt;
    case Kind::Dict: {
      std::vector<StaticValue> keys;
      for (size_t i = 0; i < v.items.size(); i += 2) keys.push_back(v.items[i]);
      return keys;
    }
    case Kind::Str: {
      std::vector<StaticValue> chars;
      for (char32_t c : v.chars) chars.push_back(make_str(std::u32string(1, c)));
      return chars;
    }
    case Kind::Bytes: {
      std::vector<StaticValue> bytes;
      for (unsigned char c : v.text) bytes.push_back(make_int(c));
      return bytes;
    }
    default: return std::nullopt;  // a set iterates in hash order; unknowns are unknown
  }
}

bool StaticEvaluator::name_is_stable(std::string_view name) {
  if (!check_mutation_) return true;
  if (!unstable_) {
    MutationScan scan;
    scan.source = source_;
    scan.module = &module_;
    scan.walk(root_);
    unstable_ = std::move(scan.unstable);
    elements_mutated_ = std::move(scan.elements_mutated);
    rebound_ = std::move(scan.rebound);
    changed_otherwise_ = std::move(scan.changed_otherwise);
    plus_extended_ = std::move(scan.plus_extended);
    method_changes_ = std::move(scan.method_changes);
    changed_deeper_ = std::move(scan.changed_deeper);
    shared_ = std::move(scan.shared);
  }
  return unstable_->count(std::string(name)) == 0;
}

bool StaticEvaluator::name_is_rebound(std::string_view name) {
  if (!check_mutation_) return false;
  name_is_stable(name);  // runs the scan
  return rebound_.count(std::string(name)) > 0;
}

// `x.__name__ = ...` or a setattr() anywhere in the file: a class's or function's name may change.
bool writes_dunder_name(std::string_view source) {
  if (source.find("setattr(") != std::string_view::npos) return true;
  for (size_t at = source.find("__name__"); at != std::string_view::npos; at = source.find("__name__", at + 8)) {
    size_t i = at + 8;
    while (i < source.size() && (source[i] == ' ' || source[i] == '\t')) ++i;
    if (i + 1 < source.size() && source[i] == '=' && source[i + 1] != '=') return true;
  }
  return false;
}

StaticValue StaticEvaluator::stable_elements(std::string_view name, StaticValue value) {
  if (!check_mutation_ || !elements_mutated_.count(std::string(name))) return value;
  // Changed only through a loop's name: nothing changes when every element is immutable, or
  // when what pytest's id reads of it cannot change: an installed module's class's or
  // function's __name__ (unless this file writes a __name__; the project's own classes may be
  // renamed by its other modules: not trusted, as StaticValue::changed), an enum member's name,
  // an object's argname+index.
  const bool names_stay = !writes_dunder_name(source_);
  std::function<bool(const StaticValue&)> immutable = [&](const StaticValue& v) {
    switch (v.kind) {
      case Kind::None: case Kind::Bool: case Kind::Int: case Kind::Float: case Kind::Complex:
      case Kind::Str: case Kind::Bytes: case Kind::EnumMember: return true;
      case Kind::Object: return !v.iterable;  // its elements, known, may change
      case Kind::Named: return names_stay && !v.home;
      case Kind::Tuple: return !v.one_shot && std::all_of(v.items.begin(), v.items.end(), immutable);
      default: return false;
    }
  };
  const std::string why = "the elements of `" + std::string(name) + "` are changed in place";
  switch (value.kind) {
    case Kind::Tuple: case Kind::List: case Kind::Dict: {
      if (value.one_shot) return unknown_value(why);
      // The container keeps its length (only its elements change): an element that may change
      // becomes unknown in its place, so ids= or the count alone still serve. A dict's keys
      // are what iterating it gives: they must stay.
      for (size_t i = 0; i < value.items.size(); ++i) {
        if (immutable(value.items[i])) continue;
        if (value.kind == Kind::Dict && i % 2 == 0) return unknown_value(why);
        value.items[i] = unknown_value(why);
      }
      return value;
    }
    case Kind::Set:
      return std::all_of(value.items.begin(), value.items.end(), immutable) ? value : unknown_value(why);
    default: return immutable(value) ? value : unknown_value(why);
  }
}

namespace {

// The class body `expr` is written in, found going down from the root (ts_node_parent starts
// from the root each call: walking up cost depth² steps); nullopt when the descent loses its
// way (a child that does not hold `expr`), null when a function or lambda is nearer than a class
// body (a class's decorators are outside its body).
std::optional<TSNode> enclosing_class_body(TSNode expr) {
  const uint32_t start = ts_node_start_byte(expr), end = ts_node_end_byte(expr);
  TSTreeCursor cursor = ts_tree_cursor_new(ts_tree_root_node(expr.tree));
  std::optional<TSNode> body = TSNode{};
  TSNode parent{};
  for (;;) {
    TSNode node = ts_tree_cursor_current_node(&cursor);
    if (ts_node_eq(node, expr)) break;
    if (ts::is(node, "function_definition") || ts::is(node, "lambda")) body = TSNode{};
    else if (ts::is(node, "block") && ts::is(parent, "class_definition")) body = node;
    parent = node;
    bool inside = ts_tree_cursor_goto_first_child(&cursor);
    while (inside) {
      TSNode child = ts_tree_cursor_current_node(&cursor);
      if (ts_node_start_byte(child) <= start && end <= ts_node_end_byte(child) &&
          (ts_node_eq(child, expr) || ts_node_start_byte(child) < ts_node_end_byte(child)))
        break;
      inside = ts_tree_cursor_goto_next_sibling(&cursor);
    }
    if (!inside) {
      body.reset();
      break;
    }
  }
  ts_tree_cursor_delete(&cursor);
  return body;
}

}  // namespace

const Scope* StaticEvaluator::class_scope_of(TSNode expr) {
  std::optional<TSNode> body = enclosing_class_body(expr);
  if (!body) {  // the slow way, which cannot lose its way
    body = TSNode{};
    for (TSNode n = ts_node_parent(expr); !ts_node_is_null(n); n = ts_node_parent(n)) {
      if (ts::is(n, "function_definition") || ts::is(n, "lambda")) break;
      if (ts::is(n, "block") && ts::is(ts_node_parent(n), "class_definition")) {
        body = n;
        break;
      }
    }
  }
  if (ts_node_is_null(*body)) return nullptr;
  uint32_t key = ts_node_start_byte(*body);
  auto it = class_scopes_.find(key);
  if (it == class_scopes_.end())
    it = class_scopes_.emplace(key, std::make_unique<Scope>(read_scope(*body, source_, python_, &module_))).first;
  return it->second.get();
}

StaticValue StaticEvaluator::eval(TSNode expr, bool in_scope_only) {
  if (ts_node_is_null(expr)) return unknown_value("no value to evaluate");
  std::vector<Frame> frames;
  Context ctx;
  ctx.class_scope = in_scope_only ? nullptr : class_scope_of(expr);
  ctx.at = ts_node_start_byte(expr);
  ctx.frames = &frames;
  return eval_in(expr, ctx);
}

StaticValue StaticEvaluator::module_value(std::string_view name) {
  std::vector<Frame> frames;
  Context ctx;
  ctx.frames = &frames;
  const Binding* b = module_.find(name);
  if (!b) return unknown_value("`" + std::string(name) + "` is not bound by a statement of its module");
  return binding_value(*b, name, nullptr, ctx);
}

std::optional<bool> StaticEvaluator::truth(TSNode expr, bool in_scope_only) { return truth_of(eval(expr, in_scope_only)); }

std::optional<bool> StaticEvaluator::truth_in(TSNode expr, const Scope* class_scope) {
  if (ts_node_is_null(expr)) return std::nullopt;
  std::vector<Frame> frames;
  Context ctx;
  ctx.class_scope = class_scope;
  ctx.frames = &frames;
  ctx.at = ts_node_start_byte(expr);
  return truth_of(eval_in(expr, ctx));
}

namespace {

// The statement of the module (a child of its root) that holds `node`; null when `node` is
// not at module level (inside a function, class, `with`, `try`...: only `for` and `if`
// bodies may stand between).
TSNode module_statement_of(TSNode node, TSNode root) {
  for (TSNode n = node; !ts_node_is_null(n); n = ts_node_parent(n)) {
    if (ts::is(n, "function_definition") || ts::is(n, "class_definition") || ts::is(n, "lambda") ||
        ts::is(n, "with_statement") || ts::is(n, "try_statement") || ts::is(n, "while_statement") ||
        ts::is(n, "decorated_definition") || ts::is(n, "match_statement"))
      return TSNode{};
    TSNode parent = ts_node_parent(n);
    if (ts_node_is_null(parent)) return TSNode{};
    if (ts_node_eq(parent, root)) return n;
  }
  return TSNode{};
}

}  // namespace

// A list bound once at module level and then only grown by `X.append(v)` / `X.extend(vs)`
// statements at module level (in `for` loops over known values and `if`s the evaluator
// decides), all before it is read: its value is those statements replayed, in order. Any
// other change (a call elsewhere, an alias, a change through an element, growth inside a
// function, in the statement that reads it or after it) leaves it unknown.
std::optional<StaticValue> StaticEvaluator::built_list(const Binding& b, std::string_view name, Context& ctx) {
  const std::string key(name);
  if (changed_otherwise_.count(key) || changed_deeper_.count(key) || shared_.count(key) || ts_node_is_null(b.value))
    return std::nullopt;
  TSNode binding_statement = module_statement_of(b.value, root_);
  if (ts_node_is_null(binding_statement) || ts_node_end_byte(binding_statement) > ctx.at) return std::nullopt;
  // Every change is a statement `X.append(...)`/`X.extend(...)` at module level.
  auto changes = method_changes_.find(key);
  if (changes == method_changes_.end()) return std::nullopt;
  for (TSNode call : changes->second) {
    // `X += values` (an augmented assignment) extends it as `X.extend(values)` does.
    const std::string_view method =
        ts::is(call, "augmented_assignment")
            ? std::string_view("extend")
            : ts::text(ts::field(ts::unparen(ts::field(call, "function")), "attribute"), source_);
    TSNode parent = ts_node_parent(call);
    if ((method != "append" && method != "extend") || !ts::is(parent, "expression_statement") ||
        ts_node_named_child_count(parent) != 1)
      return std::nullopt;
    TSNode stmt = module_statement_of(call, root_);
    if (ts_node_is_null(stmt)) return std::nullopt;
    // Growth in the statement that reads it (a loop appending and reading), or after it: not
    // replayed. parametrize keeps the list object itself and reads it at collection, once the
    // whole module ran, so growth further down would count too.
    if (ts_node_end_byte(stmt) > ctx.at) return std::nullopt;
  }
  std::vector<Frame> frames{Frame{}};
  Context start{nullptr, &frames, ctx.depth + 1, ts_node_start_byte(b.value)};
  StaticValue list = eval_in(b.value, start);
  if (list.kind != Kind::List) return std::nullopt;
  // The list is held in the replay's frame: its own reads inside a loop see it as it grows.
  frames.back().names[key] = std::move(list);
  const std::unordered_set<std::string> growable{key};
  for (TSNode stmt = ts_node_next_named_sibling(binding_statement); !ts_node_is_null(stmt) && ts_node_end_byte(stmt) <= ctx.at;
       stmt = ts_node_next_named_sibling(stmt)) {
    bool grows = false;
    for (TSNode call : changes->second)
      grows |= ts_node_start_byte(call) >= ts_node_start_byte(stmt) && ts_node_end_byte(call) <= ts_node_end_byte(stmt);
    if (!grows) continue;
    // Names bound by earlier loops are module names: only this statement's are the frame's.
    StaticValue held = std::move(frames.back().names[key]);
    frames.back().names.clear();
    frames.back().names[key] = std::move(held);
    Context here{nullptr, &frames, ctx.depth + 1, ts_node_start_byte(stmt)};
    if (!replay_growth(stmt, growable, /*in_function=*/false, here)) return std::nullopt;
  }
  return std::move(frames.back().names[key]);
}

// One statement of a replay, in the innermost frame: `L.append(v)` / `L.extend(vs)` for a list
// `L` of `growable` (held in the frame), `name = value` (a loop body's or function's names;
// growable ones only in a function, where the pre-scan allowed their one fresh binding), `for`
// over known values, an `if` the evaluator decides, `pass`. False for anything else.
bool StaticEvaluator::replay_growth(TSNode stmt, const std::unordered_set<std::string>& growable, bool in_function,
                                    Context& ctx) {
  if (budget_ > kMaxElements || ctx.depth > kMaxDepth) return false;
  // The innermost frame, looked up again after every evaluation: a comprehension pushes a
  // frame of its own, and the vector may move every frame (pycodestyle's get_tests crashed).
  auto frame_names = [&ctx]() -> std::unordered_map<std::string, StaticValue>& { return ctx.frames->back().names; };
  if (ts::is(stmt, "pass_statement") || ts::is(stmt, "comment")) return true;
  if (ts::is(stmt, "assert_statement")) {  // changes nothing when it holds; raises otherwise
    TSNode condition = ts_node_named_child(stmt, 0);
    return truth_of(eval_in(condition, ctx)) == std::optional<bool>(true);
  }
  if (ts::is(stmt, "block")) {
    for (TSNode s : ts::named_children(stmt))
      if (!replay_growth(s, growable, in_function, ctx)) return false;
    return true;
  }
  if (ts::is(stmt, "expression_statement") && ts_node_named_child_count(stmt) == 1) {
    TSNode expr = ts_node_named_child(stmt, 0);
    if (ts::is(expr, "yield")) {  // a replayed generator's (run_function_body)
      if (!growable.count(kYielded)) return false;
      StaticValue value = make(Kind::None);
      value.text = "None";
      value.node = expr;
      if (ts_node_named_child_count(expr) > 0) value = eval_in(ts_node_named_child(expr, 0), ctx);
      std::vector<StaticValue> more;
      if (yields_from(expr)) {
        auto elements = iterate(value);
        if (!elements) return false;
        more = std::move(*elements);
      } else {
        more.push_back(std::move(value));
      }
      StaticValue& yielded = frame_names()[kYielded];  // found again: eval_in may have moved it
      budget_ += more.size();
      for (StaticValue& v : more) yielded.items.push_back(std::move(v));
      return true;
    }
    if (ts::is(expr, "augmented_assignment")) {  // `L += values` of a growable list: L.extend(values)
      TSNode left = ts::unparen(ts::field(expr, "left"));
      if (!ts::is(left, "identifier") || ts::text(ts::field(expr, "operator"), source_) != "+=") return false;
      const std::string receiver(ts::text(left, source_));
      auto held = frame_names().find(receiver);
      if (!growable.count(receiver) || held == frame_names().end() || held->second.kind != Kind::List) return false;
      StaticValue value = eval_in(ts::field(expr, "right"), ctx);
      auto elements = iterate(value);
      if (!elements || value.one_shot) return false;  // as `extend` below
      StaticValue& list = frame_names()[receiver];  // found again: eval_in may have moved it
      budget_ += elements->size();
      for (StaticValue& e : *elements) list.items.push_back(std::move(e));
      return true;
    }
    if (ts::is(expr, "assignment")) {
      TSNode left = ts::field(expr, "left"), right = ts::field(expr, "right");
      if (!ts::is(left, "identifier") || ts_node_is_null(right) || ts::is(right, "assignment")) return false;
      const std::string target(ts::text(left, source_));
      if (growable.count(target) && !in_function) return false;
      StaticValue value = eval_in(right, ctx);
      frame_names()[target] = std::move(value);
      return true;
    }
    if (ts::is(expr, "call")) {
      TSNode function = ts::unparen(ts::field(expr, "function"));
      if (!ts::is(function, "attribute")) return false;
      const std::string receiver(ts::text(ts::field(function, "object"), source_));
      auto held = frame_names().find(receiver);
      if (!growable.count(receiver) || held == frame_names().end() || held->second.kind != Kind::List) return false;
      const std::string_view method = ts::text(ts::field(function, "attribute"), source_);
      Args args = read_args(expr, source_);
      if (args.splat || !args.keyword.empty() || args.positional.size() != 1) return false;
      StaticValue value = eval_in(args.positional[0], ctx);
      StaticValue& list = frame_names()[receiver];  // found again: eval_in may have moved it
      if (method == "append") {
        list.items.push_back(std::move(value));
        ++budget_;
        return true;
      }
      if (method == "extend") {
        auto elements = iterate(value);
        if (!elements || value.one_shot) return false;
        budget_ += elements->size();
        for (StaticValue& e : *elements) list.items.push_back(std::move(e));
        return true;
      }
      return false;
    }
    return false;
  }
  if (ts::is(stmt, "for_statement")) {
    if (!ts_node_is_null(ts::field(stmt, "alternative"))) return false;  // for ... else
    TSNode target = ts::unparen(ts::field(stmt, "left"));
    std::vector<std::string> names;
    if (ts::is(target, "identifier")) names.emplace_back(ts::text(target, source_));
    else if (ts::is(target, "pattern_list") || ts::is(target, "tuple_pattern"))
      for (TSNode t : ts::named_children(target)) {
        if (!ts::is(t, "identifier")) return false;
        names.emplace_back(ts::text(t, source_));
      }
    else return false;
    for (const std::string& n : names)
      if (growable.count(n)) return false;
    StaticValue iterable = eval_in(ts::field(stmt, "right"), ctx);
    auto elements = iterate(iterable);
    if (!elements) return false;
    for (const StaticValue& e : *elements) {
      if (names.size() == 1 && ts::is(target, "identifier")) {
        frame_names()[names[0]] = e;
      } else {
        if ((e.kind != Kind::Tuple && e.kind != Kind::List) || e.items.size() != names.size()) return false;
        for (size_t i = 0; i < names.size(); ++i) frame_names()[names[i]] = e.items[i];
      }
      if (!replay_growth(ts::field(stmt, "body"), growable, in_function, ctx)) return false;
    }
    return true;
  }
  if (ts::is(stmt, "if_statement")) {
    std::vector<std::pair<TSNode, TSNode>> branches{{ts::field(stmt, "condition"), ts::field(stmt, "consequence")}};
    for (TSNode child : ts::named_children(stmt)) {
      if (ts::is(child, "elif_clause")) branches.emplace_back(ts::field(child, "condition"), ts::field(child, "consequence"));
      else if (ts::is(child, "else_clause")) branches.emplace_back(TSNode{}, ts::field(child, "body"));
    }
    for (auto& [condition, body] : branches) {
      std::optional<bool> taken = ts_node_is_null(condition) ? std::optional(true) : truth_of(eval_in(condition, ctx));
      if (!taken) return false;
      if (*taken) return replay_growth(body, growable, in_function, ctx);
    }
    return true;
  }
  return false;
}

std::optional<StaticValue> StaticEvaluator::bound_in_sequence(const Binding& b, std::string_view name,
                                                              const Scope* class_scope, Context& ctx) {
  // `X = [...]` then `X = X + [...]`, each a plain statement of the same module or class body:
  // the value where it is read is the last one bound before, read where that one stands.
  if (b.kind != Binding::Kind::Assignment || b.conditional || ts_node_is_null(b.value)) return std::nullopt;
  TSNode assignment = ts_node_parent(b.value);
  TSNode statement = ts::is(assignment, "assignment") ? ts_node_parent(assignment) : TSNode{};
  TSNode block = ts::is(statement, "expression_statement") ? ts_node_parent(statement) : TSNode{};
  if (ts_node_is_null(block) || !(ts::is(block, "module") || ts::is(block, "block"))) return std::nullopt;
  std::vector<TSNode> values;  // every binding's value, in order
  for (TSNode stmt : ts::named_children(block)) {
    if (!ts::is(stmt, "expression_statement") || ts_node_named_child_count(stmt) != 1) continue;
    TSNode a = ts_node_named_child(stmt, 0);
    if (!ts::is(a, "assignment")) continue;
    TSNode left = ts::field(a, "left"), right = ts::field(a, "right");
    if (ts::is(left, "identifier") && ts::text(left, source_) == name && !ts_node_is_null(right) && !ts::is(right, "assignment"))
      values.push_back(right);
  }
  // Any other binding (a loop, an import, a chained or conditional one) leaves it unknown.
  if (values.size() != static_cast<size_t>(b.count) || !name_is_stable(name)) return std::nullopt;
  TSNode chosen{};
  for (TSNode v : values)
    if (ts_node_end_byte(ts_node_parent(v)) <= ctx.at) chosen = v;
  if (ts_node_is_null(chosen)) return unknown_value("`" + std::string(name) + "` is used before it is bound");
  std::vector<Frame> frames;
  Context inner{class_scope, &frames, ctx.depth + 1, ts_node_start_byte(chosen)};
  StaticValue v = eval_in(chosen, inner);
  if (v.one_shot) return unknown_value("`" + std::string(name) + "` is an iterator (consumed by its first use)");
  if (v.known()) v = stable_elements(name, std::move(v));
  return v;
}

StaticValue StaticEvaluator::binding_value(const Binding& b, std::string_view name, const Scope* class_scope, Context& ctx) {
  if (b.count > 1)
    if (auto v = bound_in_sequence(b, name, class_scope, ctx)) return *v;
  if (b.count != 1 || b.conditional) return unknown_value("`" + std::string(name) + "` is bound more than once or conditionally");
  // A class (or a name imported from elsewhere) given to code that may change it is still read
  // for its enum members; its own __name__ is then not trusted (StaticValue::changed).
  const bool changed = !name_is_stable(name);
  if (changed && class_scope == nullptr && b.kind == Binding::Kind::Assignment && !name_is_rebound(name))
    if (auto built = built_list(b, name, ctx)) {
      return stable_elements(name, std::move(*built));
    }
  if (changed && (name_is_rebound(name) || (b.kind != Binding::Kind::Class && b.kind != Binding::Kind::Import)))
    return unknown_value("`" + std::string(name) + "` is rebound or mutated");
  // `name = value`, or a target of `a, (b, c) = value`: the element at its place.
  const TSNode assigned = ts_node_is_null(b.value) ? b.unpacked_from : b.value;
  if (b.kind == Binding::Kind::Assignment && !ts_node_is_null(assigned)) {
    const bool memo = class_scope == nullptr;
    if (memo)
      if (auto it = module_memo_.find(std::string(name)); it != module_memo_.end()) return it->second;
    std::vector<Frame> frames;
    Context inner{class_scope, &frames, ctx.depth + 1, ts_node_start_byte(assigned)};
    StaticValue v = eval_in(assigned, inner);
    for (size_t level = 0; level < b.unpack_path.size() && v.known(); ++level) {
      auto elements = iterate(v);  // unpacking iterates once: an iterator (zip) is fine here
      if (!elements) v = unknown_value("`" + std::string(name) + "` is unpacked from a value whose elements are not known");
      else if (elements->size() != b.unpack_arity[level]) v = unknown_value("an unpacking that raises (another length)");
      else v = (*elements)[b.unpack_path[level]];
    }
    if (v.one_shot) v = unknown_value("`" + std::string(name) + "` is an iterator (consumed by its first use)");
    if (v.known()) v = stable_elements(name, std::move(v));
    if (memo) module_memo_.emplace(std::string(name), v);
    return v;
  }
  if (b.kind == Binding::Kind::Function || b.kind == Binding::Kind::Class) {
    // A decorator may return anything (with any __name__).
    for (TSNode d : b.decorators)
      if (!decorator_is(d, source_, {"dataclass", "dataclasses.dataclass", "total_ordering", "functools.total_ordering",
                                     "unique", "enum.unique"}))
        return unknown_value("`" + std::string(name) + "` is decorated");
    StaticValue v = make(Kind::Named);
    v.text = std::string(ts::text(ts::field(b.definition, "name"), source_));
    // Its module's evaluator and definition: a class's members are read, a function may be
    // called (call_user_function).
    v.home = this;
    v.node = b.definition;
    v.changed = changed;
    return v;
  }
  if (b.kind == Binding::Kind::Import) {
    static const std::unordered_set<std::string_view> modules{"sys",      "os",     "platform", "itertools",
                                                              "datetime", "pickle", "operator"};
    static const std::unordered_set<std::string_view> functions{
        "itertools.product", "itertools.combinations", "itertools.permutations", "itertools.chain", "pytest.param",
        "datetime.date", "datetime.datetime", "datetime.time", "datetime.timedelta"};
    // `import datetime as dt` too: the statement binds the module (a dotted `import a.b` binds `a`).
    const bool known_module = modules.count(b.import_from) || (b.import_from == "pytest" && name == "pytest");
    // datetime's classes are immutable types: a method call on them (`datetime.now()`) or
    // passing them on changes nothing (binding the name again still counts, above).
    const bool immutable_type = is_datetime_constructor(b.import_from);
    // A module whose functions are called (`pickle.dumps(...)`) keeps its constants.
    const bool module_changed = known_module && check_mutation_ && changed_otherwise(name);
    if (((known_module && module_changed) || ((functions.count(b.import_from) || (!follow_ && !library_)) && !known_module)) &&
        changed && !immutable_type)
      return unknown_value("`" + std::string(name) + "` is rebound or mutated");
    if (known_module) {
      StaticValue v = make(Kind::Module);
      v.text = b.import_from;
      // Its other attributes (`os.sep`, `sys.maxsize`) are the interpreter's to answer.
      if (!module_changed) v.library = library_import_path(b);
      return v;
    }
    if (functions.count(b.import_from)) { StaticValue v = make(Kind::Function); v.text = b.import_from; return v; }
    if (!follow_ && !library_) return unknown_value("`" + std::string(name) + "` is imported (not followed)");
    if (auto it = module_memo_.find(std::string(name)); it != module_memo_.end() && class_scope == nullptr) return it->second;
    StaticValue v = follow_ ? follow_(name, b) : unknown_value("`" + std::string(name) + "` is imported (not followed)");
    // Not read from the project's source: an installed module's value, as the interpreter gave it.
    if (!v.known())
      if (auto fact = library_binding(b)) {
        // A module whose functions are called keeps its values, unless this file may set them
        // (`np.x = ...`, passed on).
        const bool written = check_mutation_ && changed_otherwise(name);
        if (fact->kind == Kind::Module) {
          if (!written && class_scope == nullptr) module_memo_.emplace(std::string(name), *fact);
          if (!written) return *fact;
        } else {
          v = *fact;
        }
      }
    if (changed && v.known()) {
      if (v.kind == Kind::Named && v.home) v.changed = true;
      else v = unknown_value("`" + std::string(name) + "` is rebound or mutated");
    }
    if (v.known()) v = stable_elements(name, std::move(v));
    if (class_scope == nullptr) module_memo_.emplace(std::string(name), v);
    return v;
  }
  return unknown_value("the value of `" + std::string(name) + "` is not known");
}

std::shared_ptr<const LibraryPath> StaticEvaluator::library_import_path(const Binding& b) {
  if (!library_ || b.import_from.empty() || b.import_from[0] == '.' || b.import_from.ends_with(".*") || b.count != 1 ||
      b.conditional)
    return nullptr;
  auto path = std::make_shared<LibraryPath>();
  const std::string& dotted = b.import_from;
  if (b.from_import) {
    const size_t dot = dotted.rfind('.');
    if (dot == std::string::npos) return nullptr;
    path->statement = "from " + dotted.substr(0, dot) + " import " + dotted.substr(dot + 1);
  } else if (b.aliased && dotted.find('.') != std::string::npos) {
    path->statement = "import " + dotted + " as _";  // binds the submodule itself
  } else {
    path->statement = "import " + dotted;  // binds the top-level module
  }
  if (top_file_)
    if (auto file = top_file_(std::string_view(dotted).substr(0, dotted.find('.')))) path->origin = *file;
  return path;
}

std::optional<StaticValue> StaticEvaluator::library_binding(const Binding& b) {
  auto path = library_import_path(b);
  if (!path) return std::nullopt;
  if (!b.from_import) {
    // `import a.b` binds the module a, `import a.b as c` the module a.b: its attributes are asked.
    StaticValue v = make(Kind::Module);
    v.text = b.aliased ? b.import_from : b.import_from.substr(0, b.import_from.find('.'));
    v.library = std::move(path);
    return v;
  }
  return library_value(std::move(path));
}

StaticValue StaticEvaluator::library_value(std::shared_ptr<const LibraryPath> path) {
  const std::string shown = path->statement + (path->chain == "[]" ? "" : " / " + path->chain);
  std::optional<StaticValue> v = library_->value(path->statement, path->chain, path->origin);
  if (!v) {
    // Not asked yet: still unknown, but what is read of it is noted too (`np.iinfo(np.int8).max`
    // asks both), so that one ask answers the whole expression.
    StaticValue pending = unknown_value("`" + shown + "` is an installed module's value, not asked of the interpreter yet");
    pending.library = std::move(path);
    return pending;
  }
  if (!v->known()) return unknown_value("`" + shown + "`: " + v->why);
  give_library_paths(*v, path);
  return *v;
}

// Values only the interpreter can read further (a module, a class, an object) keep the path
// they were read through: their attributes, and the elements of a container of them
// (`{"at": n}`, `{"key": key}`: `ufunc.nin` of a module's `__dict__.values()`), are asked too.
void StaticEvaluator::give_library_paths(StaticValue& v, const std::shared_ptr<const LibraryPath>& path, int depth) {
  switch (v.kind) {
    case Kind::Module: case Kind::Named: case Kind::EnumMember: v.library = path; return;
    case Kind::Object: v.library = path; break;
    case Kind::Tuple: case Kind::List: break;
    case Kind::Dict: {
      if (depth > 2) return;
      for (size_t i = 0; i + 1 < v.items.size(); i += 2)
        if (auto key = library_argument(v.items[i]))
          give_library_paths(v.items[i + 1], library_step(*path, "{\"key\":" + *key + "}"), depth + 1);
      return;
    }
    default: return;
  }
  if (depth > 2 || (v.kind == Kind::Object && !v.iterable)) return;
  for (size_t i = 0; i < v.items.size(); ++i)
    give_library_paths(v.items[i], library_step(*path, "{\"at\":" + std::to_string(i) + "}"), depth + 1);
}

// functools.partial, read from the interpreter's answers.
static bool is_functools_partial(const LibraryPath& path) {
  return (path.statement == "from functools import partial" && path.chain == "[]") ||
         (path.statement == "import functools" && path.chain == "[\"partial\"]");
}

std::optional<StaticValue> StaticEvaluator::builtin_of_library_values(TSNode function, const Args& args, Context& ctx) {
  // Builtins that only read their arguments, given a value only the interpreter can read
  // (`isinstance(obj, np.ufunc)`, `len(np.arange(3))`): the interpreter's builtins answer.
  static const std::unordered_set<std::string_view> readers{"isinstance", "issubclass", "hasattr", "callable", "len", "dir",
                                                             "getattr", "sorted", "list", "tuple"};
  if (!library_ || !ts::is(function, "identifier") || args.splat) return std::nullopt;
  const std::string_view name = ts::text(function, source_);
  if (!readers.count(name) || module_.find(name)) return std::nullopt;
  bool reads_library = false;
  for (TSNode a : args.positional) {
    StaticValue v = eval_in(a, ctx);
    if (v.library && (v.kind == Kind::Module || v.kind == Kind::Named || v.kind == Kind::EnumMember ||
                      v.kind == Kind::Object || !v.known())) {
      reads_library = true;
      break;
    }
  }
  if (!reads_library) return std::nullopt;
  LibraryPath builtins;
  builtins.statement = "import builtins";
  builtins.chain = "[\"" + std::string(name) + "\"]";
  return library_call(builtins, args, ctx);
}

StaticValue StaticEvaluator::library_call(const LibraryPath& callee, const Args& args, Context& ctx) {
  // `partial(f, ...)` of a known callable is a partial object whatever the arguments: it has no
  // __name__, so pytest ids it argname+index (a project's class given to it needs no asking).
  if (is_functools_partial(callee) && !args.positional.empty() && !args.splat &&
      library_value(std::make_shared<LibraryPath>(callee)).known()) {  // the interpreter's functools
    StaticValue f = eval_in(args.positional[0], ctx);
    if (f.kind == Kind::Named || f.kind == Kind::Function) {
      StaticValue object = make(Kind::Object);
      return object;
    }
  }
  std::string step = "{\"a\":[";
  for (size_t i = 0; i < args.positional.size(); ++i) {
    StaticValue v = eval_in(args.positional[i], ctx);
    if (!v.known() && !v.library) return v;  // a value not asked yet is named by its path
    auto encoded = library_argument(v);
    if (!encoded) return unknown_value("an argument of an installed module's function the interpreter cannot be given");
    step += (i ? "," : "") + *encoded;
  }
  step += "],\"k\":[";
  for (size_t i = 0; i < args.keyword.size(); ++i) {
    StaticValue v = eval_in(args.keyword[i].second, ctx);
    if (!v.known() && !v.library) return v;
    auto encoded = library_argument(v);
    if (!encoded) return unknown_value("an argument of an installed module's function the interpreter cannot be given");
    step += (i ? ",\"" : "\"") + args.keyword[i].first + "\"," + *encoded;
  }
  return library_value(library_step(callee, step + "]}"));
}

StaticValue StaticEvaluator::lookup(std::string_view name, Context& ctx) {
  for (auto it = ctx.frames->rbegin(); it != ctx.frames->rend(); ++it)
    if (auto found = it->names.find(std::string(name)); found != it->names.end()) return found->second;
  // A class body not yet bound the name reads the module's (Python's class-body lookup); a
  // module name bound further down is a NameError at import.
  auto bound_after = [&](const Binding& b) {
    TSNode where = !ts_node_is_null(b.value) ? b.value : b.outer;
    return !ts_node_is_null(where) && ts_node_start_byte(where) > ctx.at;
  };
  if (ctx.class_scope)
    if (const Binding* b = ctx.class_scope->find(name); b && (b->count != 1 || b->conditional || !bound_after(*b)))
      return binding_value(*b, name, ctx.class_scope, ctx);
  if (const Binding* b = module_.find(name)) {
    // Bound several times: bound_in_sequence finds the binding before the read.
    if (b->count == 1 && bound_after(*b)) return unknown_value("`" + std::string(name) + "` is used before it is bound");
    return binding_value(*b, name, nullptr, ctx);
  }
  if (module_.find("*") || (ctx.class_scope && ctx.class_scope->find("*")))
    return unknown_value("`" + std::string(name) + "` may come from a star import");
  static const std::unordered_set<std::string_view> callables{
      "range", "zip", "enumerate", "list", "tuple", "sorted", "reversed", "len", "dict", "str", "set", "frozenset",
      "object", "complex"};
  // A builtin given to code (`map(list, rows)`) is not changed by it: only binding the name again counts.
  if (callables.count(name) && !name_is_rebound(name)) { StaticValue v = make(Kind::Function); v.text = std::string(name); return v; }
  return unknown_value("the value of `" + std::string(name) + "` is not a literal");
}

StaticValue StaticEvaluator::eval_in(TSNode node, Context& ctx) {
  // An annotation without a value (`x: list`) or a broken buffer leaves a field absent.
  if (ts_node_is_null(node)) return unknown_value("no value to evaluate");
  if (ctx.depth > kMaxDepth) return unknown_value("expression too deep");
  if (budget_ > kMaxElements) return unknown_value("too many values to list statically");
  node = ts::unparen(node);
  const std::string_view type = ts_node_type(node);
  Context deeper = ctx;
  ++deeper.depth;
  if (type == "string") {
    for (TSNode c : ts::named_children(node))
      if (ts::is(c, "interpolation")) return fstring(node, ctx);
    StaticValue v = from_literal(node, source_);
    v.node = node;
    return v;
  }
  if (type == "concatenated_string") {
    StaticValue acc;
    bool first = true;
    for (TSNode part : ts::named_children(node)) {
      StaticValue v = eval_in(part, deeper);
      if (!v.known()) return v;
      if (first) { acc = v; first = false; continue; }
      if (v.kind != acc.kind || (v.kind != Kind::Str && v.kind != Kind::Bytes)) return unknown_value("mixed bytes and str literals");
      acc.chars += v.chars;
      acc.text += v.text;
    }
    acc.node = node;
    return acc;
  }
  if (type == "integer" || type == "float" || type == "true" || type == "false" || type == "none") {
    StaticValue v = from_literal(node, source_);
    v.node = node;
    return v;
  }
  if (type == "unary_operator") {
    std::string_view op = ts::text(ts::field(node, "operator"), source_);
    StaticValue inner = eval_in(ts::field(node, "argument"), deeper);
    if (is_int_like(inner) && (op == "-" || op == "+")) {
      if (op == "+") return make_int(inner.integer);
      if (inner.integer == LLONG_MIN) return make_big_int(-mpz_class(std::to_string(inner.integer)));
      return make_int(-inner.integer);
    }
    if (inner.kind == Kind::Int || inner.kind == Kind::Bool)
      if (auto n = big_int_of(inner); n && (op == "-" || op == "+" || op == "~"))
        return make_big_int(op == "-" ? mpz_class(-*n) : op == "~" ? mpz_class(-*n - 1) : *n);
    if (inner.kind == Kind::Float && (op == "-" || op == "+")) {
      // python_literal's rules for a signed float literal; a float named or asked (`-np.inf`)
      // is negated as a double.
      StaticValue v = from_literal(node, source_);
      if (!v.known())
        if (auto d = exact_double(inner)) {
          v = make(Kind::Float);
          v.text = python_float_repr(op == "-" ? -*d : *d);
        }
      v.node = node;
      return v;
    }
    if (op == "~" && is_int_like(inner)) return make_int(~inner.integer);
    if (!inner.known() && inner.library && library_) return inner;  // waits for the interpreter's answer
    return unknown_value("unary operator on an unknown value");
  }
  // A value waiting for the interpreter's answer stays so through `not`, `and`, `or` and `x if c
  // else y` (the other operands still note their questions: one ask answers them all).
  auto waiting = [this](const StaticValue& v) { return !v.known() && v.library && library_; };
  if (type == "not_operator") {
    StaticValue argument = eval_in(ts::field(node, "argument"), deeper);
    if (waiting(argument)) return argument;
    auto t = truth_of(argument);
    return t ? make_bool(!*t) : unknown_value("`not` of an unknown value");
  }
  if (type == "boolean_operator") {
    std::string_view op = ts::text(ts::field(node, "operator"), source_);
    StaticValue left = eval_in(ts::field(node, "left"), deeper);
    if (waiting(left)) {
      eval_in(ts::field(node, "right"), deeper);
      return left;
    }
    auto t = truth_of(left);
    if (!t) return unknown_value("`" + std::string(op) + "` of an unknown value");
    if ((op == "and" && !*t) || (op == "or" && *t)) return left;
    return eval_in(ts::field(node, "right"), deeper);
  }
  if (type == "conditional_expression") {
    std::vector<TSNode> parts = ts::named_children(node);
    if (parts.size() != 3) return unknown_value("conditional expression");
    StaticValue condition = eval_in(parts[1], deeper);
    if (waiting(condition)) {
      eval_in(parts[0], deeper);
      eval_in(parts[2], deeper);
      return condition;
    }
    auto t = truth_of(condition);
    if (!t) return unknown_value("a condition that is not known statically");
    return eval_in(*t ? parts[0] : parts[2], deeper);
  }
  if (type == "tuple" || type == "list" || type == "set" || type == "expression_list") {
    std::vector<StaticValue> items;
    for (TSNode e : ts::named_children(node)) {
      if (ts::is(e, "list_splat")) {
        StaticValue inner = eval_in(ts_node_named_child(e, 0), deeper);
        auto elements = iterate(inner);
        if (!elements) return unknown_value("* unpacking of an unknown value");
        items.insert(items.end(), elements->begin(), elements->end());
        continue;
      }
      // An unknown element keeps its place: the container's length is still known, and an id
      // that needs the element's value finds it unknown.
      StaticValue v = eval_in(e, deeper);
      // The case's range: where it is written in this list (a class keeps its definition).
      if (v.kind == Kind::Named && v.home) v.written = ts::unparen(e);
      else v.node = ts::unparen(e);
      items.push_back(std::move(v));
    }
    budget_ += items.size();
    StaticValue v = make_seq(type == "list" ? Kind::List : type == "set" ? Kind::Set : Kind::Tuple, std::move(items));
    v.node = node;
    return v;
  }
  if (type == "dictionary") {
    std::vector<StaticValue> pairs;
    std::optional<StaticValue> unknown_key;  // every key is read first: one ask answers them all
    for (TSNode pair : ts::named_children(node)) {
      if (!ts::is(pair, "pair")) return unknown_value("** unpacking in a dict");
      StaticValue k = eval_in(ts::field(pair, "key"), deeper), v = eval_in(ts::field(pair, "value"), deeper);
      if (!k.known() && !unknown_key) unknown_key = k;
      pairs.push_back(std::move(k));
      pairs.push_back(std::move(v));
    }
    if (unknown_key) return *unknown_key;
    StaticValue v = dict_of_pairs(std::move(pairs));
    if (v.known()) {
      budget_ += v.items.size();
      v.node = node;
    }
    return v;
  }
  if (type == "list_comprehension" || type == "set_comprehension" || type == "dictionary_comprehension" ||
      type == "generator_expression")
    return comprehension(node, ctx);
  if (type == "lambda") {
    StaticValue v = make(Kind::Named);
    v.text = "<lambda>";
    v.home = this;
    v.node = node;
    return v;
  }
  if (type == "identifier") {
    std::string_view name = ts::text(node, source_);
    StaticValue v = lookup(name, ctx);
    if (v.kind == Kind::Unknown && !module_.find(name) && !module_.find("*") &&
        !(ctx.class_scope && ctx.class_scope->find(name)) && name_is_stable(name)) {
      // An unbound builtin class/function: its __name__ (python_literal's rule).
      PyValue p = evaluate(node, source_, nullptr);
      if (p.kind == PyValue::Kind::Named) { StaticValue n = make(Kind::Named); n.text = p.text; return n; }
    }
    return v;
  }
  if (type == "binary_operator") return binary(node, deeper);
  if (type == "comparison_operator") return compare(node, deeper);
  if (type == "call") return call(node, deeper);
  if (type == "attribute") return attribute(node, deeper);
  if (type == "subscript") return subscript(node, deeper);
  return unknown_value("a " + std::string(type) + " is not evaluated statically");
}

StaticValue StaticEvaluator::comprehension(TSNode node, Context& ctx) {
  const std::string_view type = ts_node_type(node);
  TSNode body = ts::field(node, "body");
  std::vector<TSNode> clauses;
  for (TSNode c : ts::named_children(node))
    if (ts::is(c, "for_in_clause") || ts::is(c, "if_clause")) clauses.push_back(c);
  std::vector<StaticValue> out;
  std::string failure;
  // An element waiting for the interpreter's answer (StaticValue::library): the result is
  // unknown, but the other elements still note their questions, so that one ask answers all.
  bool pending = false;
  auto waiting = [&](const StaticValue& v) {
    if (v.known() || !v.library || !library_) return false;
    if (!pending) failure = v.why;
    pending = true;
    return true;
  };
  // A class body's names are visible to the first iterable only (comprehensions are functions).
  const Scope* outer_class = ctx.class_scope;
  ctx.frames->push_back(Frame{});
  std::function<bool(size_t)> run = [&](size_t index) -> bool {
    if (budget_ > kMaxElements) { failure = "too many values to list statically"; return false; }
    Context inner = ctx;
    ++inner.depth;
    inner.class_scope = index == 0 ? outer_class : nullptr;
    if (index == clauses.size()) {
      inner.class_scope = nullptr;
      if (type == "dictionary_comprehension") {
        StaticValue k = eval_in(ts::field(body, "key"), inner), v = eval_in(ts::field(body, "value"), inner);
        if ((waiting(k) || k.known()) && (waiting(v) || v.known()) && pending) return true;
        if (!k.known() || !v.known()) { failure = k.known() ? v.why : k.why; return false; }
        out.push_back(std::move(k));
        out.push_back(std::move(v));
      } else {
        StaticValue v = eval_in(body, inner);
        if (waiting(v)) return true;
        if (!v.known()) { failure = v.why; return false; }
        out.push_back(std::move(v));
      }
      ++budget_;
      return true;
    }
    TSNode clause = clauses[index];
    if (ts::is(clause, "if_clause")) {
      StaticValue condition = eval_in(ts_node_named_child(clause, 0), inner);
      if (waiting(condition)) return true;
      auto t = truth_of(condition);
      if (!t) { failure = "a comprehension's condition is not known statically"; return false; }
      return !*t || run(index + 1);
    }
    StaticValue iterable = eval_in(ts::field(clause, "right"), inner);
    auto elements = iterate(iterable);
    if (!elements && waiting(iterable)) return true;
    if (!elements) { failure = iterable.known() ? "iterating a value whose order is not known" : iterable.why; return false; }
    TSNode target = ts::unparen(ts::field(clause, "left"));
    for (StaticValue& element : *elements) {
      // Bind the target (a name or a flat tuple of names).
      Frame& frame = ctx.frames->back();
      if (ts::is(target, "identifier")) {
        frame.names[std::string(ts::text(target, source_))] = element;
      } else if (ts::is(target, "pattern_list") || ts::is(target, "tuple_pattern") || ts::is(target, "list_pattern")) {
        std::vector<TSNode> names = ts::named_children(target);
        auto parts = iterate(element);
        if (!parts || parts->size() != names.size()) { failure = "unpacking a value of another length"; return false; }
        for (size_t k = 0; k < names.size(); ++k) {
          if (!ts::is(names[k], "identifier")) { failure = "nested unpacking in a comprehension"; return false; }
          frame.names[std::string(ts::text(names[k], source_))] = (*parts)[k];
        }
      } else {
        failure = "a comprehension target that is not a name";
        return false;
      }
      if (!run(index + 1)) return false;
    }
    return true;
  };
  bool ok = run(0) && !pending;
  ctx.frames->pop_back();
  if (!ok) return unknown_value(failure.empty() ? "comprehension" : failure);
  if (type == "set_comprehension") return make_seq(Kind::Set, std::move(out));
  if (type == "dictionary_comprehension") return dict_of_pairs(std::move(out));
  StaticValue v = make_seq(Kind::List, std::move(out));
  v.one_shot = type == "generator_expression";
  return v;
}

StaticValue StaticEvaluator::dict_of_pairs(std::vector<StaticValue> pairs) {
  // A repeated key keeps its first position and its last value.
  std::vector<StaticValue> items;
  bool undecided = false;
  for (size_t i = 0; i + 1 < pairs.size() && !undecided; i += 2) {
    bool replaced = false;
    for (size_t j = 0; j < items.size(); j += 2) {
      auto e = equal(items[j], pairs[i]);
      if (!e) { undecided = true; break; }
      if (*e) { items[j + 1] = pairs[i + 1]; replaced = true; break; }
    }
    if (!replaced) { items.push_back(pairs[i]); items.push_back(pairs[i + 1]); }
  }
  if (!undecided) return make_seq(Kind::Dict, std::move(items));
  // Keys only the interpreter can compare (installed modules' functions): all distinct when a
  // set of them is as long as they are many (a dict's keys collapse as a set's: hash, then ==).
  if (!library_) return unknown_value("dict keys that cannot be compared statically");
  std::string keys = "{\"l\":[";
  for (size_t i = 0; i < pairs.size(); i += 2) {
    auto encoded = library_argument(pairs[i]);
    if (!encoded) return unknown_value("dict keys that cannot be compared statically");
    keys += (i ? "," : "") + *encoded;
  }
  keys += "]}";
  auto count_path = std::make_shared<LibraryPath>();
  count_path->statement = "import builtins";
  count_path->chain = "[\"set\",{\"a\":[" + keys + "],\"k\":[]},\"__len__\",{\"a\":[],\"k\":[]}]";
  StaticValue distinct = library_value(std::move(count_path));
  if (!distinct.known()) return distinct;
  if (distinct.kind != Kind::Int || !distinct.exact || distinct.integer != static_cast<long long>(pairs.size() / 2))
    return unknown_value("dict keys that are equal to each other, as only the interpreter can tell");
  return make_seq(Kind::Dict, std::move(pairs));
}

StaticValue StaticEvaluator::fstring(TSNode node, Context& ctx) {
  std::string_view raw = ts::text(node, source_);
  size_t p = 0;
  while (p < raw.size() && raw[p] != '\'' && raw[p] != '"') ++p;
  std::string prefix(raw.substr(0, p));
  for (char c : prefix) if (c == 'b' || c == 'B' || c == 't' || c == 'T') return unknown_value("a template or bytes f-string");
  if (p >= raw.size()) return unknown_value("unreadable f-string");
  std::string quote = raw.substr(p, 3) == std::string(3, raw[p]) ? std::string(3, raw[p]) : std::string(1, raw[p]);
  std::u32string out;
  for (TSNode child : ts::named_children(node)) {
    if (ts::is(child, "string_content")) {
      std::string literal = prefix + quote + std::string(ts::text(child, source_)) + quote;
      // Decode the piece as a literal of its own (escapes, {{ }}), through a throwaway parse-free path.
      PyValue piece = decode_string_literal(literal);
      if (piece.kind != PyValue::Kind::Str) return unknown_value("an f-string piece is not readable");
      out += piece.chars;
    } else if (ts::is(child, "interpolation")) {
      for (uint32_t i = 0; i < ts_node_child_count(child); ++i)
        if (!ts_node_is_named(ts_node_child(child, i)) && ts::text(ts_node_child(child, i), source_) == "=")
          return unknown_value("a self-documenting f-string field");
      Context inner = ctx;
      ++inner.depth;
      StaticValue v = eval_in(ts::field(child, "expression"), inner);
      if (!v.known()) return v;
      std::optional<char32_t> conversion;
      if (TSNode conv = ts::field(child, "type_conversion"); !ts_node_is_null(conv)) {
        std::string_view t = ts::text(conv, source_);
        if (t.size() != 2) return unknown_value("an f-string conversion");
        conversion = static_cast<char32_t>(t[1]);
      }
      std::u32string spec;
      if (TSNode fs = ts::field(child, "format_specifier"); !ts_node_is_null(fs)) {
        if (ts_node_named_child_count(fs) > 0) return unknown_value("a nested f-string format spec");
        std::string_view t = ts::text(fs, source_);
        if (!t.empty() && t[0] == ':') t.remove_prefix(1);
        spec = ascii32(t);
      }
      auto text = apply_spec(v, spec, conversion);
      if (!text) return unknown_value("an f-string field formatted in a way not mirrored statically");
      out += *text;
    } else if (!ts::is(child, "string_start") && !ts::is(child, "string_end")) {
      return unknown_value("an f-string part not read statically");
    }
  }
  StaticValue v = make_str(std::move(out));
  v.node = node;
  return v;
}

namespace {

// str.format's replacement fields: "{}", "{0}", "{name}", with !r/!s and the specs apply_spec knows.
std::optional<std::u32string> str_format(const std::u32string& fmt, const std::vector<StaticValue>& positional,
                                         const std::vector<std::pair<std::string, StaticValue>>& keyword) {
  std::u32string out;
  size_t auto_index = 0;
  bool automatic = false, manual = false;  // mixing them raises ValueError
  for (size_t i = 0; i < fmt.size(); ++i) {
    char32_t c = fmt[i];
    if (c == '}') {
      if (i + 1 < fmt.size() && fmt[i + 1] == '}') { out += U'}'; ++i; continue; }
      return std::nullopt;
    }
    if (c != '{') { out += c; continue; }
    if (i + 1 < fmt.size() && fmt[i + 1] == '{') { out += U'{'; ++i; continue; }
    size_t close = fmt.find(U'}', i);
    if (close == std::u32string::npos) return std::nullopt;
    std::u32string field = fmt.substr(i + 1, close - i - 1);
    if (field.find(U'{') != std::u32string::npos) return std::nullopt;
    i = close;
    std::u32string spec;
    std::optional<char32_t> conversion;
    if (size_t colon = field.find(U':'); colon != std::u32string::npos) { spec = field.substr(colon + 1); field.resize(colon); }
    if (size_t bang = field.find(U'!'); bang != std::u32string::npos) {
      if (bang + 2 != field.size()) return std::nullopt;
      conversion = field[bang + 1];
      field.resize(bang);
    }
    const StaticValue* value = nullptr;
    if (field.empty()) {
      automatic = true;
      if (manual || auto_index >= positional.size()) return std::nullopt;
      value = &positional[auto_index++];
    } else if (std::all_of(field.begin(), field.end(), [](char32_t d) { return d >= '0' && d <= '9'; })) {
      manual = true;
      if (automatic || field.size() > 6) return std::nullopt;
      size_t index = std::stoul(std::string(field.begin(), field.end()));
      if (index >= positional.size()) return std::nullopt;
      value = &positional[index];
    } else {
      std::string name(field.begin(), field.end());
      for (auto& [k, v] : keyword) if (k == name) value = &v;
      if (!value) return std::nullopt;  // attribute/index access, or a missing name
    }
    auto text = apply_spec(*value, spec, conversion);
    if (!text) return std::nullopt;
    out += *text;
  }
  return out;
}

// itertools.product/combinations/permutations over known pools.
void product_rec(const std::vector<std::vector<StaticValue>>& pools, size_t index, std::vector<StaticValue>& current,
                 std::vector<StaticValue>& out, size_t limit) {
  if (out.size() > limit) return;
  if (index == pools.size()) { out.push_back(make_seq(Kind::Tuple, current)); return; }
  for (const StaticValue& v : pools[index]) {
    current.push_back(v);
    product_rec(pools, index + 1, current, out, limit);
    current.pop_back();
  }
}

}  // namespace

StaticValue StaticEvaluator::call(TSNode node, Context& ctx) {
  TSNode function = ts::unparen(ts::field(node, "function"));
  Args args = read_args(node, source_);
  if (args.splat) {
    // A known sequence unpacked into a str method (`"{} {!r}".format(*pair)`), an itertools
    // function or a builtin (`itertools.chain(*lists)`, `zip(*rows)`).
    if (!args.dict_splat && ts::is(function, "attribute")) {
      StaticValue object = eval_in(ts::field(function, "object"), ctx);
      const std::string_view method = ts::text(ts::field(function, "attribute"), source_);
      if (object.kind == Kind::Str) return method_call(object, method, args, ctx);
      if (object.kind == Kind::Module && object.text == "itertools")
        return call_function("itertools." + std::string(method), args, ctx);
    } else if (!args.dict_splat) {
      StaticValue callee = eval_in(function, ctx);
      if (callee.kind == Kind::Function && callee.text != "pytest.param" && !callee.library)
        return call_function(callee.text, args, ctx);
    }
    return unknown_value("a call with * or ** unpacking");
  }
  // Methods of known values: dict views, str.format / str.join.
  if (ts::is(function, "attribute")) {
    std::string_view method = ts::text(ts::field(function, "attribute"), source_);
    StaticValue object = eval_in(ts::field(function, "object"), ctx);
    if (object.kind == Kind::Module) {
      std::string qualified = object.text + "." + std::string(method);
      if (qualified == "platform.python_implementation" && args.positional.empty() && python_ && !python_->implementation.empty()) {
        const std::string& impl = python_->implementation;
        std::string name = impl == "cpython" ? "CPython" : impl == "pypy" ? "PyPy" : "";
        if (name.empty()) return unknown_value("the interpreter's implementation");
        return make_str(ascii32(name));
      }
      if (qualified == "pytest.param") return param(node, args, ctx);
      if (object.text == "itertools") return call_function("itertools." + std::string(method), args, ctx);
      if (object.text == "datetime" && is_datetime_constructor(qualified)) return call_function(qualified, args, ctx);
      if (object.library && library_) return library_call(*library_attribute(*object.library, method), args, ctx);
      return unknown_value("`" + qualified + "()` is not evaluated statically");
    }
    // A method of an installed module's object (`np.dtype("f8").newbyteorder()`).
    if (object.library && library_) return library_call(*library_attribute(*object.library, method), args, ctx);
    if (!object.known()) return object;
    return method_call(object, method, args, ctx);
  }
  StaticValue callee = eval_in(function, ctx);
  if (callee.kind == Kind::Function && callee.text == "pytest.param") return param(node, args, ctx);
  if (callee.library && library_) return library_call(*callee.library, args, ctx);
  if (callee.kind == Kind::Named && callee.home &&
      (ts::is(callee.node, "function_definition") || ts::is(callee.node, "lambda"))) {
    std::vector<StaticValue> positional;
    std::vector<std::pair<std::string, StaticValue>> keyword;
    // An unknown argument is passed on: the body keeps it in its place or finds it unknown
    // where its value matters (`dtype=int` packed into kwargs). One waiting for the
    // interpreter's answer ends the call here, asked.
    auto waiting = [this](const StaticValue& v) { return !v.known() && v.library && library_; };
    for (TSNode a : args.positional) {
      positional.push_back(eval_in(a, ctx));
      if (waiting(positional.back())) return positional.back();
    }
    for (auto& [name, value] : args.keyword) {
      keyword.emplace_back(name, eval_in(value, ctx));
      if (waiting(keyword.back().second)) return keyword.back().second;
    }
    return callee.home->call_user_function(callee, positional, keyword, callee.home == this ? ctx.at : UINT32_MAX,
                                           ctx.depth + 1);
  }
  if (auto asked = builtin_of_library_values(function, args, ctx)) return *asked;
  if (callee.kind == Kind::Named && ts::is(function, "identifier") && callee.text != "<lambda>" &&
      !module_.find(ts::text(function, source_)))
    callee.kind = Kind::Unknown;  // a builtin class we do not call
  if (callee.kind != Kind::Function) return unknown_value("a call to " + std::string(ts::text(function, source_)) + " is not evaluated statically");
  return call_function(callee.text, args, ctx);
}

namespace {

// The one expression a function returns: its body is `return <expr>` after an optional
// docstring, nothing else (a local, a loop, a raise: null).
TSNode returned_expression(TSNode function_definition) {
  std::vector<TSNode> statements;
  for (TSNode st : ts::named_children(ts::field(function_definition, "body")))
    if (!ts::is(st, "comment")) statements.push_back(st);
  if (!statements.empty() && ts::is(statements.front(), "expression_statement") &&
      ts_node_named_child_count(statements.front()) == 1 && ts::is(ts_node_named_child(statements.front(), 0), "string"))
    statements.erase(statements.begin());  // the docstring
  if (statements.size() != 1 || !ts::is(statements.front(), "return_statement") ||
      ts_node_named_child_count(statements.front()) != 1)
    return TSNode{};
  return ts_node_named_child(statements.front(), 0);
}

// `(yield x)` or `await x` inside an expression: a generator or coroutine, not a value.
bool holds_yield_or_await(TSNode node) {
  if (ts::is(node, "yield") || ts::is(node, "await")) return true;
  if (ts::is(node, "lambda") || ts::is(node, "function_definition")) return false;  // their own bodies
  const uint32_t n = ts_node_named_child_count(node);
  for (uint32_t i = 0; i < n; ++i)
    if (holds_yield_or_await(ts_node_named_child(node, i))) return true;
  return false;
}

// Every `yield` of a function's own body (not of functions or lambdas inside it).
void own_yields(TSNode node, std::vector<TSNode>& out) {
  if (ts::is(node, "yield")) out.push_back(node);
  if (ts::is(node, "lambda") || ts::is(node, "function_definition") || ts::is(node, "class_definition")) return;
  const uint32_t n = ts_node_named_child_count(node);
  for (uint32_t i = 0; i < n; ++i) own_yields(ts_node_named_child(node, i), out);
}

bool holds_await(TSNode node) {
  if (ts::is(node, "await")) return true;
  if (ts::is(node, "lambda") || ts::is(node, "function_definition")) return false;
  const uint32_t n = ts_node_named_child_count(node);
  for (uint32_t i = 0; i < n; ++i)
    if (holds_await(ts_node_named_child(node, i))) return true;
  return false;
}

// A statement that is a `yield` alone (`yield x`, `yield from xs`, `yield`): the only yields a
// replayed generator may hold (a yield's value, `y = yield x`, is what the caller sends).
bool is_yield_statement(TSNode node) {
  TSNode statement = ts_node_parent(node);
  return ts::is(statement, "expression_statement") && ts_node_named_child_count(statement) == 1;
}

}  // namespace

// A call of a function of the project: one whose body returns one expression (`def make():
// return list(range(3))`, `lambda n: [n] * 2`), not decorated (checked where its name was
// read), not async, with plain parameters. The expression is evaluated with the parameters
// bound to the arguments' values, the module's names as they are where the call stands
// (`at`: a name bound further down is a NameError there); each call is the code pytest's
// collection runs, so the ids are the same. Anything else stays unknown.
StaticValue StaticEvaluator::call_user_function(const StaticValue& callee, const std::vector<StaticValue>& positional,
                                                const std::vector<std::pair<std::string, StaticValue>>& keyword,
                                                uint32_t at, int depth) {
  const std::string name = callee.text;
  auto refuse = [&](const std::string& why) { return unknown_value("a call to " + name + " is not evaluated statically (" + why + ")"); };
  if (callee.changed) return refuse("`" + name + "` is passed to code that may change it");
  if (depth > kMaxDepth) return refuse("calls nested too deep");
  const bool is_lambda = ts::is(callee.node, "lambda");
  if (!is_lambda && ts::text(callee.node, source_).starts_with("async")) return refuse("a coroutine");
  TSNode body = is_lambda ? ts::field(callee.node, "body") : returned_expression(callee.node);
  if (!ts_node_is_null(body) && holds_yield_or_await(body)) return refuse("a generator or coroutine");
  // Parameters in order: name, and the default's node when it has one; where `*args` and
  // `**kwargs` stand, and which may be named by a keyword or filled by position.
  struct Parameter {
    std::string name;
    TSNode default_value{};
    bool by_position = true;  // not after `*` / `*args`
    bool by_keyword = true;   // not before `/`
  };
  std::vector<Parameter> parameters;
  std::string star_args, star_kwargs;
  bool keyword_only = false;
  for (TSNode p : ts::named_children(ts::field(callee.node, "parameters"))) {
    TSNode inner = ts::is(p, "typed_parameter") && ts_node_named_child_count(p) > 0 ? ts_node_named_child(p, 0) : p;
    if (ts::is(inner, "identifier")) {
      parameters.push_back({std::string(ts::text(inner, source_)), TSNode{}, !keyword_only, true});
    } else if (ts::is(p, "default_parameter") || ts::is(p, "typed_default_parameter")) {
      parameters.push_back({std::string(ts::text(ts::field(p, "name"), source_)), ts::field(p, "value"), !keyword_only, true});
    } else if (ts::is(inner, "list_splat_pattern") && ts::is(ts_node_named_child(inner, 0), "identifier")) {
      star_args = std::string(ts::text(ts_node_named_child(inner, 0), source_));
      keyword_only = true;
    } else if (ts::is(inner, "dictionary_splat_pattern") && ts::is(ts_node_named_child(inner, 0), "identifier")) {
      star_kwargs = std::string(ts::text(ts_node_named_child(inner, 0), source_));
    } else if (ts::is(p, "keyword_separator")) {
      keyword_only = true;
    } else if (ts::is(p, "positional_separator")) {
      for (Parameter& before : parameters) before.by_keyword = false;
    } else if (!ts::is(p, "comment")) {
      return refuse("its parameters are not plain names");
    }
  }
  Frame frame;
  std::vector<StaticValue> extra_positional;
  size_t filled = 0;
  for (const StaticValue& value : positional) {
    while (filled < parameters.size() && !parameters[filled].by_position) ++filled;
    if (filled < parameters.size()) frame.names[parameters[filled++].name] = value;
    else if (!star_args.empty()) extra_positional.push_back(value);
    else return refuse("too many arguments");
  }
  std::vector<StaticValue> extra_keyword;  // key, value, key, value...
  for (const auto& argument : keyword) {
    const std::string& key = argument.first;  // not a structured binding: clang cannot capture those
    auto it = std::find_if(parameters.begin(), parameters.end(),
                           [&key](const Parameter& p) { return p.name == key && p.by_keyword; });
    if (it != parameters.end()) {
      if (frame.names.count(key)) return refuse("an argument pytest's call would reject");
      frame.names[key] = argument.second;
    } else if (!star_kwargs.empty() && std::all_of(key.begin(), key.end(), [](char c) { return (c & 0x80) == 0; })) {
      extra_keyword.push_back(make_str(ascii32(key)));
      extra_keyword.push_back(argument.second);
    } else {
      return refuse("an argument pytest's call would reject");
    }
  }
  if (!star_args.empty()) frame.names[star_args] = make_seq(Kind::Tuple, std::move(extra_positional));
  if (!star_kwargs.empty()) frame.names[star_kwargs] = make_seq(Kind::Dict, std::move(extra_keyword));
  for (const Parameter& p : parameters) {
    const std::string& parameter = p.name;
    const TSNode default_value = p.default_value;
    if (frame.names.count(parameter)) continue;
    if (ts_node_is_null(default_value)) return refuse("a missing argument");
    // A default is evaluated once, where the function is defined.
    std::vector<Frame> none;
    Context defining{nullptr, &none, depth + 1, ts_node_start_byte(callee.node)};
    StaticValue v = eval_in(default_value, defining);
    if (!v.known()) return v;
    frame.names[parameter] = std::move(v);
  }
  if (ts_node_is_null(body)) return run_function_body(callee, std::move(frame), at, depth);
  std::vector<Frame> frames{std::move(frame)};
  Context calling{nullptr, &frames, depth + 1, at};
  return eval_in(body, calling);
}

namespace {

void identifiers_named(TSNode node, std::string_view name, std::string_view source, std::vector<TSNode>& out) {
  if (ts::is(node, "identifier")) {
    if (ts::text(node, source) == name) out.push_back(node);
    return;
  }
  const uint32_t n = ts_node_named_child_count(node);
  for (uint32_t i = 0; i < n; ++i) identifiers_named(ts_node_named_child(node, i), name, source, out);
}

// The names a function body binds (assignment and loop targets, at any depth): all locals.
void locals_bound(TSNode node, std::string_view source, std::unordered_set<std::string>& out) {
  if (ts::is(node, "function_definition") || ts::is(node, "class_definition") || ts::is(node, "lambda")) return;
  if (ts::is(node, "assignment") || ts::is(node, "augmented_assignment") || ts::is(node, "for_statement")) {
    std::vector<std::string> names;
    identifiers_in(ts::field(node, ts::is(node, "for_statement") ? "left" : "left"), source, names);
    out.insert(names.begin(), names.end());
  }
  const uint32_t n = ts_node_named_child_count(node);
  for (uint32_t i = 0; i < n; ++i) locals_bound(ts_node_named_child(node, i), source, out);
}

}  // namespace

// A function whose body builds its answer in statements (`values = []`, `for ... :
// values.append(...)`, `if` the evaluator decides) and ends with `return <expr>`: replayed in a
// frame of its parameters and locals. A list it grows must be fresh (bound once to a list
// display or comprehension) and read only by its `.append`/`.extend` and the `return`: no
// alias can see it change. Anything else is unknown.
StaticValue StaticEvaluator::run_function_body(const StaticValue& callee, Frame frame, uint32_t at, int depth) {
  const std::string name = callee.text;
  auto refuse = [&](const std::string& why) { return unknown_value("a call to " + name + " is not evaluated statically (" + why + ")"); };
  TSNode block = ts::field(callee.node, "body");
  std::vector<TSNode> statements;
  for (TSNode st : ts::named_children(block))
    if (!ts::is(st, "comment")) statements.push_back(st);
  if (!statements.empty() && ts::is(statements.front(), "expression_statement") &&
      ts_node_named_child_count(statements.front()) == 1 && ts::is(ts_node_named_child(statements.front(), 0), "string"))
    statements.erase(statements.begin());  // the docstring
  if (holds_await(block)) return refuse("a coroutine");
  // A generator: what it yields, in order, is the value pytest iterates (once).
  std::vector<TSNode> yields;
  own_yields(block, yields);
  const bool generator = !yields.empty();
  if (generator) {
    if (!std::all_of(yields.begin(), yields.end(), is_yield_statement))
      return refuse("a generator whose `yield` is read as a value");
    if (!statements.empty() && ts::is(statements.back(), "return_statement") &&
        ts_node_named_child_count(statements.back()) == 0)
      statements.pop_back();  // the bare `return` ending it
  } else if (statements.size() < 2 || !ts::is(statements.back(), "return_statement") ||
             ts_node_named_child_count(statements.back()) != 1) {
    return refuse("its body is not statements ending in one `return`");
  }
  TSNode returned = generator ? TSNode{} : ts_node_named_child(statements.back(), 0);
  // Every local starts unbound: a read before its assignment is not a module name.
  std::unordered_set<std::string> locals;
  locals_bound(block, source_, locals);
  for (const std::string& local : locals)
    if (!frame.names.count(local)) frame.names[local] = unknown_value("`" + local + "` is read before it is assigned");
  // The lists it grows, and where each may be named.
  std::unordered_set<std::string> growable;
  for (TSNode st : statements) {
    std::vector<TSNode> calls;
    std::function<void(TSNode)> find_calls = [&](TSNode n) {
      if (ts::is(n, "call")) {
        TSNode f = ts::unparen(ts::field(n, "function"));
        if (ts::is(f, "attribute") && ts::is(ts::field(f, "object"), "identifier")) {
          const std::string_view m = ts::text(ts::field(f, "attribute"), source_);
          if (m == "append" || m == "extend") growable.emplace(ts::text(ts::field(f, "object"), source_));
        }
      }
      const uint32_t n_children = ts_node_named_child_count(n);
      for (uint32_t i = 0; i < n_children; ++i) find_calls(ts_node_named_child(n, i));
    };
    find_calls(st);
  }
  if (generator) frame.names[kYielded] = make(Kind::List);
  for (const std::string& list : growable) {
    if (!locals.count(list)) return refuse("it grows `" + list + "`, which is not its own");
    std::vector<TSNode> uses;
    identifiers_named(block, list, source_, uses);
    int bindings = 0;
    for (TSNode use : uses) {
      TSNode parent = ts_node_parent(use);
      if (!generator && ts_node_start_byte(use) >= ts_node_start_byte(statements.back())) continue;  // read by the return
      if (ts::is(parent, "attribute") && ts_node_eq(ts::field(parent, "object"), use)) {
        const std::string_view m = ts::text(ts::field(parent, "attribute"), source_);
        TSNode call = ts_node_parent(parent);
        if ((m == "append" || m == "extend") && ts::is(call, "call") && ts::is(ts_node_parent(call), "expression_statement"))
          continue;
      }
      if (ts::is(parent, "assignment") && ts_node_eq(ts::field(parent, "left"), use)) {
        TSNode value = ts::unparen(ts::field(parent, "right"));
        if (ts::is(value, "list") || ts::is(value, "list_comprehension")) { ++bindings; continue; }
      }
      return refuse("`" + list + "` is read while it grows");
    }
    if (bindings != 1) return refuse("`" + list + "` is not bound once to a new list");
  }
  if (generator) growable.insert(kYielded);
  std::vector<Frame> frames{std::move(frame)};
  Context calling{nullptr, &frames, depth + 1, at};
  const size_t replayed = generator ? statements.size() : statements.size() - 1;  // all but the `return`
  for (size_t i = 0; i < replayed; ++i)
    if (!replay_growth(statements[i], growable, /*in_function=*/true, calling))
      return refuse("its body does more than bind names, grow lists, yield, loop and decide `if`s: line " +
                    std::to_string(ts_node_start_point(statements[i]).row + 1));
  if (!generator) return eval_in(returned, calling);
  StaticValue yielded = std::move(frames.back().names[kYielded]);
  yielded.one_shot = true;  // a generator: consumed by one iteration
  return yielded;
}

StaticValue StaticEvaluator::param(TSNode node, const Args& args, Context& ctx) {
  // Values stay in place even when unknown: with an id= they do not matter, without one the
  // caller finds them unknown.
  StaticValue p = make(Kind::Param);
  for (TSNode a : args.positional) p.items.push_back(eval_in(a, ctx));
  for (auto& [k, value] : args.keyword) {
    if (k == "id") {
      StaticValue id = eval_in(value, ctx);
      if (id.kind == Kind::None) continue;
      if (id.kind != Kind::Str) return unknown_value("pytest.param id is not a known string");
      p.param_id = id.chars;
    } else if (k == "marks") {
      p.param_has_marks = true;
    } else {
      return unknown_value("pytest.param with an unknown keyword");
    }
  }
  p.node = node;
  return p;
}

StaticValue StaticEvaluator::method_call(const StaticValue& object, std::string_view method, const Args& args, Context& ctx) {
  std::vector<StaticValue> values;
  for (TSNode a : args.splat ? args.positional_and_unpacked : args.positional) {
    if (ts::is(a, "dictionary_splat")) return unknown_value("a call with ** unpacking");
    if (ts::is(a, "list_splat")) {
      StaticValue sequence = eval_in(ts_node_named_child(a, 0), ctx);
      if (!sequence.known()) return sequence;
      auto elements = iterate(sequence);
      if (!elements) return unknown_value("* unpacking of a value whose order is not known");
      values.insert(values.end(), elements->begin(), elements->end());
      continue;
    }
    StaticValue v = eval_in(a, ctx);
    if (!v.known()) return v;
    values.push_back(std::move(v));
  }
  if (object.kind == Kind::Dict && args.keyword.empty() && values.empty() &&
      (method == "items" || method == "keys" || method == "values")) {
    std::vector<StaticValue> out;
    for (size_t i = 0; i < object.items.size(); i += 2) {
      if (method == "keys") out.push_back(object.items[i]);
      else if (method == "values") out.push_back(object.items[i + 1]);
      else out.push_back(make_seq(Kind::Tuple, {object.items[i], object.items[i + 1]}));
    }
    return make_seq(Kind::List, std::move(out));  // a view: iterable again, like a list
  }
  if (object.kind == Kind::Str && method == "format") {
    std::vector<std::pair<std::string, StaticValue>> keyword;
    for (auto& [k, value] : args.keyword) {
      StaticValue v = eval_in(value, ctx);
      if (!v.known()) return v;
      keyword.emplace_back(k, std::move(v));
    }
    auto text = str_format(object.chars, values, keyword);
    if (!text) return unknown_value("a str.format not mirrored statically");
    return make_str(std::move(*text));
  }
  if (object.kind == Kind::Str && method == "join" && values.size() == 1 && args.keyword.empty()) {
    auto parts = iterate(values[0]);
    if (!parts) return unknown_value("str.join of an unknown value");
    std::u32string out;
    for (size_t i = 0; i < parts->size(); ++i) {
      if ((*parts)[i].kind != Kind::Str) return unknown_value("str.join of a non-str");
      out += (i ? object.chars : U"") + (*parts)[i].chars;
    }
    return make_str(std::move(out));
  }
  if (object.kind == Kind::Str && (method == "startswith" || method == "endswith") && values.size() == 1 &&
      args.keyword.empty()) {
    // One prefix or a tuple of them.
    std::vector<StaticValue> affixes = values[0].kind == Kind::Tuple ? values[0].items : std::vector<StaticValue>{values[0]};
    bool found = false;
    for (const StaticValue& a : affixes) {
      if (a.kind != Kind::Str) return unknown_value("startswith/endswith of a non-str");
      const std::u32string& t = object.chars;
      if (a.chars.size() > t.size()) continue;
      found |= method == "startswith" ? t.compare(0, a.chars.size(), a.chars) == 0
                                      : t.compare(t.size() - a.chars.size(), a.chars.size(), a.chars) == 0;
    }
    return make_bool(found);
  }
  if (object.kind == Kind::Str && (method == "upper" || method == "lower") && values.empty()) {
    std::u32string out = object.chars;
    for (char32_t& c : out) {
      if (c >= 0x80) return unknown_value("case mapping of non-ASCII text");
      if (method == "upper" && c >= 'a' && c <= 'z') c -= 32;
      if (method == "lower" && c >= 'A' && c <= 'Z') c += 32;
    }
    return make_str(std::move(out));
  }
  if (object.kind == Kind::Str && method == "encode" && values.size() + args.keyword.size() <= 1) {
    // UTF-8 (the default) or ASCII, strict: a lone surrogate, or non-ASCII text under ascii, raises.
    std::optional<StaticValue> encoding;
    if (!values.empty()) encoding = values[0];
    for (auto& [k, value] : args.keyword) {
      if (k != "encoding") return unknown_value("str.encode with errors= is not evaluated statically");
      encoding = eval_in(value, ctx);
    }
    bool ascii = false;
    if (encoding) {
      if (encoding->kind != Kind::Str) return unknown_value("str.encode with an unknown encoding");
      std::u32string name = encoding->chars;
      for (char32_t& c : name) {
        if (c >= 'A' && c <= 'Z') c += 32;
        if (c == '_') c = '-';
      }
      if (name == U"ascii") ascii = true;
      else if (name != U"utf-8" && name != U"utf8") return unknown_value("str.encode in an encoding not mirrored statically");
    }
    for (char32_t c : object.chars)
      if ((c >= 0xD800 && c <= 0xDFFF) || (ascii && c >= 0x80)) return unknown_value("a str.encode that raises");
    StaticValue v = make(Kind::Bytes);
    v.text = to_utf8(object.chars);
    return v;
  }
  return unknown_value("a method call is not evaluated statically");
}

// datetime.date/datetime/time/timedelta of int arguments that construct without raising: an
// instance with no __name__, which pytest ids as argname+index. A tzinfo=, a float or an
// out-of-range field stays unknown (a ValueError fails the module's import).
StaticValue StaticEvaluator::datetime_object(const std::string& f, const std::vector<StaticValue>& values,
                                             const std::vector<std::pair<std::string, StaticValue>>& keyword) {
  struct Field { const char* name; long long lo, hi; bool required; };
  static const std::vector<Field> date_fields{{"year", 1, 9999, true}, {"month", 1, 12, true}, {"day", 1, 31, true}};
  static const std::vector<Field> time_fields{
      {"hour", 0, 23, false}, {"minute", 0, 59, false}, {"second", 0, 59, false}, {"microsecond", 0, 999999, false}};
  std::vector<Field> fields;
  if (f == "datetime.date" || f == "datetime.datetime") fields = date_fields;
  if (f == "datetime.datetime" || f == "datetime.time") fields.insert(fields.end(), time_fields.begin(), time_fields.end());
  if (f == "datetime.timedelta") {
    // Each field bounded well inside timedelta's range (999999999 days).
    for (const char* name : {"days", "seconds", "microseconds", "milliseconds", "minutes", "hours", "weeks"})
      fields.push_back({name, -1000000, 1000000, false});
  }
  if (fields.empty()) return unknown_value("a call to " + f + "() is not evaluated statically");
  if (values.size() > fields.size()) return unknown_value("a call to " + f + "() with more arguments than it takes");
  std::vector<std::optional<long long>> given(fields.size());
  for (size_t i = 0; i < values.size(); ++i) {
    if (values[i].kind != Kind::Int || !values[i].exact) return unknown_value("a call to " + f + "() with an argument that is not an int");
    given[i] = values[i].integer;
  }
  for (const auto& [k, v] : keyword) {
    size_t i = 0;
    while (i < fields.size() && k != fields[i].name) ++i;
    if (i == fields.size() || given[i]) return unknown_value("a call to " + f + "() with the keyword `" + k + "`");
    if (v.kind != Kind::Int || !v.exact) return unknown_value("a call to " + f + "() with an argument that is not an int");
    given[i] = v.integer;
  }
  for (size_t i = 0; i < fields.size(); ++i) {
    if (!given[i]) {
      if (fields[i].required) return unknown_value("a call to " + f + "() without its " + fields[i].name);
      continue;
    }
    if (*given[i] < fields[i].lo || *given[i] > fields[i].hi) return unknown_value("a call to " + f + "() that raises (out of range)");
  }
  if (f != "datetime.time" && f != "datetime.timedelta") {
    const long long year = *given[0], month = *given[1], day = *given[2];
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if (day > days[month - 1] + (month == 2 && leap ? 1 : 0)) return unknown_value("a call to " + f + "() that raises (day out of range)");
  }
  StaticValue object = make(Kind::Object);
  object.text = f;
  return object;
}

StaticValue StaticEvaluator::call_function(const std::string& f, const Args& args, Context& ctx) {
  std::vector<StaticValue> values;
  for (TSNode a : args.splat ? args.positional_and_unpacked : args.positional) {
    if (ts::is(a, "dictionary_splat")) return unknown_value("a call with ** unpacking");
    if (ts::is(a, "list_splat")) {  // `*xs`: its elements in order, as positional arguments
      StaticValue sequence = eval_in(ts_node_named_child(a, 0), ctx);
      if (!sequence.known()) return sequence;
      auto elements = iterate(sequence);
      if (!elements) return unknown_value("* unpacking of a value whose order is not known");
      budget_ += elements->size();
      for (StaticValue& e : *elements) values.push_back(std::move(e));
      continue;
    }
    StaticValue v = eval_in(a, ctx);
    if (!v.known()) return v;
    values.push_back(std::move(v));
  }
  std::vector<std::pair<std::string, StaticValue>> keyword;
  for (auto& [k, value] : args.keyword) {
    StaticValue v = eval_in(value, ctx);
    if (!v.known()) return v;
    keyword.emplace_back(k, std::move(v));
  }
  if (f.starts_with("datetime.")) return datetime_object(f, values, keyword);
  if (f == "object" && values.empty() && keyword.empty()) {  // a sentinel: pytest's id is argname+index
    StaticValue sentinel = make(Kind::Object);
    sentinel.text = "object";
    return sentinel;
  }
  auto only_positional = [&](size_t lo, size_t hi) { return keyword.empty() && values.size() >= lo && values.size() <= hi; };
  auto pools = [&](size_t from) -> std::optional<std::vector<std::vector<StaticValue>>> {
    std::vector<std::vector<StaticValue>> out;
    for (size_t i = from; i < values.size(); ++i) {
      auto e = iterate(values[i]);
      if (!e) return std::nullopt;
      out.push_back(std::move(*e));
    }
    return out;
  };
  auto iterator = [](std::vector<StaticValue> items) {
    StaticValue v = make_seq(Kind::List, std::move(items));
    v.one_shot = true;
    return v;
  };
  if (f == "range" && only_positional(1, 3)) {
    for (auto& v : values) if (!is_int_like(v)) return unknown_value("range() of a non-int");
    long long start = values.size() == 1 ? 0 : values[0].integer, stop = values.size() == 1 ? values[0].integer : values[1].integer;
    long long step = values.size() == 3 ? values[2].integer : 1;
    if (step == 0) return unknown_value("range() with step 0 raises");
    std::vector<StaticValue> out;
    for (long long n = start; step > 0 ? n < stop : n > stop; n += step) {
      if (out.size() + budget_ > kMaxElements) return unknown_value("too many values to list statically");
      out.push_back(make_int(n));
    }
    budget_ += out.size();
    return make_seq(Kind::List, std::move(out));  // a range is re-iterable
  }
  if (f == "len" && only_positional(1, 1)) {
    if (values[0].one_shot) return unknown_value("len() of an iterator raises");
    if (values[0].kind == Kind::Str) return make_int(static_cast<long long>(values[0].chars.size()));
    if (values[0].kind == Kind::Bytes) return make_int(static_cast<long long>(values[0].text.size()));
    if (values[0].kind == Kind::Dict) return make_int(static_cast<long long>(values[0].items.size() / 2));
    if (values[0].kind == Kind::Tuple || values[0].kind == Kind::List || values[0].kind == Kind::Set)
      return make_int(static_cast<long long>(values[0].items.size()));
    return unknown_value("len() of an unknown value");
  }
  if ((f == "list" || f == "tuple") && only_positional(0, 1)) {
    if (values.empty()) return make_seq(f == "list" ? Kind::List : Kind::Tuple, {});
    auto e = iterate(values[0]);
    if (!e) return unknown_value(f + "() of a value whose order is not known");
    return make_seq(f == "list" ? Kind::List : Kind::Tuple, std::move(*e));
  }
  if ((f == "set" || f == "frozenset") && only_positional(0, 1)) {
    if (values.empty()) return make_seq(Kind::Set, {});
    if (values[0].kind == Kind::Set) return values[0];
    auto e = iterate(values[0]);
    if (!e) return unknown_value("set() of an unknown value");
    return make_seq(Kind::Set, std::move(*e));
  }
  if (f == "complex" && only_positional(1, 2)) return complex_of(values);
  if (f == "sorted" && values.size() == 1) {
    bool reverse = false;
    for (auto& [k, v] : keyword) {
      if (k != "reverse" || v.kind != Kind::Bool) return unknown_value("sorted() with a key");
      reverse = v.integer != 0;
    }
    std::vector<StaticValue> e;
    if (values[0].kind == Kind::Set) e = values[0].items;  // sorting removes the hash order
    else if (auto it = iterate(values[0])) e = std::move(*it);
    else return unknown_value("sorted() of an unknown value");
    if (values[0].kind == Kind::Set) {
      // A set holds each value once.
      std::vector<StaticValue> unique;
      for (auto& v : e) {
        bool seen = false;
        for (auto& u : unique) {
          auto eq = equal(u, v);
          if (!eq) return unknown_value("sorted() of values not compared statically");
          seen |= *eq;
        }
        if (!seen) unique.push_back(v);
      }
      e = std::move(unique);
    }
    for (size_t i = 1; i < e.size(); ++i)
      if (!order(e[0], e[i])) return unknown_value("sorted() of values not compared statically");
    bool ok = true;
    std::stable_sort(e.begin(), e.end(), [&](const StaticValue& a, const StaticValue& b) {
      auto c = reverse ? order(b, a) : order(a, b);
      if (!c) ok = false;
      return c && *c < 0;
    });
    if (!ok) return unknown_value("sorted() of values not compared statically");
    return make_seq(Kind::List, std::move(e));
  }
  if (f == "reversed" && only_positional(1, 1)) {
    if (values[0].kind != Kind::List && values[0].kind != Kind::Tuple) return unknown_value("reversed() of a non-sequence");
    if (values[0].one_shot) return unknown_value("reversed() of an iterator raises");
    std::vector<StaticValue> e(values[0].items.rbegin(), values[0].items.rend());
    return iterator(std::move(e));
  }
  if (f == "zip" && keyword.empty()) {
    auto p = pools(0);
    if (!p) return unknown_value("zip() of an unknown value");
    std::vector<StaticValue> out;
    size_t n = p->empty() ? 0 : SIZE_MAX;
    for (auto& pool : *p) n = std::min(n, pool.size());
    for (size_t i = 0; i < n; ++i) {
      std::vector<StaticValue> row;
      for (auto& pool : *p) row.push_back(pool[i]);
      out.push_back(make_seq(Kind::Tuple, std::move(row)));
    }
    budget_ += out.size();
    return iterator(std::move(out));
  }
  if (f == "enumerate" && values.size() == 1) {
    long long start = 0;
    for (auto& [k, v] : keyword) {
      if (k != "start" || !is_int_like(v)) return unknown_value("enumerate() with an unknown start");
      start = v.integer;
    }
    auto e = iterate(values[0]);
    if (!e) return unknown_value("enumerate() of an unknown value");
    std::vector<StaticValue> out;
    for (auto& v : *e) out.push_back(make_seq(Kind::Tuple, {make_int(start++), v}));
    return iterator(std::move(out));
  }
  if (f == "dict") {
    std::vector<StaticValue> items;
    if (values.size() > 1) return unknown_value("dict() with several arguments");
    if (values.size() == 1) {
      if (values[0].kind == Kind::Dict) items = values[0].items;
      else {
        auto e = iterate(values[0]);
        if (!e) return unknown_value("dict() of an unknown value");
        for (auto& pair : *e) {
          auto kv = iterate(pair);
          if (!kv || kv->size() != 2) return unknown_value("dict() of non-pairs");
          items.push_back((*kv)[0]);
          items.push_back((*kv)[1]);
        }
      }
    }
    for (auto& [k, v] : keyword) { items.push_back(make_str(ascii32(k))); items.push_back(v); }
    std::vector<StaticValue> merged;
    for (size_t i = 0; i < items.size(); i += 2) {
      bool replaced = false;
      for (size_t j = 0; j < merged.size(); j += 2) {
        auto e = equal(merged[j], items[i]);
        if (!e) return unknown_value("dict keys that cannot be compared statically");
        if (*e) { merged[j + 1] = items[i + 1]; replaced = true; break; }
      }
      if (!replaced) { merged.push_back(items[i]); merged.push_back(items[i + 1]); }
    }
    return make_seq(Kind::Dict, std::move(merged));
  }
  if (f == "str" && only_positional(1, 1)) {
    auto t = to_text(values[0], false);
    if (!t) return unknown_value("str() of a value not mirrored statically");
    return make_str(std::move(*t));
  }
  if (f == "itertools.product") {
    long long repeat = 1;
    for (auto& [k, v] : keyword) {
      if (k != "repeat" || !is_int_like(v) || v.integer < 0 || v.integer > 16) return unknown_value("product() with an unknown keyword");
      repeat = v.integer;
    }
    auto p = pools(0);
    if (!p) return unknown_value("product() of an unknown value");
    std::vector<std::vector<StaticValue>> all;
    for (long long r = 0; r < repeat; ++r) all.insert(all.end(), p->begin(), p->end());
    std::vector<StaticValue> out, current;
    product_rec(all, 0, current, out, kMaxElements);
    if (out.size() > kMaxElements) return unknown_value("too many values to list statically");
    budget_ += out.size();
    return iterator(std::move(out));
  }
  if ((f == "itertools.combinations" || f == "itertools.permutations") && values.size() >= 1 && values.size() <= 2) {
    auto e = iterate(values[0]);
    if (!e) return unknown_value(f + "() of an unknown value");
    long long r = static_cast<long long>(e->size());
    if (values.size() == 2) {
      if (!is_int_like(values[1])) return unknown_value(f + "() with an unknown r");
      r = values[1].integer;
    }
    for (auto& [k, v] : keyword) {
      if (k != "r" || !is_int_like(v)) return unknown_value(f + "() with an unknown keyword");
      r = v.integer;
    }
    if (r < 0) return unknown_value(f + "() with a negative r raises");
    const size_t n = e->size();
    std::vector<StaticValue> out;
    if (static_cast<size_t>(r) <= n) {
      std::vector<size_t> idx;
      const bool combos = f == "itertools.combinations";
      // Lexicographic index tuples, as itertools emits them.
      std::function<bool()> rec = [&]() -> bool {
        if (out.size() > kMaxElements) return false;
        if (idx.size() == static_cast<size_t>(r)) {
          std::vector<StaticValue> row;
          for (size_t i : idx) row.push_back((*e)[i]);
          out.push_back(make_seq(Kind::Tuple, std::move(row)));
          return true;
        }
        for (size_t i = combos ? (idx.empty() ? 0 : idx.back() + 1) : 0; i < n; ++i) {
          if (!combos && std::find(idx.begin(), idx.end(), i) != idx.end()) continue;
          idx.push_back(i);
          bool ok = rec();
          idx.pop_back();
          if (!ok) return false;
        }
        return true;
      };
      if (!rec()) return unknown_value("too many values to list statically");
    }
    budget_ += out.size();
    return iterator(std::move(out));
  }
  if (f == "itertools.chain" && keyword.empty()) {
    auto p = pools(0);
    if (!p) return unknown_value("chain() of an unknown value");
    std::vector<StaticValue> out;
    for (auto& pool : *p) out.insert(out.end(), pool.begin(), pool.end());
    return iterator(std::move(out));
  }
  return unknown_value("a call to " + f + "() is not evaluated statically");
}

// The __name__ of a class or function read from source: the name its statement gives, when
// nothing may have set another (a metaclass, a body binding `__name__`, code it was passed to).
std::optional<std::string> source_name(const StaticValue& named) {
  if (!named.home || named.changed || named.text.empty() || named.text == "<lambda>") return std::nullopt;
  TSNode def = named.node;
  if (!ts::is(def, "class_definition") && !ts::is(def, "function_definition")) return std::nullopt;
  if (ts::is(ts_node_parent(def), "decorated_definition")) return std::nullopt;
  if (ts::is(def, "class_definition")) {
    for (TSNode arg : ts::named_children(ts::field(def, "superclasses")))
      if (ts::is(arg, "keyword_argument")) return std::nullopt;  // metaclass=...
    for (TSNode stmt : ts::named_children(ts::field(def, "body"))) {
      TSNode e = ts::is(stmt, "expression_statement") ? ts_node_named_child(stmt, 0) : stmt;
      if (ts::is(e, "assignment") && ts::text(ts::field(e, "left"), named.home->source()) == "__name__") return std::nullopt;
    }
  }
  return named.text;
}

StaticValue StaticEvaluator::attribute(TSNode node, Context& ctx) {
  std::string_view attr = ts::text(ts::field(node, "attribute"), source_);
  TSNode object_node = ts::field(node, "object");
  // sys.implementation.name
  if (ts::is(ts::unparen(object_node), "attribute") && attr == "name") {
    TSNode inner = ts::unparen(object_node);
    StaticValue base = eval_in(ts::field(inner, "object"), ctx);
    if (base.kind == Kind::Module && base.text == "sys" && ts::text(ts::field(inner, "attribute"), source_) == "implementation") {
      if (!python_ || python_->implementation.empty()) return unknown_value("the interpreter's implementation is not known");
      return make_str(ascii32(python_->implementation));
    }
  }
  StaticValue object = eval_in(object_node, ctx);
  if (object.kind == Kind::Module) {
    std::string qualified = object.text + "." + std::string(attr);
    if (qualified == "sys.version_info") {
      if (!python_ || python_->major == 0) return unknown_value("the interpreter's version is not known");
      StaticValue v = make_seq(Kind::Tuple, {make_int(python_->major), make_int(python_->minor)});
      v.items.push_back(python_->micro ? make_int(*python_->micro) : unknown_value("the interpreter's micro version"));
      v.items.push_back(python_->releaselevel ? make_str(ascii32(*python_->releaselevel)) : unknown_value("the release level"));
      v.items.push_back(python_->serial ? make_int(*python_->serial) : unknown_value("the serial"));
      v.text = "version_info";
      return v;
    }
    if (qualified == "sys.platform") {
      if (!python_ || python_->platform.empty()) return unknown_value("the platform is not known");
      return make_str(ascii32(python_->platform));
    }
    if (qualified == "os.name") {
      if (!python_ || python_->os_name.empty()) return unknown_value("os.name is not known");
      return make_str(ascii32(python_->os_name));
    }
    if (qualified == "pickle.HIGHEST_PROTOCOL") {
      // 5 from Python 3.8, 4 from 3.4.
      if (!python_ || python_->major != 3 || python_->minor < 4) return unknown_value("pickle.HIGHEST_PROTOCOL of this interpreter");
      return make_int(python_->minor >= 8 ? 5 : 4);
    }
    if (object.text == "datetime" &&
        (attr == "date" || attr == "datetime" || attr == "time" || attr == "timedelta")) {
      StaticValue f = make(Kind::Function);
      f.text = qualified;
      return f;
    }
    if (object.text == "operator")
      if (auto name = operator_function_name(attr)) {
        StaticValue f = make(Kind::Named);  // a builtin function: pytest's id is its __name__
        f.text = std::string(*name);
        if (object.library && library_) f.library = library_attribute(*object.library, attr);  // `is` is asked
        return f;
      }
    if (object.text == "itertools" || object.text == "platform" || object.text == "pytest") {
      StaticValue f = make(Kind::Function);
      f.text = qualified;
      if (object.text != "itertools") return unknown_value("`" + qualified + "` is not evaluated statically");
      return f;
    }
    if (object.library && library_) return library_value(library_attribute(*object.library, attr));
    return unknown_value("`" + qualified + "` is not evaluated statically");
  }
  if (object.kind == Kind::Tuple && object.text == "version_info") {
    static const char* fields[] = {"major", "minor", "micro", "releaselevel", "serial"};
    for (size_t i = 0; i < 5; ++i)
      if (attr == fields[i]) return object.items[i];
  }
  if (object.library && library_) return library_value(library_attribute(*object.library, attr));
  if (!object.known()) return object;
  if (attr == "__name__" && object.kind == Kind::Named)
    if (auto name = source_name(object)) return make_str(ascii32(*name));
  if (object.kind == Kind::Named && object.home && ts::is(object.node, "class_definition"))
    return object.home->enum_member(object, attr);
  return unknown_value("an attribute is not evaluated statically");
}

// Which enum class `base` (a class's one base) names: "Enum", "IntEnum" or "StrEnum" of the
// standard library's enum module, bound once by an import; nullopt for anything else.
std::optional<std::string> StaticEvaluator::enum_base(TSNode base) {
  base = ts::unparen(base);
  auto imported = [&](std::string_view name) -> const Binding* {
    const Binding* b = module_.find(name);
    if (!b || b->kind != Binding::Kind::Import || b->count != 1 || b->conditional || name_is_rebound(name)) return nullptr;
    return b;
  };
  std::string kind;
  if (ts::is(base, "identifier")) {
    const Binding* b = imported(ts::text(base, source_));
    if (!b || !b->import_from.starts_with("enum.")) return std::nullopt;
    kind = b->import_from.substr(5);
  } else if (ts::is(base, "attribute") && ts::is(ts::field(base, "object"), "identifier")) {
    std::string_view module = ts::text(ts::field(base, "object"), source_);
    const Binding* b = imported(module);
    if (!b || b->import_from != "enum" || module != "enum") return std::nullopt;
    kind = std::string(ts::text(ts::field(base, "attribute"), source_));
  } else {
    return std::nullopt;
  }
  if (kind == "Enum" || kind == "IntEnum" || kind == "StrEnum") return kind;
  return std::nullopt;
}

// `Cls.NAME` of an enum class defined in this module, as pytest renders it: str(member).
// Plain Enum: "Cls.NAME" of the first member with an equal value (later equal ones are
// aliases); IntEnum: from Python 3.11 the int, before it "Cls.NAME"; StrEnum (3.11+): the
// value (a str: escaped like any str). Members must be literals bound once; anything that may
// change str() (a __str__/__format__ anywhere in the module, other bases, a metaclass, auto(),
// private or nested names) leaves the member unknown.
StaticValue StaticEvaluator::enum_member(const StaticValue& cls, std::string_view attr) {
  const std::string what = "`" + cls.text + "." + std::string(attr) + "`";
  TSNode def = cls.node;
  TSNode bases = ts::field(def, "superclasses");
  std::vector<TSNode> base_nodes = ts::named_children(bases);
  if (ts_node_is_null(bases) || base_nodes.size() != 1 || ts::is(base_nodes[0], "keyword_argument"))
    return unknown_value("an attribute of class `" + cls.text + "` is not evaluated statically");
  std::optional<std::string> kind = enum_base(base_nodes[0]);
  if (!kind) return unknown_value("an attribute of class `" + cls.text + "` is not evaluated statically");
  if (source_.find("__str__") != std::string_view::npos || source_.find("__format__") != std::string_view::npos)
    return unknown_value(what + ": its module defines __str__ or __format__");
  const bool py311 = python_ && (python_->major > 3 || (python_->major == 3 && python_->minor >= 11));
  if ((*kind != "Enum") && (!python_ || python_->major == 0)) return unknown_value(what + ": the interpreter's version is not known");
  if (*kind == "StrEnum" && !py311) return unknown_value(what + ": StrEnum before Python 3.11");
  TSNode body = ts::field(def, "body");
  uint32_t key = ts_node_start_byte(body);
  auto it = class_scopes_.find(key);
  if (it == class_scopes_.end())
    it = class_scopes_.emplace(key, std::make_unique<Scope>(read_scope(body, source_, python_, &module_))).first;
  const Scope& scope = *it->second;
  if (!scope.find(attr)) return unknown_value(what + " is not a member bound in the class body");
  std::vector<std::pair<std::string, StaticValue>> members;
  for (const std::string& name : scope.order) {
    const Binding& b = scope.bindings.at(name);
    if (b.kind == Binding::Kind::Function && !name.starts_with("_")) continue;  // a method, not a member
    if (name.starts_with("__") && name.ends_with("__") && b.kind == Binding::Kind::Function) continue;
    if (b.kind == Binding::Kind::Assignment && ts_node_is_null(b.value)) continue;  // an annotation
    if (b.kind != Binding::Kind::Assignment || name.starts_with("_") || b.count != 1 || b.conditional)
      return unknown_value(what + ": the class body binds `" + name + "` in a way not mirrored statically");
    // `UNSET = object()` (click's Sentinel): a fresh object, equal to no other member, so
    // never an alias; a plain Enum's str() does not show the value.
    TSNode written = ts::unparen(b.value);
    if (*kind == "Enum" && ts::is(written, "call") && ts::text(ts::field(written, "function"), source_) == "object" &&
        ts_node_named_child_count(ts::field(written, "arguments")) == 0 && !module_.find("object")) {
      StaticValue fresh = make(Kind::Object);
      fresh.text = "object() of " + name;
      members.emplace_back(name, std::move(fresh));
      continue;
    }
    std::vector<Frame> frames;
    Context ctx{&scope, &frames, 1, ts_node_start_byte(b.value)};
    StaticValue v = eval_in(b.value, ctx);
    const bool literal = v.kind == Kind::Int || v.kind == Kind::Str || v.kind == Kind::Bytes || v.kind == Kind::Bool ||
                         v.kind == Kind::None || v.kind == Kind::Float || v.kind == Kind::Tuple;
    if (!literal) return unknown_value(what + ": the value of member `" + name + "` is not known");
    if (*kind == "IntEnum" && !(v.kind == Kind::Int && v.exact)) return unknown_value(what + ": an IntEnum member that is not an int");
    if (*kind == "StrEnum" && v.kind != Kind::Str) return unknown_value(what + ": a StrEnum member that is not a str");
    members.emplace_back(name, std::move(v));
  }
  // The member `attr` names: the first one whose value equals its own.
  const StaticValue* value = nullptr;
  for (auto& [name, v] : members)
    if (name == attr) value = &v;
  if (!value) return unknown_value(what + " is not a member bound in the class body");
  std::string canonical;
  for (auto& [name, v] : members) {
    if (v.kind == Kind::Object || value->kind == Kind::Object) {  // a fresh object() is only itself
      if (name == attr) { canonical = name; break; }
      continue;
    }
    auto same = equal(v, *value);
    if (!same) return unknown_value(what + ": member values not compared statically");
    if (*same) { canonical = name; break; }
  }
  StaticValue member = make(Kind::EnumMember);
  member.text = cls.text + "." + canonical;
  if (*kind == "IntEnum" && py311) member.items.push_back(*value);
  else if (*kind == "StrEnum") member.items.push_back(*value);
  else { StaticValue shown = make(Kind::Named); shown.text = member.text; member.items.push_back(std::move(shown)); }
  return member;
}

StaticValue StaticEvaluator::subscript(TSNode node, Context& ctx) {
  StaticValue value = eval_in(ts::field(node, "value"), ctx);
  if (!value.known()) return value;
  std::vector<TSNode> subs;
  for (TSNode c : ts::named_children(node))
    if (!ts_node_eq(c, ts::field(node, "value"))) subs.push_back(c);
  if (subs.size() != 1) return unknown_value("a subscript with several indices");
  TSNode sub = subs[0];
  const bool sequence = value.kind == Kind::Tuple || value.kind == Kind::List || value.kind == Kind::Str;
  auto length = static_cast<long long>(value.kind == Kind::Str ? value.chars.size() : value.items.size());
  if (ts::is(sub, "slice")) {
    if (!sequence || value.one_shot) return unknown_value("a slice of a non-sequence");
    // [start]:[stop][:step] — tree-sitter gives the expressions in order, with ':' tokens between.
    std::optional<long long> parts[3];
    int part = 0;
    for (uint32_t i = 0; i < ts_node_child_count(sub); ++i) {
      TSNode c = ts_node_child(sub, i);
      if (!ts_node_is_named(c)) { if (ts::text(c, source_) == ":") ++part; continue; }
      if (part > 2) return unknown_value("slice");
      StaticValue v = eval_in(c, ctx);
      if (v.kind == Kind::None) continue;
      if (!is_int_like(v)) return unknown_value("a slice bound that is not known");
      parts[part] = v.integer;
    }
    long long step = parts[2].value_or(1);
    if (step != 1) return unknown_value("a slice with a step");
    auto clamp = [&](std::optional<long long> x, long long dflt) {
      if (!x) return dflt;
      long long v = *x < 0 ? *x + length : *x;
      return std::clamp(v, 0LL, length);
    };
    long long a = clamp(parts[0], 0), b = clamp(parts[1], length);
    if (b < a) b = a;
    if (value.kind == Kind::Str) return make_str(value.chars.substr(a, b - a));
    StaticValue out = make_seq(value.kind, std::vector<StaticValue>(value.items.begin() + a, value.items.begin() + b));
    return out;  // a slice of version_info is a plain tuple
  }
  StaticValue index = eval_in(sub, ctx);
  if (!index.known()) return index;
  if (value.kind == Kind::Dict) {
    for (size_t i = 0; i < value.items.size(); i += 2) {
      auto e = equal(value.items[i], index);
      if (!e) return unknown_value("a dict key not compared statically");
      if (*e) return value.items[i + 1];
    }
    return unknown_value("a missing dict key raises");
  }
  if (!sequence || value.one_shot || !is_int_like(index)) return unknown_value("a subscript not evaluated statically");
  long long i = index.integer < 0 ? index.integer + length : index.integer;
  if (i < 0 || i >= length) return unknown_value("an index out of range raises");
  if (value.kind == Kind::Str) return make_str(std::u32string(1, value.chars[i]));
  return value.items[i];
}

// A value as the double Python computes with: a float, or an int a double holds exactly (a
// larger one converts with a rounding this does not repeat).
std::optional<double> exact_double(const StaticValue& v) {
  if (v.kind == Kind::Float) {
    double d = std::strtod(v.text.c_str(), nullptr);  // repr round-trips
    if (python_float_repr(d) != v.text) return std::nullopt;
    return d;
  }
  constexpr long long kExact = 1LL << 53;
  if (is_int_like(v) && v.integer >= -kExact && v.integer <= kExact) return static_cast<double>(v.integer);
  return std::nullopt;
}

// complex(re[, im]) of ints and floats, with Python's repr as its text: `(1-1j)`, `2j` (a
// positive zero real part is left out), `(-0+1j)`; each part as repr(float) without ".0".
StaticValue complex_value(double real, double imag) {
  auto part = [](double d) {
    std::string text = python_float_repr(d);
    if (text.size() > 2 && text.ends_with(".0")) text.resize(text.size() - 2);
    return text;
  };
  StaticValue v = make(Kind::Complex);
  if (real == 0 && !std::signbit(real)) {
    v.text = part(imag) + "j";
  } else {
    std::string im = part(imag);
    if (im.front() != '-') im = "+" + im;
    v.text = "(" + part(real) + im + "j)";
  }
  return v;
}

StaticValue complex_of(const std::vector<StaticValue>& values) {
  std::optional<double> real = exact_double(values[0]);
  std::optional<double> imag = values.size() > 1 ? exact_double(values[1]) : std::optional<double>(0.0);
  if (!real || !imag || values[0].kind == Kind::Complex || (values.size() > 1 && values[1].kind == Kind::Complex))
    return unknown_value("complex() of a value not evaluated statically");
  return complex_value(*real, *imag);
}

// A number's parts as Python's complex arithmetic takes them: an int or float is (x, 0.0); a
// complex is read back from its repr, and only when writing the parts again gives that repr.
std::optional<std::pair<double, double>> complex_parts(const StaticValue& v) {
  if (v.kind != Kind::Complex) {
    if (auto d = exact_double(v)) return std::pair(*d, 0.0);
    return std::nullopt;
  }
  const std::string& t = v.text;
  double real = 0.0, imag = 0.0;
  if (t.size() > 3 && t.front() == '(' && t.back() == ')') {
    const std::string inner = t.substr(1, t.size() - 2);  // "1+3j"
    size_t split = std::string::npos;
    for (size_t i = inner.size() - 1; i > 0; --i)
      if ((inner[i] == '+' || inner[i] == '-') && inner[i - 1] != 'e') {
        split = i;
        break;
      }
    if (split == std::string::npos || inner.back() != 'j') return std::nullopt;
    real = std::strtod(inner.substr(0, split).c_str(), nullptr);
    imag = std::strtod(inner.substr(split, inner.size() - 1 - split).c_str(), nullptr);
  } else if (t.size() > 1 && t.back() == 'j') {
    imag = std::strtod(t.substr(0, t.size() - 1).c_str(), nullptr);
  } else {
    return std::nullopt;
  }
  if (complex_value(real, imag).text != t) return std::nullopt;
  return std::pair(real, imag);
}

// `+` and `-` with a complex operand, part by part as Python adds them.
std::optional<StaticValue> complex_binary(std::string_view op, const StaticValue& a, const StaticValue& b) {
  if (a.kind != Kind::Complex && b.kind != Kind::Complex) return std::nullopt;
  if (op != "+" && op != "-") return unknown_value("a complex operation not evaluated statically");
  auto x = complex_parts(a), y = complex_parts(b);
  if (!x || !y) return unknown_value("a complex operation not evaluated statically");
  return op == "+" ? complex_value(x->first + y->first, x->second + y->second)
                   : complex_value(x->first - y->first, x->second - y->second);
}

// `+ - * /` with a float, and int / int: IEEE arithmetic, correctly rounded as Python's is.
std::optional<StaticValue> float_binary(std::string_view op, const StaticValue& a, const StaticValue& b) {
  const bool true_division = op == "/";
  if (a.kind != Kind::Float && b.kind != Kind::Float && !(true_division && is_int_like(a) && is_int_like(b)))
    return std::nullopt;
  if (op != "+" && op != "-" && op != "*" && !true_division) return unknown_value("a float operator not evaluated statically");
  auto x = exact_double(a), y = exact_double(b);
  if (!x || !y) return unknown_value("a float operation not evaluated statically");
  if (true_division && *y == 0) return unknown_value("a division by zero raises");
  double r = op == "+" ? *x + *y : op == "-" ? *x - *y : op == "*" ? *x * *y : *x / *y;
  StaticValue v = make(Kind::Float);
  v.text = python_float_repr(r);
  return v;
}

// An int operator as Python computes it, past 64 bits too.
StaticValue big_binary(std::string_view op, const mpz_class& a, const mpz_class& b) {
  mpz_class r;
  if (op == "+") r = a + b;
  else if (op == "-") r = a - b;
  else if (op == "*") r = a * b;
  else if (op == "//" || op == "%") {
    if (b == 0) return unknown_value("integer division by zero");
    if (op == "//") mpz_fdiv_q(r.get_mpz_t(), a.get_mpz_t(), b.get_mpz_t());  // Python floors
    else mpz_fdiv_r(r.get_mpz_t(), a.get_mpz_t(), b.get_mpz_t());
  } else if (op == "**") {
    // A negative power is a float; a result past str()'s limit is refused before it is built.
    if (b < 0 || !b.fits_ulong_p()) return unknown_value("a power not evaluated statically");
    const size_t bits = mpz_sizeinbase(a.get_mpz_t(), 2);
    if (a != 0 && a != 1 && a != -1 && static_cast<double>(bits - 1) * b.get_d() > kMaxIntStrDigits * 3.33)
      return unknown_value("an int too large for str()");
    mpz_pow_ui(r.get_mpz_t(), a.get_mpz_t(), b.get_ui());
  } else if (op == "<<" || op == ">>") {
    if (b < 0) return unknown_value("a negative shift count raises");
    if (op == ">>") {
      if (!b.fits_ulong_p()) return make_big_int(a < 0 ? mpz_class(-1) : mpz_class(0));
      mpz_fdiv_q_2exp(r.get_mpz_t(), a.get_mpz_t(), b.get_ui());
    } else {
      if (!b.fits_ulong_p() || b.get_ui() > kMaxIntStrDigits * 4) return unknown_value("an int too large for str()");
      mpz_mul_2exp(r.get_mpz_t(), a.get_mpz_t(), b.get_ui());
    }
  } else if (op == "&") r = a & b;
  else if (op == "|") r = a | b;
  else if (op == "^") r = a ^ b;
  else return unknown_value("an int operator not evaluated statically");
  return make_big_int(r);
}

StaticValue StaticEvaluator::binary(TSNode node, Context& ctx) {
  std::string_view op = ts::text(ts::field(node, "operator"), source_);
  StaticValue a = eval_in(ts::field(node, "left"), ctx);
  if (!a.known()) return a;
  StaticValue b = eval_in(ts::field(node, "right"), ctx);
  if (!b.known()) return b;
  if (auto c = complex_binary(op, a, b)) return *c;
  if (auto f = float_binary(op, a, b)) return *f;
  if ((a.kind == Kind::Int || b.kind == Kind::Int) && (!is_int_like(a) || !is_int_like(b)))
    if (auto x = big_int_of(a), y = big_int_of(b); x && y) return big_binary(op, *x, *y);
  if (is_int_like(a) && is_int_like(b)) {
    long long r = 0;
    bool overflow = false;
    if (op == "+") overflow = __builtin_add_overflow(a.integer, b.integer, &r);
    else if (op == "-") overflow = __builtin_sub_overflow(a.integer, b.integer, &r);
    else if (op == "*") overflow = __builtin_mul_overflow(a.integer, b.integer, &r);
    else if (op == "//" || op == "%") {
      if (b.integer == 0 || (a.integer == LLONG_MIN && b.integer == -1)) return unknown_value("integer division");
      long long q = a.integer / b.integer, m = a.integer % b.integer;
      if (m != 0 && ((m < 0) != (b.integer < 0))) { --q; m += b.integer; }  // Python floors
      r = op == "//" ? q : m;
    } else if (op == "**") {
      if (b.integer < 0) return unknown_value("a power not evaluated statically");  // a float
      if (b.integer > 64) return big_binary(op, *big_int_of(a), *big_int_of(b));
      r = 1;
      for (long long k = 0; k < b.integer && !overflow; ++k) overflow = __builtin_mul_overflow(r, a.integer, &r);
    } else {
      return big_binary(op, *big_int_of(a), *big_int_of(b));  // << >> & | ^
    }
    if (overflow) return big_binary(op, *big_int_of(a), *big_int_of(b));
    return make_int(r);
  }
  auto repeat = [&](const StaticValue& seq, const StaticValue& n) -> StaticValue {
    long long times = std::max(0LL, n.integer);
    size_t size = seq.kind == Kind::Str ? seq.chars.size() : seq.kind == Kind::Bytes ? seq.text.size() : seq.items.size();
    if (size * static_cast<size_t>(times) + budget_ > kMaxElements) return unknown_value("too many values to list statically");
    StaticValue out = make(seq.kind);
    for (long long k = 0; k < times; ++k) {
      out.chars += seq.chars;
      out.text += seq.text;
      out.items.insert(out.items.end(), seq.items.begin(), seq.items.end());
    }
    budget_ += out.items.size();
    return out;
  };
  auto is_seq = [](const StaticValue& v) {
    return !v.one_shot && (v.kind == Kind::Str || v.kind == Kind::Bytes || v.kind == Kind::List || v.kind == Kind::Tuple);
  };
  if (op == "+" && a.kind == b.kind && is_seq(a) && is_seq(b)) {
    StaticValue out = make(a.kind);
    out.chars = a.chars + b.chars;
    out.text = a.kind == Kind::Bytes ? a.text + b.text : "";
    out.items = a.items;
    out.items.insert(out.items.end(), b.items.begin(), b.items.end());
    budget_ += out.items.size();
    return out;
  }
  if (op == "*" && is_seq(a) && is_int_like(b)) return repeat(a, b);
  if (op == "*" && is_int_like(a) && is_seq(b)) return repeat(b, a);
  return unknown_value("an operator not evaluated statically");
}

StaticValue StaticEvaluator::compare(TSNode node, Context& ctx) {
  std::vector<TSNode> operands = ts::named_children(node);
  std::vector<std::string> ops;
  for (uint32_t i = 0; i < ts_node_child_count(node); ++i) {
    TSNode c = ts_node_child(node, i);
    if (!ts_node_is_named(c)) ops.emplace_back(ts::text(c, source_));
  }
  // `not in` / `is not` are one operator token each in this grammar; normalise spacing.
  for (auto& o : ops) {
    std::string n;
    for (char ch : o) if (ch != ' ' && ch != '\t' && ch != '\n') n += ch;
    o = n == "notin" ? "not in" : n == "isnot" ? "is not" : n;
  }
  if (ops.size() + 1 != operands.size()) return unknown_value("a comparison not read statically");
  StaticValue left = eval_in(operands[0], ctx);
  if (!left.known()) return left;
  for (size_t i = 0; i < ops.size(); ++i) {
    StaticValue right = eval_in(operands[i + 1], ctx);
    if (!right.known()) return right;
    const std::string& op = ops[i];
    std::optional<bool> result;
    if (op == "==" || op == "!=") {
      auto e = equal(left, right);
      if (e) result = op == "==" ? *e : !*e;
    } else if (op == "<" || op == "<=" || op == ">" || op == ">=") {
      // Tuples compare up to the first difference: an unknown later element may not matter.
      std::optional<int> c;
      if (left.kind == Kind::Tuple && right.kind == Kind::Tuple) {
        c = 0;
        size_t k = 0;
        for (; k < left.items.size() && k < right.items.size(); ++k) {
          auto e = order(left.items[k], right.items[k]);
          if (!e) { c.reset(); break; }
          if (*e != 0) { c = e; break; }
        }
        if (c && *c == 0 && k == std::min(left.items.size(), right.items.size()))
          c = left.items.size() < right.items.size() ? -1 : left.items.size() > right.items.size() ? 1 : 0;
      } else {
        c = order(left, right);
      }
      if (c) result = op == "<" ? *c < 0 : op == "<=" ? *c <= 0 : op == ">" ? *c > 0 : *c >= 0;
    } else if (op == "in" || op == "not in") {
      std::optional<bool> found;
      if (right.kind == Kind::Str && left.kind == Kind::Str) {
        found = right.chars.find(left.chars) != std::u32string::npos;
      } else if (auto elements = iterate(right); elements && !right.one_shot) {
        found = false;
        for (auto& e : *elements) {
          auto eq = equal(left, e);
          if (!eq) { found.reset(); break; }
          if (*eq) { found = true; break; }
        }
      } else if (right.kind == Kind::Set) {
        found = false;
        for (auto& e : right.items) {
          auto eq = equal(left, e);
          if (!eq) { found.reset(); break; }
          if (*eq) { found = true; break; }
        }
      }
      if (found) result = op == "in" ? *found : !*found;
    } else if (op == "is" || op == "is not") {
      if (left.kind == Kind::None || right.kind == Kind::None) result = (left.kind == right.kind) == (op == "is");
    }
    if (!result && library_ && operands.size() == 2 && (left.library || right.library) &&
        (op == "is" || op == "is not" || op == "==" || op == "!=")) {
      // Values only the interpreter knows (`op is not operator.pow`): its operator module answers.
      LibraryPath operator_module;
      operator_module.statement = "import operator";
      operator_module.chain = op == "is" ? "[\"is_\"]" : op == "is not" ? "[\"is_not\"]" : op == "==" ? "[\"eq\"]" : "[\"ne\"]";
      if (top_file_)
        if (auto file = top_file_("operator")) operator_module.origin = *file;  // a local operator.py is not the stdlib's
      Args args;
      args.positional = {operands[0], operands[1]};
      StaticValue answer = library_call(operator_module, args, ctx);
      if (answer.kind == Kind::Bool || !answer.known()) return answer;
    }
    if (!result) return unknown_value("a comparison not evaluated statically");
    if (!*result) return make_bool(false);
    left = std::move(right);
  }
  return make_bool(true);
}

}  // namespace fastest
