#include "server/discovery/hook_reading.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "server/discovery/python_literal.h"
#include "server/discovery/ts_util.h"

namespace fastest {
namespace {

constexpr int kMaxHelperDepth = 4;

// Calls that only read: builtins and methods that return values without touching items.
constexpr std::string_view kReadingFunctions[] = {
    "isinstance", "getattr", "hasattr", "len", "str", "int", "bool", "any", "all", "repr", "set", "frozenset",
    "tuple", "list", "sorted", "type", "id", "min", "max",
};
constexpr std::string_view kReadingMethods[] = {
    "get_closest_marker", "iter_markers", "getoption", "getvalue", "getini", "startswith", "endswith",
    "lower", "upper", "strip", "split", "get", "keys", "values", "format", "join", "match", "search",
    "fullmatch", "casefold", "rstrip", "lstrip", "count", "index",
};

template <size_t N>
bool listed(const std::string_view (&names)[N], std::string_view name) {
  return std::find(std::begin(names), std::end(names), name) != std::end(names);
}

bool falsy_literal(TSNode value, std::string_view source) {
  value = ts::unparen(value);
  if (ts::is(value, "none") || ts::is(value, "false")) return true;
  if (ts::is(value, "list") || ts::is(value, "tuple") || ts::is(value, "dictionary"))
    return ts::named_children(value).empty();
  PyValue v = evaluate(value, source, nullptr);
  if (v.kind == PyValue::Kind::Str) return v.chars.empty();
  if (v.kind == PyValue::Kind::Number) return v.text == "0" || v.text == "0.0" || v.text == "None" || v.text == "False";
  return false;
}

std::string string_value(TSNode node, std::string_view source) {
  PyValue v = evaluate(node, source, nullptr);
  return v.kind == PyValue::Kind::Str ? to_utf8(v.chars) : std::string();
}

void each_node(TSNode node, const std::function<void(TSNode)>& visit) {
  if (ts_node_is_null(node)) return;
  visit(node);
  for (uint32_t i = 0, n = ts_node_named_child_count(node); i < n; ++i) each_node(ts_node_named_child(node, i), visit);
}

RegisteredOption read_addoption(TSNode call, std::string_view source, bool& ok) {
  RegisteredOption option;
  std::optional<bool> explicit_default;
  std::string action = "store";
  ok = true;
  for (TSNode arg : ts::named_children(ts::field(call, "arguments"))) {
    if (ts::is(arg, "keyword_argument")) {
      std::string_view key = ts::text(ts::field(arg, "name"), source);
      TSNode value = ts::field(arg, "value");
      if (key == "dest") option.dest = string_value(value, source);
      else if (key == "default") explicit_default = falsy_literal(value, source);
      else if (key == "action") action = string_value(value, source);
    } else if (std::string flag = string_value(arg, source); !flag.empty() && flag[0] == '-') {
      option.flags.push_back(flag);
    } else {
      ok = false;
    }
  }
  if (option.flags.empty()) ok = false;
  if (option.dest.empty())
    for (const std::string& flag : option.flags)
      if (flag.rfind("--", 0) == 0) {
        option.dest = flag.substr(2);
        std::replace(option.dest.begin(), option.dest.end(), '-', '_');
        break;
      }
  if (option.dest.empty() && !option.flags.empty()) option.dest = option.flags[0].substr(1);
  if (explicit_default) option.default_is_false = *explicit_default;
  else option.default_is_false = action == "store" || action == "store_true" || action == "append" ||
                                 action == "count" || action == "store_const" || action == "append_const";
  return option;
}

// The role a name plays in the hook: pytest's items list, the config, the session.
enum class Role { Items, Config, Session };

class BodyReader {
 public:
  BodyReader(const Scope& module, std::string_view source, const std::vector<RegisteredOption>& options)
      : module_(module), source_(source), options_(options) {}

  enum class Flow { Continue, Returned, Unknown };

  Flow read_function(TSNode def, const std::map<std::string, Role>& roles, int depth) {
    if (depth > kMaxHelperDepth) return Flow::Unknown;
    auto saved_roles = roles_;
    auto saved_falsy = falsy_locals_;
    roles_ = roles;
    falsy_locals_.clear();
    Flow flow = block(ts::field(def, "body"), depth);
    roles_ = saved_roles;
    falsy_locals_ = saved_falsy;
    return flow == Flow::Unknown ? Flow::Unknown : Flow::Continue;
  }

  std::vector<std::string> guards;  // flags of the options relied on
  bool adds_marks = false;

 private:
  Flow block(TSNode body, int depth) {
    for (TSNode statement : ts::named_children(body)) {
      Flow flow = this->statement(statement, depth);
      if (flow != Flow::Continue) return flow;
    }
    return Flow::Continue;
  }

  std::optional<Role> role(TSNode node) const {
    node = ts::unparen(node);
    std::string_view text = ts::text(node, source_);
    if (ts::is(node, "identifier")) {
      auto it = roles_.find(std::string(text));
      if (it != roles_.end()) return it->second;
      return std::nullopt;
    }
    if (ts::is(node, "attribute")) {
      std::string_view attr = ts::text(ts::field(node, "attribute"), source_);
      auto base = role(ts::field(node, "object"));
      if (attr == "config") return Role::Config;  // session.config, item.config
      if (base == Role::Session && attr == "items") return Role::Items;
    }
    return std::nullopt;
  }

  const RegisteredOption* option_named(std::string_view name) const {
    for (const RegisteredOption& o : options_) {
      if (o.dest == name) return &o;
      if (std::find(o.flags.begin(), o.flags.end(), name) != o.flags.end()) return &o;
    }
    return nullptr;
  }

  // `config.getoption("x")`, `config.getvalue("x")`, `config.option.x`, or a local bound to
  // one: an option whose value is falsy unless given.
  const RegisteredOption* falsy_option(TSNode expr) {
    expr = ts::unparen(expr);
    if (ts::is(expr, "identifier")) {
      auto it = falsy_locals_.find(std::string(ts::text(expr, source_)));
      return it == falsy_locals_.end() ? nullptr : it->second;
    }
    const RegisteredOption* found = nullptr;
    if (ts::is(expr, "call")) {
      TSNode function = ts::field(expr, "function");
      std::vector<TSNode> args = ts::named_children(ts::field(expr, "arguments"));
      if (!ts::is(function, "attribute") || args.size() != 1 || role(ts::field(function, "object")) != Role::Config)
        return nullptr;
      std::string_view method = ts::text(ts::field(function, "attribute"), source_);
      if (method != "getoption" && method != "getvalue") return nullptr;
      std::string name = string_value(args[0], source_);
      if (!name.empty()) found = option_named(name);
    } else if (ts::is(expr, "attribute")) {
      TSNode object = ts::field(expr, "object");
      if (ts::is(object, "attribute") && ts::text(ts::field(object, "attribute"), source_) == "option" &&
          role(ts::field(object, "object")) == Role::Config)
        found = option_named(ts::text(ts::field(expr, "attribute"), source_));
    }
    if (!found || !found->default_is_false) return nullptr;
    guards.insert(guards.end(), found->flags.begin(), found->flags.end());
    return found;
  }

  // The truth of a condition when the guarding options are not given, if known.
  std::optional<bool> truth(TSNode condition) {
    condition = ts::unparen(condition);
    if (falsy_option(condition)) return false;
    if (ts::is(condition, "not_operator")) {
      if (auto t = truth(ts::field(condition, "argument"))) return !*t;
      return std::nullopt;
    }
    if (ts::is(condition, "boolean_operator")) {
      std::string_view op = ts::text(ts::field(condition, "operator"), source_);
      auto left = truth(ts::field(condition, "left"));
      auto right = truth(ts::field(condition, "right"));
      if (op == "and" && (left == false || right == false)) return false;
      if (op == "or" && (left == true || right == true)) return true;
      if (left && right) return op == "and" ? (*left && *right) : (*left || *right);
    }
    return std::nullopt;
  }

  // An expression that only reads (no item list mutation, no call that may act).
  bool reads_only(TSNode expr) const {
    bool ok = true;
    each_node(expr, [&](TSNode node) {
      if (!ok) return;
      if (ts::is(node, "named_expression") || ts::is(node, "await") || ts::is(node, "yield") ||
          ts::is(node, "lambda")) {
        ok = false;
      } else if (ts::is(node, "call")) {
        TSNode function = ts::field(node, "function");
        std::string_view text = ts::text(function, source_);
        if (ts::is(function, "identifier")) ok = listed(kReadingFunctions, text) && !module_.find(text);
        else if (ts::is(function, "attribute"))
          ok = text.rfind("pytest.mark.", 0) == 0 ||
               (listed(kReadingMethods, ts::text(ts::field(function, "attribute"), source_)) &&
                role(ts::field(function, "object")) != Role::Items);
        else ok = false;
      }
    });
    return ok;
  }

  Flow statement(TSNode s, int depth) {
    if (ts::is(s, "pass_statement") || ts::is(s, "continue_statement") || ts::is(s, "break_statement"))
      return Flow::Continue;
    if (ts::is(s, "return_statement")) {
      TSNode value = ts_node_named_child(s, 0);
      return ts_node_is_null(value) || reads_only(value) ? Flow::Returned : Flow::Unknown;
    }
    if (ts::is(s, "expression_statement")) return expression_statement(s, depth);
    if (ts::is(s, "if_statement")) return if_statement(s, depth);
    if (ts::is(s, "for_statement")) {
      TSNode left = ts::field(s, "left"), right = ts::field(s, "right");
      if (!ts::is(left, "identifier") || roles_.count(std::string(ts::text(left, source_)))) return Flow::Unknown;
      if (role(right) != Role::Items && !reads_only(right)) return Flow::Unknown;
      falsy_locals_.erase(std::string(ts::text(left, source_)));
      Flow flow = block(ts::field(s, "body"), depth);
      if (flow == Flow::Unknown) return flow;
      if (TSNode alt = ts::field(s, "alternative"); !ts_node_is_null(alt))
        if (block(ts::field(alt, "body"), depth) == Flow::Unknown) return Flow::Unknown;
      return Flow::Continue;  // a return inside the loop may not run
    }
    return Flow::Unknown;
  }

  Flow expression_statement(TSNode s, int depth) {
    std::vector<TSNode> parts = ts::named_children(s);
    if (parts.size() != 1) return Flow::Unknown;
    TSNode e = parts[0];
    if (ts::is(e, "string")) return Flow::Continue;  // a docstring
    if (ts::is(e, "assignment") || ts::is(e, "augmented_assignment")) {
      TSNode left = ts::field(e, "left"), right = ts::field(e, "right");
      std::string name(ts::text(left, source_));
      if (!ts::is(left, "identifier") || roles_.count(name) || ts_node_is_null(right) || !reads_only(right))
        return Flow::Unknown;
      falsy_locals_.erase(name);
      if (ts::is(e, "assignment"))
        if (const RegisteredOption* o = falsy_option(right)) falsy_locals_[name] = o;
      return Flow::Continue;
    }
    if (!ts::is(e, "call")) return Flow::Unknown;
    TSNode function = ts::field(e, "function");
    TSNode arguments = ts::field(e, "arguments");
    // item.add_marker(...): marks change no id.
    if (ts::is(function, "attribute") && ts::text(ts::field(function, "attribute"), source_) == "add_marker" &&
        role(ts::field(function, "object")) == std::nullopt && reads_only(ts::field(function, "object")) &&
        reads_only(arguments)) {
      adds_marks = true;
      return Flow::Continue;
    }
    // A module-level helper, read with the roles its arguments carry.
    if (ts::is(function, "identifier")) {
      const Binding* helper = module_.find(ts::text(function, source_));
      if (!helper || helper->kind != Binding::Kind::Function || helper->count != 1 || helper->conditional ||
          !helper->decorators.empty())
        return Flow::Unknown;
      std::vector<TSNode> args = ts::named_children(arguments);
      std::vector<TSNode> params = ts::named_children(ts::field(helper->definition, "parameters"));
      if (args.size() != params.size()) return Flow::Unknown;
      std::map<std::string, Role> roles;
      for (size_t i = 0; i < args.size(); ++i) {
        if (!ts::is(params[i], "identifier") || ts::is(args[i], "keyword_argument")) return Flow::Unknown;
        if (auto r = role(args[i])) roles[std::string(ts::text(params[i], source_))] = *r;
        else if (!reads_only(args[i])) return Flow::Unknown;
      }
      return read_function(helper->definition, roles, depth + 1);
    }
    return Flow::Unknown;
  }

  Flow if_statement(TSNode s, int depth) {
    std::vector<std::pair<TSNode, TSNode>> branches;  // (condition or null for else, body)
    branches.emplace_back(ts::field(s, "condition"), ts::field(s, "consequence"));
    for (TSNode child : ts::named_children(s)) {
      if (ts::is(child, "elif_clause")) branches.emplace_back(ts::field(child, "condition"), ts::field(child, "consequence"));
      else if (ts::is(child, "else_clause")) branches.emplace_back(TSNode{}, ts::field(child, "body"));
    }
    for (auto& [condition, body] : branches) {
      std::optional<bool> t = ts_node_is_null(condition) ? std::optional<bool>(true) : truth(condition);
      if (t == false) continue;  // never taken while the guarding options are not given
      if (!t && !reads_only(condition)) return Flow::Unknown;
      Flow flow = block(body, depth);
      if (flow == Flow::Unknown) return flow;
      if (t == true) return flow;  // taken for sure: the later branches are not
    }
    return Flow::Continue;
  }

  const Scope& module_;
  std::string_view source_;
  const std::vector<RegisteredOption>& options_;
  std::map<std::string, Role> roles_;
  std::map<std::string, const RegisteredOption*> falsy_locals_;
};

}  // namespace

std::vector<RegisteredOption> registered_options(TSNode root, std::string_view source) {
  std::vector<RegisteredOption> out;
  each_node(root, [&](TSNode node) {
    if (!ts::is(node, "call")) return;
    TSNode function = ts::field(node, "function");
    if (!ts::is(function, "attribute") || ts::text(ts::field(function, "attribute"), source) != "addoption") return;
    bool ok = false;
    RegisteredOption option = read_addoption(node, source, ok);
    if (!ok) option.default_is_false = false;
    out.push_back(std::move(option));
  });
  return out;
}

HookReading read_modifyitems(TSNode hook, const Scope& module, std::string_view source,
                             const std::vector<RegisteredOption>& options) {
  HookReading out;
  std::map<std::string, Role> roles;
  for (TSNode p : ts::named_children(ts::field(hook, "parameters"))) {
    if (!ts::is(p, "identifier")) return out;  // pluggy passes hook arguments by name only
    std::string_view name = ts::text(p, source);
    if (name == "items") roles["items"] = Role::Items;
    else if (name == "config") roles["config"] = Role::Config;
    else if (name == "session") roles["session"] = Role::Session;
    else return out;
  }
  BodyReader reader(module, source, options);
  out.harmless = reader.read_function(hook, roles, 0) != BodyReader::Flow::Unknown;
  if (out.harmless) out.unless_given = reader.guards;
  out.adds_marks = reader.adds_marks;
  return out;
}

bool option_given(const std::vector<std::string>& flags, const std::vector<std::string>& tokens) {
  for (const std::string& token : tokens)
    for (const std::string& flag : flags) {
      if (token == flag) return true;
      if (flag.rfind("--", 0) == 0 && token.rfind(flag + "=", 0) == 0) return true;
      // A short flag may be bundled or carry its value: `-sv`, `-k2`.
      if (flag.size() == 2 && flag[0] == '-' && flag[1] != '-' && token.size() > 2 && token[0] == '-' &&
          token[1] != '-' && token.find(flag[1]) != std::string::npos)
        return true;
      // A long option may be abbreviated (argparse's allow_abbrev, which pytest keeps).
      if (flag.rfind("--", 0) == 0 && token.size() > 2 && token.rfind("--", 0) == 0 &&
          flag.rfind(token.substr(0, token.find('=')), 0) == 0)
        return true;
    }
  return false;
}

}  // namespace fastest
