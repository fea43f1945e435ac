// The pure heart of discovery: (syntax tree, source, rules) -> test items of one module.
// No I/O, never throws: a broken file yields what can be read plus diagnostics.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <tree_sitter/api.h>

#include "server/core/model.h"
#include "server/discovery/collect_rules.h"
#include "server/discovery/source_keywords.h"

namespace fastest {

struct ModuleResult {
  // Pre-order, in pytest's collection order: the Module item first, then classes,
  // functions and cases as pytest would collect them.
  std::vector<TestItem> items;
  std::vector<Diagnostic> diagnostics;
  // The file does not parse: pytest would report a collection error for this module
  // (the items of its intact parts are still listed, for editors).
  bool has_syntax_error = false;
  // Set when the module as a whole depends on run-time facts (pytest_generate_tests,
  // imported test classes or functions): a real collection settles it.
  bool dynamic = false;
  std::string dynamic_reason;
  // The items depend on what function bodies say: a parametrize value or condition read a
  // module name, and the evaluator checked every body for code mutating it. An edit inside a
  // body is then not harmless (Document re-runs the rules).
  bool reads_function_bodies = false;
  // Absolute paths of the other modules read for test classes' bases (CollectRules::modules):
  // when one changes, this module's items must be discovered again.
  std::vector<std::string> base_files;
};

// module_path: the file's path relative to rootdir, '/'-separated ("tests/test_a.py").
// It is the node-id prefix of every item and becomes the Module item's id.
// only_entry: when set, the items of that one module-level name alone follow the Module item
// (the rest of the module is still read for context) — for an edit proved to touch nothing
// else (Document's rename path).
// keywords: the gate words of `source` counted beforehand (a Document keeps them across edits),
// or null: the text is scanned.
ModuleResult discover_module(const TSTree* tree, std::string_view source,
                             std::string_view module_path, const CollectRules& rules,
                             std::string_view only_entry = {}, const SourceKeywords* keywords = nullptr);

class StaticEvaluator;
struct Scope;

// A module's values read the way discover_module reads a test module's: names it imports from
// the project's modules followed (CollectRules::modules), installed modules' values from the
// interpreter's answers (CollectRules::library). For a conftest, read outside any collection of
// a test module. `rules` must outlive it; `module_path` as discover_module's.
class ModuleValues {
 public:
  ModuleValues(TSNode root, std::string_view source, std::string_view module_path, const CollectRules& rules);
  ~ModuleValues();
  ModuleValues(const ModuleValues&) = delete;
  ModuleValues& operator=(const ModuleValues&) = delete;
  const Scope& scope() const;
  StaticEvaluator& evaluator();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Syntax errors (ERROR and MISSING nodes) of a tree, at most 20, in source order.
std::vector<Diagnostic> syntax_errors(TSNode root, std::string_view module_path);

// The tree-sitter-python language (compiled from the pinned grammar).
extern "C" const TSLanguage* tree_sitter_python();

}  // namespace fastest
