// One Python file kept incrementally for the language server: apply an edit, reparse with
// the old tree, recompute the module's items, and say what changed.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "server/discovery/collect_rules.h"
#include "server/discovery/module_discovery.h"
#include "server/discovery/recovery.h"
#include "server/discovery/rename_edit.h"
#include "server/discovery/source_keywords.h"
#include "server/discovery/syntax_tree.h"

namespace fastest {

struct ItemDelta {
  std::vector<std::string> added;    // ids new in this version
  std::vector<std::string> changed;  // same id, different range/marks/dynamic/label
  std::vector<std::string> removed;  // ids gone
  bool diagnostics_changed = false;
  bool empty() const { return added.empty() && changed.empty() && removed.empty() && !diagnostics_changed; }
};

// Which of pytest's collectors the file has (see file_items.h): a python Module (it matches
// python_files), a DoctestModule (--doctest-modules) whose names start with `import_name`.
struct FileCollectors {
  bool python_module = true;
  bool doctest_module = false;
  std::string import_name;
};

class Document {
 public:
  Document(std::string module_path, std::string text, CollectRules rules, FileCollectors collectors = {});

  // Replaces bytes [start_byte, old_end_byte) with new_text. Offsets past the end are clamped.
  ItemDelta apply_edit(uint32_t start_byte, uint32_t old_end_byte, std::string_view new_text);
  ItemDelta replace_text(std::string text);
  ItemDelta set_rules(CollectRules rules);

  const std::string& module_path() const { return module_path_; }
  const std::string& text() const { return text_; }
  const ModuleResult& result() const { return result_; }
  // The file's items as pytest lists them: Module, doctests (if any), then python items.
  // While the file does not parse, items it parsed with before and no longer shows follow,
  // marked stale (keep_stale_items).
  const std::vector<TestItem>& items() const { return result_.items; }
  const std::vector<Diagnostic>& diagnostics() const { return result_.diagnostics; }

 private:
  // A function bigger than this is not parsed on its own; the whole file is reparsed instead.
  static constexpr uint32_t kMaxSnippetBytes = 64 * 1024;

  // Where the edited function ended before the edit and where it ends after it.
  struct FunctionEnd {
    Point before;
    Point after;
  };

  ItemDelta recompute(const TSInputEdit* edit = nullptr);
  ModuleResult discover();
  std::optional<FunctionEnd> body_only_edit(const TSInputEdit& edit, std::string_view updated);
  static bool changes_stay_in(const TSTree* old_tree, const TSTree* new_tree, TSNode function, std::string_view text);
  static bool end_follows_edit(uint32_t old_end, uint32_t new_end, const TSInputEdit& edit);
  static bool only_trivia_after(std::string_view text, uint32_t from);
  ItemDelta move_items(const TSInputEdit& edit, const FunctionEnd& function_end);
  bool rename_stays_in_statement(const RenameEdit& rename, const TSInputEdit& edit, const TSTree* next) const;
  ItemDelta recompute_entry(const RenameEdit& rename);
  void ensure_fresh_tree();

  std::string module_path_;
  std::string text_;
  SourceKeywords keywords_;  // text_'s gate words, counted again only where an edit touched
  CollectRules rules_;
  FileCollectors collectors_;
  ParserPtr parser_;
  ParserPtr snippet_parser_;  // parses one function alone (body_only_edit)
  TreePtr tree_;
  // tree_ has edits applied (positions moved) but was not reparsed: every edit since the last
  // reparse was proved to stay inside a function body, so the items are still right.
  bool tree_stale_ = false;
  ModuleResult result_;
  // The items of the last version that parsed, while this one does not (moved with each edit).
  std::vector<TestItem> last_good_;
};

// Adds to `items` (a broken file's) the items of `last_good` it lacks, marked stale, each after
// the item that preceded it in `last_good`. A case whose function is in `items` is not kept:
// that function's decorators were read afresh and say which cases it has.
void keep_stale_items(std::vector<TestItem>& items, const std::vector<TestItem>& last_good);

// What differs between two item lists (by id).
ItemDelta diff_items(std::span<const TestItem> before, std::span<const TestItem> after);

}  // namespace fastest
