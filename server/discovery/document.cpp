#include "server/discovery/document.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <unordered_map>

#include "server/discovery/doctest_discovery.h"
#include "server/discovery/file_items.h"

namespace fastest {

Document::Document(std::string module_path, std::string text, CollectRules rules, FileCollectors collectors)
    : module_path_(std::move(module_path)), text_(std::move(text)), keywords_(text_), rules_(std::move(rules)),
      collectors_(std::move(collectors)), parser_(make_python_parser()) {
  tree_ = parse_python(parser_.get(), text_);
  result_ = discover();
}

// discover_module's result, with the doctest collector's items merged in pytest's order when
// the file has one.
ModuleResult Document::discover() {
  // A broken file is read as Python resumes after the error (recovery.h), with a parser of its own.
  if (tree_ && ts_node_has_error(ts_tree_root_node(tree_.get())) && !snippet_parser_) snippet_parser_ = make_python_parser();
  ModuleResult python = discover_module_recovering(snippet_parser_.get(), tree_.get(), text_, module_path_, rules_, &keywords_);
  if (!collectors_.doctest_module) return python;
  DoctestResult doctests = discover_doctests(tree_.get(), text_, module_path_, collectors_.import_name);
  const std::string_view name = std::string_view(module_path_).substr(module_path_.rfind('/') + 1);
  ModuleResult merged = python;
  merged.items = merge_file_items(module_path_, name, collectors_.python_module ? &python : nullptr, &doctests);
  return merged;
}

namespace {

// The innermost function_definition whose body contains byte `at` (start < at <= end).
TSNode function_with_body_at(TSNode root, uint32_t at) {
  // Probe the byte before `at`: an insertion right after a body's last character is in it.
  uint32_t probe = at > 0 ? at - 1 : at;
  TSNode node = ts_node_descendant_for_byte_range(root, probe, probe);
  while (!ts_node_is_null(node)) {
    if (std::strcmp(ts_node_type(node), "function_definition") == 0) {
      TSNode body = ts_node_child_by_field_name(node, "body", 4);
      if (!ts_node_is_null(body) && ts_node_start_byte(body) < at && at <= ts_node_end_byte(body)) return node;
    }
    node = ts_node_parent(node);
  }
  return TSNode{};
}

Point to_point(TSPoint p) { return Point{p.row, p.column}; }

bool before(Point p, TSPoint q) { return p.line < q.row || (p.line == q.row && p.column < q.column); }

// Where a position lands after `edit`, as tree-sitter moves nodes: before the edit, unmoved;
// inside the replaced text, at the end of the new text; after it, by the edit's size.
// Monotonic, so a range stays a range (start <= end) whatever the edit removed.
Point shifted(Point p, const TSInputEdit& edit) {
  if (before(p, edit.start_point)) return p;
  if (before(p, edit.old_end_point)) return to_point(edit.new_end_point);
  Point out = p;
  out.line = p.line - edit.old_end_point.row + edit.new_end_point.row;
  if (p.line == edit.old_end_point.row) out.column = p.column - edit.old_end_point.column + edit.new_end_point.column;
  return out;
}

Range shifted(const Range& r, const TSInputEdit& edit) { return Range{shifted(r.start, edit), shifted(r.end, edit)}; }

void shift_items(std::vector<TestItem>& items, const TSInputEdit& edit) {
  for (TestItem& item : items) {
    item.range = shifted(item.range, edit);
    item.name_range = shifted(item.name_range, edit);
  }
}

}  // namespace

ItemDelta Document::apply_edit(uint32_t start_byte, uint32_t old_end_byte, std::string_view new_text) {
  const uint32_t size = static_cast<uint32_t>(text_.size());
  start_byte = std::min(start_byte, size);
  old_end_byte = std::clamp(old_end_byte, start_byte, size);
  std::string updated;
  updated.reserve(text_.size() - (old_end_byte - start_byte) + new_text.size());
  updated.append(text_, 0, start_byte);
  updated.append(new_text);
  updated.append(text_, old_end_byte, std::string::npos);
  const uint32_t new_end_byte = start_byte + static_cast<uint32_t>(new_text.size());
  keywords_.update(text_, updated, start_byte, old_end_byte, new_end_byte);  // every path below takes `updated`
  if (!tree_) {
    text_ = std::move(updated);
    tree_ = parse_python(parser_.get(), text_);
    return recompute();
  }
  TSInputEdit edit = make_input_edit(text_, updated, start_byte, old_end_byte, new_end_byte);
  if (!last_good_.empty()) shift_items(last_good_, edit);

  // Fastest path: an edit inside one function's body, proved harmless by parsing that
  // function alone. The whole-file tree is only edited (positions move) and reparsed later,
  // when something needs it: tree-sitter 0.20's incremental reparse of a whole file after
  // some edits (deleting a line break, say) re-lexes everything after the edit.
  // Docstrings live in bodies: with doctests collected, no edit is body-only.
  // So do parametrize values read from names that a body could mutate (module_discovery.h).
  const bool bodies_hold_items = collectors_.doctest_module || result_.reads_function_bodies;
  if (!result_.has_syntax_error && !bodies_hold_items) {
    if (auto function_end = body_only_edit(edit, updated)) {
      ts_tree_edit(tree_.get(), &edit);
      tree_stale_ = true;
      text_ = std::move(updated);
      return move_items(edit, *function_end);
    }
  }

  // Fast path: an edit inside one function's body cannot change any test item (bodies hold
  // no collectable definitions); items only move. tree-sitter's changed ranges prove that
  // the edit left the structure outside that function alone.
  TSNode old_function = tree_stale_ || bodies_hold_items ? TSNode{} : function_with_body_at(ts_tree_root_node(tree_.get()), start_byte);
  bool inside_body = !ts_node_is_null(old_function);
  uint32_t function_start = inside_body ? ts_node_start_byte(old_function) : 0;
  FunctionEnd function_end;
  uint32_t old_function_end = 0;  // read before ts_tree_edit moves it
  if (inside_body) {
    function_end.before = to_point(ts_node_end_point(old_function));
    old_function_end = ts_node_end_byte(old_function);
  }

  // A def or class renamed: only the module-level statement holding it can change.
  std::optional<RenameEdit> rename;
  if (!tree_stale_ && !result_.has_syntax_error && !bodies_hold_items && collectors_.python_module)
    rename = find_rename_edit(tree_.get(), text_, start_byte, old_end_byte, new_text);

  ts_tree_edit(tree_.get(), &edit);
  TreePtr next = reparse_python(parser_.get(), tree_.get(), updated);
  text_ = std::move(updated);
  tree_stale_ = false;
  // A broken file: tree-sitter's error recovery after an incremental reparse can differ from
  // a fresh parse's, and the fresh one is what `fastest discover` shows. Parse afresh.
  if (!next || ts_node_has_error(ts_tree_root_node(next.get()))) {
    tree_ = parse_python(parser_.get(), text_);
    return recompute(&edit);
  }
  if (rename && rename_stays_in_statement(*rename, edit, next.get())) {
    tree_ = std::move(next);
    return recompute_entry(*rename);
  }
  bool fast = false;
  if (inside_body && !result_.has_syntax_error) {
    TSNode new_function = function_with_body_at(ts_tree_root_node(next.get()), start_byte);
    fast = !ts_node_is_null(new_function) && ts_node_start_byte(new_function) == function_start &&
           end_follows_edit(old_function_end, ts_node_end_byte(new_function), edit) &&
           changes_stay_in(tree_.get(), next.get(), new_function, text_);
    if (fast) function_end.after = to_point(ts_node_end_point(new_function));
  }
  tree_ = std::move(next);
  if (!fast) return recompute(&edit);
  ItemDelta delta = move_items(edit, function_end);
  TSNode root = ts_tree_root_node(tree_.get());
  std::vector<Diagnostic> diagnostics = syntax_errors(root, module_path_);
  delta.diagnostics_changed = diagnostics != result_.diagnostics;
  result_.diagnostics = std::move(diagnostics);
  result_.has_syntax_error = ts_node_has_error(root);
  return delta;
}

// Parses the function around the edit on its own (a few hundred bytes, not the file): before
// and after the edit, both error-free, the edit inside its body, and tree-sitter's changed
// ranges confined to that function. Lines after the function cannot be affected then: what
// carries over a line break in Python (open brackets, strings, a trailing backslash, a block
// opener) would be a syntax error at the end of the snippet.
std::optional<Document::FunctionEnd> Document::body_only_edit(const TSInputEdit& edit, std::string_view updated) {
  // tree_ may be stale: its function ends can miss text typed at their very end, so the
  // snippet runs to the end of that line and the snippet's own parse gives the true ends.
  TSNode function = function_with_body_at(ts_tree_root_node(tree_.get()), edit.start_byte);
  if (ts_node_is_null(function)) return std::nullopt;
  const uint32_t function_start = ts_node_start_byte(function);
  const uint32_t function_end = ts_node_end_byte(function);
  const uint32_t first_row = ts_node_start_point(function).row;
  uint32_t chunk_start = function_start;
  while (chunk_start > 0 && text_[chunk_start - 1] != '\n') --chunk_start;
  for (uint32_t b = chunk_start; b < function_start; ++b)
    if (text_[b] != ' ' && text_[b] != '\t') return std::nullopt;  // `class A: def f(): ...` on one line
  uint32_t chunk_end = function_end;
  while (chunk_end < text_.size() && text_[chunk_end] != '\n') ++chunk_end;
  if (chunk_end < text_.size()) ++chunk_end;
  if (chunk_end - chunk_start > kMaxSnippetBytes || edit.old_end_byte > chunk_end) return std::nullopt;

  // An indented def needs a block to sit in; any class header gives it one.
  const std::string_view prefix = function_start > chunk_start ? std::string_view("class _:\n") : std::string_view();
  const uint32_t shift = static_cast<uint32_t>(prefix.size()) - chunk_start;  // file byte -> snippet byte (mod 2^32)
  std::string before(prefix);
  before.append(text_, chunk_start, chunk_end - chunk_start);
  const uint32_t new_chunk_end = chunk_end - edit.old_end_byte + edit.new_end_byte;
  std::string after(prefix);
  after.append(updated.substr(chunk_start, new_chunk_end - chunk_start));

  if (!snippet_parser_) snippet_parser_ = make_python_parser();
  TreePtr old_tree = parse_python(snippet_parser_.get(), before);
  TSNode old_root = ts_tree_root_node(old_tree.get());
  if (ts_node_has_error(old_root)) return std::nullopt;
  TSNode old_function = function_with_body_at(old_root, edit.start_byte + shift);
  // The snippet must see the same function the file does, reaching the snippet's end.
  if (ts_node_is_null(old_function) || ts_node_start_byte(old_function) != function_start + shift ||
      !only_trivia_after(before, ts_node_end_byte(old_function)))
    return std::nullopt;
  const uint32_t prefix_rows = prefix.empty() ? 0 : 1;
  auto file_point = [&](TSPoint p) { return Point{p.row - prefix_rows + first_row, p.column}; };
  FunctionEnd ends;
  ends.before = file_point(ts_node_end_point(old_function));
  const uint32_t old_function_end = ts_node_end_byte(old_function);  // before ts_tree_edit moves it

  TSInputEdit snippet_edit = make_input_edit(before, after, edit.start_byte + shift, edit.old_end_byte + shift,
                                             edit.new_end_byte + shift);
  ts_tree_edit(old_tree.get(), &snippet_edit);
  TreePtr new_tree = reparse_python(snippet_parser_.get(), old_tree.get(), after);
  if (!new_tree) return std::nullopt;
  TSNode new_root = ts_tree_root_node(new_tree.get());
  if (ts_node_has_error(new_root)) return std::nullopt;
  TSNode new_function = function_with_body_at(new_root, edit.start_byte + shift);
  if (ts_node_is_null(new_function) || ts_node_start_byte(new_function) != function_start + shift ||
      !end_follows_edit(old_function_end, ts_node_end_byte(new_function), snippet_edit) ||
      !changes_stay_in(old_tree.get(), new_tree.get(), new_function, after))
    return std::nullopt;
  ends.after = file_point(ts_node_end_point(new_function));
  return ends;
}

// The function still ends where it did, give or take the text the edit added or removed at
// its end; otherwise it swallowed what followed (an unclosed bracket) or lost its tail.
bool Document::end_follows_edit(uint32_t old_end, uint32_t new_end, const TSInputEdit& edit) {
  const int64_t moved = static_cast<int64_t>(edit.new_end_byte) - static_cast<int64_t>(edit.old_end_byte);
  return new_end == old_end || static_cast<int64_t>(new_end) == static_cast<int64_t>(old_end) + moved;
}

// Past `from`, `text` holds only blank space and comments.
bool Document::only_trivia_after(std::string_view text, uint32_t from) {
  bool in_comment = false;
  for (size_t b = from; b < text.size(); ++b) {
    char c = text[b];
    if (c == '\n') in_comment = false;
    else if (c == '#') in_comment = true;
    else if (!in_comment && c != ' ' && c != '\t' && c != '\r') return false;
  }
  return true;
}

// Every range tree-sitter reports changed lies inside `function`, or spills past it only
// over blank space (a new empty line).
bool Document::changes_stay_in(const TSTree* old_tree, const TSTree* new_tree, TSNode function, std::string_view text) {
  uint32_t count = 0;
  TSRange* changed = ts_tree_get_changed_ranges(old_tree, new_tree, &count);
  auto blank = [text](uint32_t from, uint32_t to) {
    for (uint32_t b = from; b < to && b < text.size(); ++b)
      if (text[b] != ' ' && text[b] != '\t' && text[b] != '\n' && text[b] != '\r') return false;
    return true;
  };
  const uint32_t start = ts_node_start_byte(function);
  const uint32_t end = ts_node_end_byte(function);
  bool inside = true;
  for (uint32_t i = 0; i < count && inside; ++i) {
    if (changed[i].start_byte < start && !blank(changed[i].start_byte, start)) inside = false;
    if (changed[i].end_byte > end && !blank(end, changed[i].end_byte)) inside = false;
  }
  free(changed);
  return inside;
}

// Items keep their ids; every position after the edit moves with it.
// The edited function's end (and that of classes ending with it) comes from the new parse:
// text typed right at its end may or may not belong to it (`x` does, a line break doesn't).
ItemDelta Document::move_items(const TSInputEdit& edit, const FunctionEnd& function_end) {
  ItemDelta delta;
  TSNode root = ts_tree_root_node(tree_.get());
  for (TestItem& item : result_.items) {
    Range range{shifted(item.range.start, edit),
                item.range.end == function_end.before ? function_end.after : shifted(item.range.end, edit)};
    Range name = shifted(item.name_range, edit);
    if (item.kind == ItemKind::Module) range = Range{to_point(ts_node_start_point(root)), to_point(ts_node_end_point(root))};
    if (range != item.range || name != item.name_range) {
      item.range = range;
      item.name_range = name;
      delta.changed.push_back(item.id);
    }
  }
  for (Diagnostic& d : result_.diagnostics) {
    Range range = shifted(d.range, edit);
    if (range != d.range) {
      d.range = range;
      delta.diagnostics_changed = true;
    }
  }
  return delta;
}

// The reparse agrees: the statement still spans the same text (moved by the edit's size) with
// the new name. That is enough to know nothing else changed: the edit replaced identifier
// characters with identifier characters inside a name, which opens no string, bracket or line;
// the tree has no error (checked before), the bytes around the statement are the same, and the
// parser meets them in the same state (module level, after the same statement), so they parse
// as before. (Asking tree-sitter for changed ranges cost 11% of such a keystroke.)
bool Document::rename_stays_in_statement(const RenameEdit& rename, const TSInputEdit& edit, const TSTree* next) const {
  const uint32_t end = rename.statement_end - edit.old_end_byte + edit.new_end_byte;
  TSNode root = ts_tree_root_node(next);
  TSNode statement = ts_node_named_descendant_for_byte_range(root, rename.statement_start, end);
  while (!ts_node_is_null(statement) && !ts_node_eq(ts_node_parent(statement), root)) statement = ts_node_parent(statement);
  if (ts_node_is_null(statement) || ts_node_start_byte(statement) != rename.statement_start ||
      ts_node_end_byte(statement) != end)
    return false;
  TSNode definition = ts_node_child_by_field_name(statement, "definition", 10);
  if (ts_node_is_null(definition)) definition = statement;
  TSNode name = ts_node_child_by_field_name(definition, "name", 4);
  if (ts_node_is_null(name) ||
      std::string_view(text_).substr(ts_node_start_byte(name), ts_node_end_byte(name) - ts_node_start_byte(name)) !=
          rename.entry_after)
    return false;
  return true;
}

// Re-runs pytest's rules for the renamed statement alone and splices its items in place of
// the old ones (or where the statement sits, if it had none). Other items cannot have changed
// (find_rename_edit), and the edit adds no line, so they keep their positions too.
ItemDelta Document::recompute_entry(const RenameEdit& rename) {
  ModuleResult partial = discover_module(tree_.get(), text_, module_path_, rules_, rename.entry_after, &keywords_);
  std::vector<TestItem>& items = result_.items;
  const std::string old_id = module_path_ + "::" + rename.entry_before;
  auto top_level = [this](const TestItem& item) { return item.parent_id() == module_path_; };
  size_t first = 1;
  while (first < items.size() && !(top_level(items[first]) && items[first].id == old_id)) ++first;
  size_t last = first;
  if (first == items.size()) {  // not collected before: its place is its position in the file
    first = 1;
    while (first < items.size() && !(top_level(items[first]) && items[first].range.start.line > rename.statement_row))
      ++first;
    last = first;
  } else {
    ++last;
    while (last < items.size() && !top_level(items[last])) ++last;
  }
  std::vector<TestItem> new_block(std::make_move_iterator(partial.items.begin() + 1),
                                  std::make_move_iterator(partial.items.end()));
  ItemDelta delta = diff_items(std::span<const TestItem>(items).subspan(first, last - first), new_block);
  if (!(items.front() == partial.items.front())) delta.changed.push_back(partial.items.front().id);
  items.front() = std::move(partial.items.front());
  if (new_block.size() == last - first) {  // the usual rename: same items, new ids; no shifting
    std::move(new_block.begin(), new_block.end(), items.begin() + static_cast<std::ptrdiff_t>(first));
  } else {
    items.erase(items.begin() + static_cast<std::ptrdiff_t>(first), items.begin() + static_cast<std::ptrdiff_t>(last));
    items.insert(items.begin() + static_cast<std::ptrdiff_t>(first), std::make_move_iterator(new_block.begin()),
                 std::make_move_iterator(new_block.end()));
  }
  delta.diagnostics_changed = partial.diagnostics != result_.diagnostics;
  result_.diagnostics = std::move(partial.diagnostics);
  result_.has_syntax_error = partial.has_syntax_error;
  result_.dynamic = partial.dynamic;
  result_.dynamic_reason = std::move(partial.dynamic_reason);
  return delta;
}

void Document::ensure_fresh_tree() {
  if (!tree_stale_) return;
  TreePtr next = reparse_python(parser_.get(), tree_.get(), text_);
  tree_ = next ? std::move(next) : parse_python(parser_.get(), text_);
  tree_stale_ = false;
}

ItemDelta Document::replace_text(std::string text) {
  text_ = std::move(text);
  keywords_ = SourceKeywords(text_);
  tree_ = parse_python(parser_.get(), text_);
  tree_stale_ = false;
  return recompute();
}

ItemDelta Document::set_rules(CollectRules rules) {
  rules_ = std::move(rules);
  ensure_fresh_tree();
  return recompute();
}

// `edit`: the edit just applied, when there is one (the last good items, taken from before it,
// move with it).
ItemDelta Document::recompute(const TSInputEdit* edit) {
  ModuleResult next = discover();
  if (!next.has_syntax_error) {
    last_good_.clear();
  } else {
    if (!result_.has_syntax_error) {
      last_good_ = result_.items;
      if (edit) shift_items(last_good_, *edit);
    }
    keep_stale_items(next.items, last_good_);
  }
  ItemDelta delta = diff_items(result_.items, next.items);
  delta.diagnostics_changed = next.diagnostics != result_.diagnostics;
  result_ = std::move(next);
  return delta;
}

void keep_stale_items(std::vector<TestItem>& items, const std::vector<TestItem>& last_good) {
  if (items.empty() || last_good.empty()) return;
  std::unordered_map<std::string_view, size_t> index;
  index.reserve(items.size());
  for (size_t i = 0; i < items.size(); ++i) index.emplace(items[i].id, i);
  std::vector<std::vector<const TestItem*>> after(items.size());  // stale items to follow items[i]
  size_t anchor = 0;
  bool any = false;
  for (const TestItem& old : last_good) {
    if (auto it = index.find(old.id); it != index.end()) {
      anchor = it->second;
      continue;
    }
    if (auto parent = index.find(old.parent_id()); parent != index.end() && items[parent->second].kind == ItemKind::Function)
      continue;
    after[anchor].push_back(&old);
    any = true;
  }
  if (!any) return;
  std::vector<TestItem> merged;
  merged.reserve(items.size() + last_good.size());
  for (size_t i = 0; i < items.size(); ++i) {
    merged.push_back(std::move(items[i]));
    for (const TestItem* old : after[i]) {
      merged.push_back(*old);
      merged.back().stale = true;
    }
  }
  items = std::move(merged);
}

ItemDelta diff_items(std::span<const TestItem> before, std::span<const TestItem> after) {
  ItemDelta delta;
  std::unordered_map<std::string_view, const TestItem*> old_by_id;
  old_by_id.reserve(before.size());
  for (const TestItem& item : before) old_by_id.emplace(item.id, &item);
  std::unordered_map<std::string_view, bool> seen;
  seen.reserve(after.size());
  for (const TestItem& item : after) {
    seen.emplace(item.id, true);
    auto it = old_by_id.find(item.id);
    if (it == old_by_id.end()) delta.added.push_back(item.id);
    else if (!(*it->second == item)) delta.changed.push_back(item.id);
  }
  for (const TestItem& item : before)
    if (!seen.count(item.id)) delta.removed.push_back(item.id);
  return delta;
}

}  // namespace fastest
