#include "server/discovery/parametrize.h"

#include <map>
#include <set>

#include "server/discovery/marks.h"
#include "server/discovery/ts_util.h"

namespace fastest {
namespace {

struct CallArgs {
  std::vector<TSNode> positional;
  std::map<std::string, TSNode, std::less<>> keyword;
  bool has_splat = false;
};

CallArgs read_args(TSNode call, std::string_view source) {
  CallArgs args;
  for (TSNode arg : ts::named_children(ts::field(call, "arguments"))) {
    if (ts::is(arg, "keyword_argument")) {
      args.keyword[std::string(ts::text(ts::field(arg, "name"), source))] = ts::field(arg, "value");
    } else if (ts::is(arg, "list_splat") || ts::is(arg, "dictionary_splat")) {
      args.has_splat = true;
    } else {
      args.positional.push_back(arg);
    }
  }
  return args;
}

TSNode arg_at(const CallArgs& args, size_t index, const char* keyword) {
  if (index < args.positional.size()) return args.positional[index];
  auto it = args.keyword.find(keyword);
  return it == args.keyword.end() ? TSNode{} : it->second;
}

// Follows a bare name to the literal it is bound to at module level.
TSNode resolve_container(TSNode node, std::string_view source, const NameResolver& resolve) {
  node = ts::unparen(node);
  for (int depth = 0; depth < 4 && ts::is(node, "identifier") && resolve; ++depth) {
    auto bound = resolve(ts::text(node, source));
    if (!bound) break;
    node = ts::unparen(*bound);
  }
  return node;
}

struct OneCall {
  std::vector<ParamCase> cases;
  std::vector<std::string> argnames;
  std::string dynamic_reason;  // non-empty: not statically knowable
};

// pytest >= 9.2 (`_apply_long_str_strategy`): an auto-generated id for a str/bytes value
// longer than 100 characters follows parametrize_long_str_id_strategy.
bool is_long_str(const PyValue& v, const CollectRules& rules) {
  if (!rules.pytest_version.at_least(9, 2)) return false;
  if (v.kind == PyValue::Kind::Str) return v.chars.size() > 100;
  if (v.kind == PyValue::Kind::Bytes) return v.text.size() > 100;
  return false;
}

// "short": the value's id is argname+index, as for objects without an id.
bool long_str_falls_back(const PyValue& v, const CollectRules& rules) {
  return is_long_str(v, rules) && rules.long_str_id_strategy == "short";
}

// "sha256" (a digest we do not compute), "disallow" (a collection error) or an unknown name
// (a usage error): pytest settles these. "legacy" keeps the full value, like before 9.2.
bool long_str_is_unknowable(const PyValue& v, const CollectRules& rules) {
  return is_long_str(v, rules) && rules.long_str_id_strategy != "legacy";
}

// pytest's split of a comma-separated argnames string ("a, b"): names stripped, empty parts dropped.
std::vector<std::string> split_argnames(const std::string& all) {
  std::vector<std::string> argnames;
  std::string part;
  auto flush = [&] {
    size_t b = part.find_first_not_of(" \t\n"), e = part.find_last_not_of(" \t\n");
    if (b != std::string::npos) argnames.push_back(part.substr(b, e - b + 1));
    part.clear();
  };
  for (char c : all) { if (c == ',') flush(); else part += c; }
  flush();
  return argnames;
}

// pytest's id of one parameter set: pytest.param's id, else ids='s entry, else its values' ids
// joined by "-" (argname+index for a value pytest has no id for). nullopt, with `why`, when a
// value's id is not known statically.
std::optional<std::string> case_id(const std::optional<std::string>& given, size_t index,
                                   const std::vector<std::optional<std::string>>& explicit_ids,
                                   std::vector<PyValue>& values, const std::vector<std::string>& argnames,
                                   const CollectRules& rules, std::string* why) {
  if (given) return *given;
  if (index < explicit_ids.size() && explicit_ids[index]) return *explicit_ids[index];
  std::string id;
  for (size_t k = 0; k < values.size(); ++k) {
    PyValue& v = values[k];
    if (v.kind == PyValue::Kind::Unknown) {
      *why = "parametrize value for `" + argnames[k] + "` is not a literal" + (v.why.empty() ? "" : " (" + v.why + ")");
      return std::nullopt;
    }
    if (long_str_falls_back(v, rules)) v.kind = PyValue::Kind::Opaque;
    else if (long_str_is_unknowable(v, rules)) {
      *why = "parametrize value for `" + argnames[k] + "` is a long string whose id depends on "
             "parametrize_long_str_id_strategy = " + rules.long_str_id_strategy;
      return std::nullopt;
    }
    auto part = id_from_value(v, rules.disable_id_escaping);
    if (k) id += "-";
    id += part ? *part : argnames[k] + std::to_string(index);
  }
  return id;
}

// pytest's make_unique_parameterset_ids.
void make_unique(std::vector<std::string>& ids, const PytestVersion& version) {
  std::map<std::string, int> counts;
  for (auto& id : ids) ++counts[id];
  bool any_duplicate = false;
  for (auto& [id, n] : counts) any_duplicate |= n > 1;
  if (!any_duplicate) return;
  std::set<std::string> taken(ids.begin(), ids.end());
  std::map<std::string, int> suffixes;
  const bool underscore_rule = version.at_least(8);
  for (auto& id : ids) {
    if (counts[id] <= 1) continue;
    std::string original = id;
    std::string sep = (underscore_rule && !id.empty() && std::isdigit(static_cast<unsigned char>(id.back()))) ? "_" : "";
    std::string candidate = original + sep + std::to_string(suffixes[original]);
    if (underscore_rule) {
      while (taken.count(candidate)) {
        ++suffixes[original];
        candidate = original + sep + std::to_string(suffixes[original]);
      }
      taken.insert(candidate);
    }
    id = candidate;
    ++suffixes[original];
  }
}

// More cases than this are left to pytest (a stack of range()s can multiply into millions).
constexpr size_t kMaxStaticCases = 100000;

// `range(stop)`, `range(start, stop[, step])` of the builtin with int literal arguments: its
// values; nothing when it is something else.
std::optional<std::vector<long long>> literal_range(TSNode node, std::string_view source, const NameResolver& resolve,
                                                    const UnboundCheck& unbound) {
  node = ts::unparen(node);
  if (!ts::is(node, "call") || !unbound) return std::nullopt;
  TSNode function = ts::field(node, "function");
  if (!ts::is(function, "identifier") || ts::text(function, source) != "range" || !unbound("range")) return std::nullopt;
  CallArgs args = read_args(node, source);
  if (args.has_splat || !args.keyword.empty() || args.positional.empty() || args.positional.size() > 3) return std::nullopt;
  std::vector<long long> numbers;
  for (TSNode arg : args.positional) {
    PyValue v = evaluate(arg, source, resolve);
    const std::string& t = v.text;
    bool is_int = v.kind == PyValue::Kind::Number && !t.empty() && t.size() < 18 &&
                  t.find_first_not_of("0123456789", t[0] == '-' ? 1 : 0) == std::string::npos && t != "-";
    if (!is_int) return std::nullopt;
    numbers.push_back(std::stoll(t));
  }
  long long start = numbers.size() == 1 ? 0 : numbers[0];
  long long stop = numbers.size() == 1 ? numbers[0] : numbers[1];
  long long step = numbers.size() == 3 ? numbers[2] : 1;
  if (step == 0) return std::nullopt;  // pytest reports range()'s ValueError
  std::vector<long long> values;
  for (long long v = start; step > 0 ? v < stop : v > stop; v += step) {
    if (values.size() >= kMaxStaticCases) return std::nullopt;
    values.push_back(v);
  }
  return values;
}

OneCall expand_one(TSNode call, std::string_view source, const CollectRules& rules,
                   const NameResolver& resolve, const UnboundCheck& unbound) {
  OneCall out;
  CallArgs args = read_args(call, source);
  if (args.has_splat) { out.dynamic_reason = "parametrize arguments use * or ** unpacking"; return out; }

  // argnames: "a, b" (force_tuple when exactly one) or a list/tuple of strings.
  TSNode names_node = resolve_container(arg_at(args, 0, "argnames"), source, resolve);
  std::vector<std::string> argnames;
  bool force_tuple = false;
  if (ts::is(names_node, "string") || ts::is(names_node, "concatenated_string")) {
    PyValue v = evaluate(names_node, source, resolve);
    if (v.kind != PyValue::Kind::Str) { out.dynamic_reason = "parametrize argnames are not a literal"; return out; }
    argnames = split_argnames(to_utf8(v.chars));
    force_tuple = argnames.size() == 1;
  } else if (ts::is(names_node, "list") || ts::is(names_node, "tuple")) {
    for (TSNode element : ts::named_children(names_node)) {
      PyValue v = evaluate(element, source, resolve);
      if (v.kind != PyValue::Kind::Str) { out.dynamic_reason = "parametrize argnames are not literals"; return out; }
      argnames.push_back(to_utf8(v.chars));
    }
  } else {
    out.dynamic_reason = "parametrize argnames are not a literal";
    return out;
  }

  out.argnames = argnames;
  ArgvaluesExpansion values = expand_argvalues(argnames, force_tuple, arg_at(args, 1, "argvalues"),
                                               arg_at(args, 3, "ids"), source, rules, resolve, unbound);
  out.cases = std::move(values.cases);
  out.dynamic_reason = std::move(values.dynamic_reason);
  return out;
}

OneCall expand_values_evaluated(const std::vector<std::string>& argnames, bool force_tuple, TSNode values_arg,
                                TSNode ids_node, std::string_view source, const CollectRules& rules,
                                const NameResolver& resolve, StaticEvaluator& evaluator);

}  // namespace

ArgvaluesExpansion expand_argvalues(const std::vector<std::string>& argnames, bool force_tuple, TSNode argvalues,
                                    TSNode ids_node, std::string_view source, const CollectRules& rules,
                                    const NameResolver& resolve, const UnboundCheck& unbound, StaticEvaluator* evaluator) {
  ArgvaluesExpansion out;
  if (evaluator) {
    OneCall one = expand_values_evaluated(argnames, force_tuple, argvalues, ids_node, source, rules, resolve, *evaluator);
    out.cases = std::move(one.cases);
    out.dynamic_reason = std::move(one.dynamic_reason);
    return out;
  }
  TSNode values_node = resolve_container(argvalues, source, resolve);
  if (auto numbers = literal_range(values_node, source, resolve, unbound); numbers && !numbers->empty()) {
    // pytest's id of an int is str() of it; one argname takes each int whole.
    if (!force_tuple || (!ts_node_is_null(ids_node) && !ts::is(ts::unparen(ids_node), "none"))) {
      out.dynamic_reason = "parametrize values are computed at run time (range() with several argnames or ids=)";
      return out;
    }
    for (long long n : *numbers) {
      ParamCase param_case;
      param_case.range = ts::range_of(values_node);
      param_case.id = std::to_string(n);
      out.cases.push_back(std::move(param_case));
    }
    return out;
  }
  if (!ts::is(values_node, "list") && !ts::is(values_node, "tuple")) {
    out.dynamic_reason = "parametrize values are computed at run time";
    return out;
  }
  std::vector<TSNode> elements = ts::named_children(values_node);
  for (TSNode e : elements)
    if (ts::is(e, "list_splat")) { out.dynamic_reason = "parametrize values use * unpacking"; return out; }

  // ids=: None, or a list/tuple whose entries are literals or None; a callable is dynamic.
  std::vector<std::optional<std::string>> explicit_ids;
  if (!ts_node_is_null(ids_node) && !ts::is(ts::unparen(ids_node), "none")) {
    TSNode list = resolve_container(ids_node, source, resolve);
    if (!ts::is(list, "list") && !ts::is(list, "tuple")) {
      out.dynamic_reason = "ids= is computed at run time";
      return out;
    }
    for (TSNode entry : ts::named_children(list)) {
      if (ts::is(ts::unparen(entry), "none")) { explicit_ids.push_back(std::nullopt); continue; }
      PyValue v = evaluate(entry, source, resolve);
      auto id = id_from_value(v, rules.disable_id_escaping);
      if (!id) { out.dynamic_reason = "an ids= entry is not a literal"; return out; }
      explicit_ids.push_back(*id);
    }
    if (!elements.empty() && explicit_ids.size() != elements.size()) {
      out.dynamic_reason = "ids= has a different length than the values (pytest reports an error)";
      return out;
    }
  }

  if (elements.empty()) {
    // pytest collects one skipped case: id NOTSET from 8.4, argname+0 per argname before.
    ParamCase empty;
    if (rules.pytest_version.at_least(8, 4)) {
      empty.id = "NOTSET";
    } else {
      for (size_t k = 0; k < argnames.size(); ++k) empty.id += (k ? "-" : "") + argnames[k] + "0";
    }
    empty.range = ts::range_of(values_node);
    empty.marks.push_back(Mark{"skip", ""});
    out.cases.push_back(empty);
    return out;
  }

  std::vector<std::string> ids;
  for (size_t index = 0; index < elements.size(); ++index) {
    TSNode element = ts::unparen(elements[index]);
    ParamCase param_case;
    param_case.range = ts::range_of(elements[index]);
    std::vector<TSNode> values;
    std::optional<std::string> given_id;
    if (is_pytest_param_call(element, source)) {
      CallArgs p = read_args(element, source);
      if (p.has_splat) { out.dynamic_reason = "pytest.param uses * or ** unpacking"; return out; }
      values = p.positional;
      if (auto it = p.keyword.find("id"); it != p.keyword.end() && !ts::is(ts::unparen(it->second), "none")) {
        PyValue v = evaluate(it->second, source, resolve);
        if (v.kind != PyValue::Kind::Str) { out.dynamic_reason = "pytest.param id is not a string literal"; return out; }
        given_id = id_from_value(v, rules.disable_id_escaping);
      }
      if (auto it = p.keyword.find("marks"); it != p.keyword.end())
        for (const MarkRef& m : marks_from_value(it->second, source, resolve)) param_case.marks.push_back(m.mark);
    } else if (force_tuple) {
      values.push_back(element);
    } else {
      TSNode seq = resolve_container(element, source, resolve);
      if (!ts::is(seq, "tuple") && !ts::is(seq, "list")) {
        out.dynamic_reason = "a parameter set is not a literal tuple";
        return out;
      }
      values = ts::named_children(seq);
    }
    if (values.size() != argnames.size()) {
      out.dynamic_reason = "a parameter set has a different number of values than argnames (pytest reports an error)";
      return out;
    }
    std::vector<PyValue> id_values;
    if (!given_id && !(index < explicit_ids.size() && explicit_ids[index]))
      for (TSNode value : values) id_values.push_back(evaluate(value, source, resolve));
    std::optional<std::string> id = case_id(given_id, index, explicit_ids, id_values, argnames, rules, &out.dynamic_reason);
    if (!id) return out;
    ids.push_back(std::move(*id));
    out.cases.push_back(std::move(param_case));
  }
  make_unique(ids, rules.pytest_version);
  for (size_t i = 0; i < ids.size(); ++i) out.cases[i].id = ids[i];
  return out;
}

namespace {

// A node written inside a comprehension: its text is evaluated once per loop value.
bool inside_comprehension(TSNode node) {
  for (TSNode n = ts_node_parent(node); !ts_node_is_null(n); n = ts_node_parent(n)) {
    if (ts::is(n, "list_comprehension") || ts::is(n, "set_comprehension") ||
        ts::is(n, "dictionary_comprehension") || ts::is(n, "generator_expression"))
      return true;
    if (ts::is(n, "decorator") || ts::is(n, "module")) return false;
  }
  return false;
}

// The `marks=` argument of a pytest.param call node, if any.
TSNode param_marks_node(TSNode call, std::string_view source) {
  for (TSNode arg : ts::named_children(ts::field(call, "arguments")))
    if (ts::is(arg, "keyword_argument") && ts::text(ts::field(arg, "name"), source) == "marks") return ts::field(arg, "value");
  return TSNode{};
}

// expand_one through the static evaluator: the values pytest would iterate, known statically.
OneCall expand_one_evaluated(TSNode call, std::string_view source, const CollectRules& rules,
                             const NameResolver& resolve, StaticEvaluator& evaluator) {
  OneCall out;
  CallArgs args = read_args(call, source);
  if (args.has_splat) { out.dynamic_reason = "parametrize arguments use * or ** unpacking"; return out; }

  StaticValue names = evaluator.eval(arg_at(args, 0, "argnames"));
  std::vector<std::string> argnames;
  bool force_tuple = false;
  if (names.kind == StaticValue::Kind::Str) {
    argnames = split_argnames(to_utf8(names.chars));
    force_tuple = argnames.size() == 1;
  } else if ((names.kind == StaticValue::Kind::List || names.kind == StaticValue::Kind::Tuple) && !names.one_shot) {
    for (const StaticValue& v : names.items) {
      if (v.kind != StaticValue::Kind::Str) { out.dynamic_reason = "parametrize argnames are not literals"; return out; }
      argnames.push_back(to_utf8(v.chars));
    }
  } else {
    out.dynamic_reason = "parametrize argnames are not a literal";
    return out;
  }
  out.argnames = argnames;
  OneCall values = expand_values_evaluated(argnames, force_tuple, arg_at(args, 1, "argvalues"), arg_at(args, 3, "ids"),
                                           source, rules, resolve, evaluator);
  values.argnames = std::move(out.argnames);
  return values;
}

// One argvalues expression (and its ids=) for `argnames`, through the static evaluator: a
// parametrize mark's values, or a fixture's `params=`.
OneCall expand_values_evaluated(const std::vector<std::string>& argnames, bool force_tuple, TSNode values_arg,
                                TSNode ids_node, std::string_view source, const CollectRules& rules,
                                const NameResolver& resolve, StaticEvaluator& evaluator) {
  OneCall out;
  StaticValue values = evaluator.eval(values_arg);
  if (!values.known()) {
    out.dynamic_reason = "parametrize values are computed at run time (" + values.why + ")";
    return out;
  }
  if (values.one_shot && rules.warnings_may_error) {
    out.dynamic_reason = "parametrize values are an iterator: pytest warns (PARAMETRIZE_NON_COLLECTION_ITERABLE) "
                         "and a filterwarnings error filter may fail the module";
    return out;
  }
  auto elements = StaticEvaluator::iterate(values);
  if (!elements) { out.dynamic_reason = "parametrize values are computed at run time (their order is not known statically)"; return out; }

  std::vector<std::optional<std::string>> explicit_ids;
  std::optional<StaticValue> id_function;  // ids=callable: pytest calls it with each value
  if (!ts_node_is_null(ids_node) && !ts::is(ts::unparen(ids_node), "none")) {
    StaticValue ids = evaluator.eval(ids_node);
    if (ids.kind == StaticValue::Kind::Named && ids.home &&
        (ts::is(ids.node, "lambda") || ts::is(ids.node, "function_definition"))) {
      id_function = std::move(ids);
    } else if ((ids.kind != StaticValue::Kind::List && ids.kind != StaticValue::Kind::Tuple) || ids.one_shot) {
      out.dynamic_reason = "ids= is computed at run time";
      return out;
    } else {
      for (const StaticValue& entry : ids.items) {
        if (entry.kind == StaticValue::Kind::None) { explicit_ids.push_back(std::nullopt); continue; }
        auto id = id_from_value(to_id_value(entry), rules.disable_id_escaping);
        if (!id) { out.dynamic_reason = "an ids= entry is not a literal"; return out; }
        explicit_ids.push_back(*id);
      }
    }
    if (!id_function && !elements->empty() && explicit_ids.size() != elements->size()) {
      out.dynamic_reason = "ids= has a different length than the values (pytest reports an error)";
      return out;
    }
  }

  if (elements->empty()) {
    ParamCase empty;
    if (rules.pytest_version.at_least(8, 4)) {
      empty.id = "NOTSET";
    } else {
      for (size_t k = 0; k < argnames.size(); ++k) empty.id += (k ? "-" : "") + argnames[k] + "0";
    }
    empty.range = ts::range_of(values_arg);
    empty.marks.push_back(Mark{"skip", ""});
    out.cases.push_back(empty);
    return out;
  }

  std::vector<std::string> ids;
  for (size_t index = 0; index < elements->size(); ++index) {
    const StaticValue& element = (*elements)[index];
    ParamCase param_case;
    param_case.range = ts::range_of(!ts_node_is_null(element.written) ? element.written
                                    : ts_node_is_null(element.node)   ? values_arg
                                                                      : element.node);
    std::vector<StaticValue> case_values;
    std::optional<std::string> given_id;
    if (element.kind == StaticValue::Kind::Param) {
      case_values = element.items;
      if (element.param_id) given_id = id_from_value(to_id_value([&] {
        StaticValue id; id.kind = StaticValue::Kind::Str; id.chars = *element.param_id; return id; }()), rules.disable_id_escaping);
      if (element.param_has_marks) {
        if (ts_node_is_null(element.node) || inside_comprehension(element.node)) {
          out.dynamic_reason = "pytest.param marks= are computed at run time";
          return out;
        }
        for (const MarkRef& m : marks_from_value(param_marks_node(element.node, source), source, resolve))
          param_case.marks.push_back(m.mark);
      }
    } else if (force_tuple) {
      case_values.push_back(element);
    } else if ((element.kind == StaticValue::Kind::Tuple || element.kind == StaticValue::Kind::List) && !element.one_shot) {
      case_values = element.items;
    } else {
      out.dynamic_reason = "a parameter set is not a literal tuple";
      return out;
    }
    if (case_values.size() != argnames.size()) {
      out.dynamic_reason = "a parameter set has a different number of values than argnames (pytest reports an error)";
      return out;
    }
    std::vector<PyValue> id_values;
    if (!given_id && !(index < explicit_ids.size() && explicit_ids[index]))
      for (const StaticValue& value : case_values) {
        if (!id_function) {
          id_values.push_back(to_id_value(value));
          continue;
        }
        // pytest's _idval_from_function: the callable's answer through _idval_from_value; None,
        // or an answer that has no id (a list), falls back to the value's own id.
        if (!value.known()) {
          out.dynamic_reason = "parametrize value for `" + argnames[id_values.size()] + "` is not a literal";
          return out;
        }
        StaticEvaluator& home = *id_function->home;
        StaticValue answer = home.call_user_function(*id_function, {value}, {},
                                                     &home == &evaluator ? ts_node_start_byte(ids_node) : UINT32_MAX, 0);
        if (!answer.known()) { out.dynamic_reason = "ids= is computed at run time (" + answer.why + ")"; return out; }
        PyValue answered = to_id_value(answer);
        const bool has_id = answer.kind != StaticValue::Kind::None && id_from_value(answered, rules.disable_id_escaping);
        id_values.push_back(has_id ? std::move(answered) : to_id_value(value));
      }
    std::optional<std::string> id = case_id(given_id, index, explicit_ids, id_values, argnames, rules, &out.dynamic_reason);
    if (!id) return out;
    ids.push_back(std::move(*id));
    out.cases.push_back(std::move(param_case));
  }
  make_unique(ids, rules.pytest_version);
  for (size_t i = 0; i < ids.size(); ++i) out.cases[i].id = ids[i];
  return out;
}

}  // namespace

Parametrization expand_parametrize(const std::vector<TSNode>& calls, std::string_view source,
                                   const CollectRules& rules, const NameResolver& resolve,
                                   const UnboundCheck& unbound, StaticEvaluator* evaluator) {
  Parametrization result;
  if (calls.empty()) return result;
  // The first call (nearest the def) is the outermost loop and the first part of each id.
  std::vector<ParamCase> combined{ParamCase{}};
  bool first = true;
  for (TSNode call : calls) {
    OneCall one = evaluator ? expand_one_evaluated(call, source, rules, resolve, *evaluator)
                            : expand_one(call, source, rules, resolve, unbound);
    if (!one.dynamic_reason.empty()) {
      result.dynamic = true;
      result.dynamic_reason = one.dynamic_reason;
      result.cases.clear();
      return result;
    }
    result.argnames.insert(result.argnames.end(), one.argnames.begin(), one.argnames.end());
    result.call_argnames.push_back(one.argnames);
    std::vector<ParamCase> next;
    next.reserve(combined.size() * one.cases.size());
    for (const ParamCase& outer : combined) {
      for (const ParamCase& inner : one.cases) {
        ParamCase c;
        c.id = first ? inner.id : outer.id + "-" + inner.id;
        c.range = first ? inner.range : outer.range;
        c.marks = outer.marks;
        c.marks.insert(c.marks.end(), inner.marks.begin(), inner.marks.end());
        next.push_back(std::move(c));
      }
    }
    combined = std::move(next);
    first = false;
    if (combined.size() > kMaxStaticCases) {
      result.dynamic = true;
      result.dynamic_reason = "more parametrized cases than are listed statically";
      result.cases.clear();
      return result;
    }
  }
  result.cases = std::move(combined);
  return result;
}

}  // namespace fastest
