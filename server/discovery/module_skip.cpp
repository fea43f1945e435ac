#include "server/discovery/module_skip.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "server/discovery/module_discovery.h"
#include "server/discovery/source_keywords.h"
#include "server/discovery/source_search.h"
#include "server/discovery/static_value.h"
#include "server/discovery/ts_util.h"

namespace fastest {
namespace {

// pytest's outcome functions that end a module's collection when called at import time.
constexpr std::string_view kOutcomes[] = {"importorskip", "skip", "fail"};

std::optional<std::string_view> outcome_name(std::string_view name) {
  for (std::string_view o : kOutcomes)
    if (name == o) return o;
  return std::nullopt;
}

bool names_pytest_module(std::string_view name, const Scope& module) {
  const Binding* b = module.find(name);
  if (!b) return name == "pytest";  // unbound: `pytest` from a star import or builtins injection
  return b->kind == Binding::Kind::Import && (b->import_from == "pytest" || b->import_from == "_pytest.outcomes");
}

// The outcome function a call's callee names: `pytest.skip`, `pt.importorskip` (import pytest
// as pt), `importorskip` (from pytest import importorskip [as alias]).
std::optional<std::string_view> called_outcome(TSNode callee, std::string_view source, const Scope& module) {
  callee = ts::unparen(callee);
  if (ts::is(callee, "attribute")) {
    TSNode object = ts::field(callee, "object");
    if (!ts::is(object, "identifier") || !names_pytest_module(ts::text(object, source), module)) return std::nullopt;
    return outcome_name(ts::text(ts::field(callee, "attribute"), source));
  }
  if (!ts::is(callee, "identifier")) return std::nullopt;
  const Binding* b = module.find(ts::text(callee, source));
  if (!b || b->kind != Binding::Kind::Import) return std::nullopt;
  for (std::string_view prefix : {std::string_view("pytest."), std::string_view("_pytest.outcomes.")})
    if (b->import_from.rfind(prefix, 0) == 0) return outcome_name(std::string_view(b->import_from).substr(prefix.size()));
  return std::nullopt;
}

std::string consequence(std::string_view outcome) {
  if (outcome == "importorskip") return "pytest skips the module when the import fails";
  if (outcome == "skip") return "pytest may skip the whole module";
  return "pytest may fail the module's collection";
}

// `__name__ == "__main__"`: pytest imports a test module under its own name, never `__main__`
// (the block runs only when the file is run as a script).
bool is_main_guard(TSNode condition, std::string_view source, const Scope& module) {
  condition = ts::unparen(condition);
  if (!ts::is(condition, "comparison_operator") || ts_node_named_child_count(condition) != 2) return false;
  std::string_view op = ts::text(ts::field(condition, "operators"), source);
  if (op != "==") return false;
  std::string_view a = ts::text(ts_node_named_child(condition, 0), source);
  std::string_view b = ts::text(ts_node_named_child(condition, 1), source);
  auto is_main = [](std::string_view t) { return t == "\"__main__\"" || t == "'__main__'"; };
  return !module.find("__name__") && ((a == "__name__" && is_main(b)) || (b == "__name__" && is_main(a)));
}

// An `if` whose taken branch the interpreter decides: the nodes that run (its conditions up to
// the taken one, and that branch's body). nullopt when a condition is unknown.
std::optional<std::vector<TSNode>> taken_parts(TSNode stmt, StaticEvaluator& evaluator, std::string_view source,
                                               const Scope& module) {
  std::vector<TSNode> parts;
  std::vector<std::pair<TSNode, TSNode>> branches{{ts::field(stmt, "condition"), ts::field(stmt, "consequence")}};
  for (TSNode child : ts::named_children(stmt)) {
    if (ts::is(child, "elif_clause")) branches.emplace_back(ts::field(child, "condition"), ts::field(child, "consequence"));
    else if (ts::is(child, "else_clause")) branches.emplace_back(TSNode{}, ts::field(child, "body"));
  }
  for (auto& [condition, body] : branches) {
    if (ts_node_is_null(condition)) { parts.push_back(body); return parts; }
    parts.push_back(condition);
    auto taken = is_main_guard(condition, source, module) ? std::optional<bool>(false) : evaluator.truth(condition);
    if (!taken) return std::nullopt;
    if (*taken) { parts.push_back(body); return parts; }
  }
  return parts;
}

// A call of pytest's outcome functions that runs at import: everything but function bodies and
// lambdas (decorators, default values and class bodies do run), depth first.
std::optional<ModuleOutcome> outcome_call(TSNode root, std::string_view source, const Scope& module,
                                          StaticEvaluator* evaluator) {
  std::vector<TSNode> pending{root};
  while (!pending.empty()) {
    TSNode node = pending.back();
    pending.pop_back();
    if (ts::is(node, "lambda")) continue;
    TSNode skipped_body{};
    if (ts::is(node, "function_definition")) skipped_body = ts::field(node, "body");
    if (ts::is(node, "if_statement") && evaluator) {
      if (auto parts = taken_parts(node, *evaluator, source, module)) {
        for (auto it = parts->rbegin(); it != parts->rend(); ++it) pending.push_back(*it);
        continue;
      }
    }
    if (ts::is(node, "call")) {
      if (auto outcome = called_outcome(ts::field(node, "function"), source, module))
        return ModuleOutcome{"calls pytest." + std::string(*outcome) + " at module level (line " +
                                 std::to_string(ts_node_start_point(node).row + 1) + "): " + consequence(*outcome),
                             *outcome == "importorskip" || *outcome == "skip"};
    }
    std::vector<TSNode> children = ts::named_children(node);
    for (auto it = children.rbegin(); it != children.rend(); ++it)
      if (ts_node_is_null(skipped_body) || !ts_node_eq(*it, skipped_body)) pending.push_back(*it);
  }
  return std::nullopt;
}

// The grammar's symbols the statement walk below compares with (integers, not type names: the
// walk runs on each keystroke of a module mentioning `raise` or `assert`).
struct StatementSymbols {
  TSSymbol module, block, raise, assert_, if_, elif, class_, decorated, try_, with_, for_, while_, else_, finally_;
  StatementSymbols() {
    const TSLanguage* python = tree_sitter_python();
    auto sym = [python](const char* name) {
      return ts_language_symbol_for_name(python, name, static_cast<uint32_t>(std::strlen(name)), true);
    };
    module = sym("module"), block = sym("block"), raise = sym("raise_statement"), assert_ = sym("assert_statement");
    if_ = sym("if_statement"), class_ = sym("class_definition"), decorated = sym("decorated_definition");
    try_ = sym("try_statement"), with_ = sym("with_statement"), for_ = sym("for_statement");
    while_ = sym("while_statement"), else_ = sym("else_clause"), finally_ = sym("finally_clause");
    elif = sym("elif_clause");
  }
};

// A `raise` (or an `assert` known to fail) among the statements that run at import: the module's
// and its compound statements' and class bodies' statements, never function bodies or `except`
// handlers (they run only when their `try` body raised: module_imports.h's rule for imports);
// of an `if` the interpreter decides, the taken branch only. Statements only, never expressions.
// An `assert` counts only when known to fail: module-level asserts are sanity checks of the
// module's own data (`assert len(set(CASES)) == len(CASES)`), true where it runs.
std::optional<ModuleOutcome> raised_at_import(TSNode root, std::string_view source, const Scope& module,
                                              StaticEvaluator* evaluator) {
  static const StatementSymbols sym;
  std::vector<TSNode> pending{root};
  auto push_children = [&](TSNode node) {  // named children, in source order once popped (a cursor:
    const size_t first = pending.size();   // ts_node_named_child(i) walks from the first child)
    TSTreeCursor cursor = ts_tree_cursor_new(node);
    if (ts_tree_cursor_goto_first_child(&cursor)) {
      do {
        TSNode child = ts_tree_cursor_current_node(&cursor);
        if (ts_node_is_named(child)) pending.push_back(child);
      } while (ts_tree_cursor_goto_next_sibling(&cursor));
    }
    ts_tree_cursor_delete(&cursor);
    std::reverse(pending.begin() + static_cast<long>(first), pending.end());
  };
  while (!pending.empty()) {
    TSNode node = pending.back();
    pending.pop_back();
    const TSSymbol kind = ts_node_symbol(node);
    if (kind == sym.raise || kind == sym.assert_) {
      const bool is_assert = kind == sym.assert_;
      if (is_assert && !(evaluator && evaluator->truth(ts_node_named_child(node, 0)) == false)) continue;
      return ModuleOutcome{std::string(is_assert ? "asserts" : "raises") + " at module level (line " +
                               std::to_string(ts_node_start_point(node).row + 1) +
                               "): pytest may fail or skip the module's collection",
                           /*may_skip=*/false};
    }
    if (kind == sym.module || kind == sym.block || kind == sym.elif || kind == sym.else_ || kind == sym.finally_) {
      push_children(node);
    } else if (kind == sym.if_) {
      if (auto parts = evaluator ? taken_parts(node, *evaluator, source, module) : std::nullopt) {
        for (auto it = parts->rbegin(); it != parts->rend(); ++it)
          if (ts_node_symbol(*it) == sym.block) pending.push_back(*it);
      } else {
        push_children(node);  // every branch (the condition is an expression: not a statement)
      }
    } else if (kind == sym.class_) {
      pending.push_back(ts::field(node, "body"));
    } else if (kind == sym.decorated) {
      pending.push_back(ts::field(node, "definition"));
    } else if (kind == sym.try_ || kind == sym.with_ || kind == sym.for_ || kind == sym.while_) {
      push_children(node);  // `except` handlers are dropped below
    }  // anything else (functions, `except` handlers, expressions) does not run a statement here
  }
  return std::nullopt;
}

}  // namespace

std::optional<ModuleOutcome> module_level_outcome(TSNode root, std::string_view source, const Scope& module,
                                                  StaticEvaluator* evaluator, const SourceKeywords* keywords) {
  if (source_contains(source, "skip", keywords) || source_contains(source, "fail", keywords))
    if (auto outcome = outcome_call(root, source, module, evaluator)) return outcome;
  if (source_contains(source, "raise", keywords) || source_contains(source, "assert", keywords))
    return raised_at_import(root, source, module, evaluator);
  return std::nullopt;
}

}  // namespace fastest
