#include "server/discovery/collect_ignore.h"

#include "server/discovery/static_value.h"
#include "server/discovery/ts_util.h"

namespace fastest {
namespace {

bool is_identifier_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Whether `name` occurs in the text as a whole identifier (`collect_ignore` is a prefix of
// `collect_ignore_glob`).
bool mentions(std::string_view text, std::string_view name) {
  for (size_t pos = text.find(name); pos != std::string_view::npos; pos = text.find(name, pos + 1)) {
    bool before = pos > 0 && is_identifier_char(text[pos - 1]);
    bool after = pos + name.size() < text.size() && is_identifier_char(text[pos + name.size()]);
    if (!before && !after) return true;
  }
  return false;
}

struct Replay {
  std::string_view source;
  std::string_view name;
  StaticEvaluator& evaluator;
  std::optional<std::vector<std::string>> list;  // unset: not bound yet
  bool failed = false;

  bool add_strings(const StaticValue& value, bool replace) {
    auto elements = StaticEvaluator::iterate(value);
    if (!elements || value.kind == StaticValue::Kind::Str || value.kind == StaticValue::Kind::Dict) return false;
    std::vector<std::string> out = replace || !list ? std::vector<std::string>{} : *list;
    for (const StaticValue& e : *elements) {
      if (e.kind != StaticValue::Kind::Str) return false;
      out.push_back(to_utf8(e.chars));
    }
    list = std::move(out);
    return true;
  }

  // One statement that mentions the name: false when it is not a form replayed here.
  bool statement(TSNode stmt) {
    if (ts::is(stmt, "if_statement")) return if_statement(stmt);
    if (!ts::is(stmt, "expression_statement") || ts_node_named_child_count(stmt) != 1) return false;
    TSNode expr = ts_node_named_child(stmt, 0);
    if (ts::is(expr, "assignment")) {
      TSNode left = ts::field(expr, "left"), right = ts::field(expr, "right");
      if (!ts::is(left, "identifier") || ts::text(left, source) != name || ts_node_is_null(right) ||
          ts::is(right, "assignment"))
        return false;  // `collect_ignore: list` alone binds nothing
      if (mentions(ts::text(right, source), name)) return false;
      return add_strings(evaluator.eval(right, true), true);
    }
    if (ts::is(expr, "augmented_assignment")) {
      TSNode left = ts::field(expr, "left"), right = ts::field(expr, "right");
      if (!list || !ts::is(left, "identifier") || ts::text(left, source) != name ||
          ts::text(ts::field(expr, "operator"), source) != "+=" || mentions(ts::text(right, source), name))
        return false;
      return add_strings(evaluator.eval(right, true), false);
    }
    if (ts::is(expr, "call")) {
      TSNode function = ts::field(expr, "function");
      if (!list || !ts::is(function, "attribute") || !ts::is(ts::field(function, "object"), "identifier") ||
          ts::text(ts::field(function, "object"), source) != name)
        return false;
      std::string_view method = ts::text(ts::field(function, "attribute"), source);
      std::vector<TSNode> args = ts::named_children(ts::field(expr, "arguments"));
      if (args.size() != 1 || mentions(ts::text(args[0], source), name)) return false;
      StaticValue value = evaluator.eval(args[0], true);
      if (method == "append") {
        if (value.kind != StaticValue::Kind::Str) return false;
        list->push_back(to_utf8(value.chars));
        return true;
      }
      if (method == "extend") return add_strings(value, false);
    }
    return false;
  }

  bool if_statement(TSNode stmt) {
    std::vector<std::pair<TSNode, TSNode>> branches{{ts::field(stmt, "condition"), ts::field(stmt, "consequence")}};
    for (TSNode child : ts::named_children(stmt)) {
      if (ts::is(child, "elif_clause")) branches.emplace_back(ts::field(child, "condition"), ts::field(child, "consequence"));
      else if (ts::is(child, "else_clause")) branches.emplace_back(TSNode{}, ts::field(child, "body"));
    }
    for (auto& [condition, body] : branches) {
      std::optional<bool> taken = ts_node_is_null(condition) ? std::optional(true) : evaluator.truth(condition, true);
      if (!taken) return false;  // which branch runs is not known
      if (*taken) { block(body); return !failed; }
    }
    return true;
  }

  void block(TSNode body) {
    for (TSNode stmt : ts::named_children(body)) {
      if (failed) return;
      if (!mentions(ts::text(stmt, source), name)) continue;
      if (!statement(stmt)) failed = true;
    }
  }
};

}  // namespace

std::optional<std::vector<std::string>> replay_collect_ignore(TSNode root, std::string_view source, std::string_view name,
                                                              StaticEvaluator& evaluator) {
  if (!mentions(source, name)) return std::vector<std::string>{};
  Replay replay{source, name, evaluator, std::nullopt, false};
  replay.block(root);
  if (replay.failed) return std::nullopt;
  return replay.list.value_or(std::vector<std::string>{});
}

}  // namespace fastest
