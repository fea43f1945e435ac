#include "server/discovery/recovery.h"

#include <algorithm>

#include "server/discovery/ts_util.h"

namespace fastest {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f'; }

uint32_t indentation(std::string_view s, uint32_t line_start, uint32_t line_end) {
  uint32_t i = line_start;
  while (i < line_end && (s[i] == ' ' || s[i] == '\t')) ++i;
  return i - line_start;
}

bool starts_keyword(std::string_view rest, std::string_view keyword) {
  return rest.size() > keyword.size() && rest.starts_with(keyword) &&
         (rest[keyword.size()] == ' ' || rest[keyword.size()] == '\t');
}

// `else:`, `except ...:` and the like: the rest of the statement above, not a new one.
bool continues_statement(std::string_view rest) {
  for (std::string_view keyword : {"else", "elif", "except", "finally"})
    if (rest.starts_with(keyword) && rest.size() > keyword.size() &&
        (rest[keyword.size()] == ':' || rest[keyword.size()] == ' ' || rest[keyword.size()] == '\t' ||
         rest[keyword.size()] == '*' || rest[keyword.size()] == '('))
      return true;
  return false;
}

bool starts_definition(std::string_view rest) {
  if (starts_keyword(rest, "def") || starts_keyword(rest, "class")) return true;
  if (!starts_keyword(rest, "async")) return false;
  rest.remove_prefix(5);
  while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
  return starts_keyword(rest, "def");
}

// `if ...:`, `for ...:`, `try:` and the other compound statements' headers.
bool starts_compound(std::string_view rest) {
  for (std::string_view keyword : {"if", "for", "while", "with", "try", "async"})
    if (rest.starts_with(keyword) && rest.size() > keyword.size() &&
        (rest[keyword.size()] == ' ' || rest[keyword.size()] == '\t' || rest[keyword.size()] == ':' ||
         rest[keyword.size()] == '('))
      return true;
  return false;
}

// The line's code ends with a colon (a trailing comment aside).
bool ends_block_header(std::string_view rest) {
  rest = rest.substr(0, rest.find('#'));
  while (!rest.empty() && is_blank(rest.back())) rest.remove_suffix(1);
  return !rest.empty() && rest.back() == ':';
}

// A line that cannot continue an expression left open above it: a compound statement's header
// or an import (a ternary or a comprehension clause inside brackets does not end with a colon).
bool resumes_statements(std::string_view rest) {
  return (starts_compound(rest) && ends_block_header(rest)) || starts_keyword(rest, "import") ||
         (starts_keyword(rest, "from") && rest.find(" import ") != std::string_view::npos);
}

// Python's tokenizer, as far as line structure goes: strings (triple-quoted ones span lines;
// an unterminated one-line string ends with its line, as after a typo), comments, brackets
// and backslash continuations.
class LineScanner {
 public:
  explicit LineScanner(std::string_view s) : s_(s) {}

  // Whether the line starting here starts a logical line outside any string.
  bool at_statement_start() const { return quote_ == 0 && !continued_; }
  int depth() const { return depth_; }
  void reset_depth() { depth_ = 0; }

  // Walks source[from, line_end) (line_end at the '\n' or the end).
  void walk(uint32_t from, uint32_t line_end) {
    continued_ = false;
    bool escaped_newline = false;
    for (uint32_t i = from; i < line_end; ++i) {
      const char c = s_[i];
      if (quote_ != 0) {
        if (c == '\\') {
          escaped_newline = i + 1 >= line_end;
          ++i;
        } else if (c == quote_ && (!triple_ || (i + 2 < line_end && s_[i + 1] == c && s_[i + 2] == c))) {
          i += triple_ ? 2 : 0;
          quote_ = 0;
        }
        continue;
      }
      if (c == '#') break;
      if (c == '"' || c == '\'') {
        triple_ = i + 2 < line_end && s_[i + 1] == c && s_[i + 2] == c;
        quote_ = c;
        i += triple_ ? 2 : 0;
      } else if (c == '(' || c == '[' || c == '{') {
        ++depth_;
      } else if (c == ')' || c == ']' || c == '}') {
        depth_ = std::max(0, depth_ - 1);
      } else if (c == '\\' && i + 1 >= line_end) {
        continued_ = true;
      }
    }
    if (quote_ != 0 && !triple_ && !escaped_newline) quote_ = 0;
  }

 private:
  std::string_view s_;
  char quote_ = 0;
  bool triple_ = false;
  bool continued_ = false;
  int depth_ = 0;
};

uint32_t line_end_at(std::string_view s, uint32_t from, uint32_t to) {
  const size_t nl = s.find('\n', from);
  return nl == std::string_view::npos || nl > to ? to : static_cast<uint32_t>(nl);
}

// Whether source[from, to) holds anything but blank lines and comments.
bool has_code(std::string_view s, uint32_t from, uint32_t to) {
  bool in_comment = false;
  for (uint32_t i = from; i < to; ++i) {
    if (s[i] == '\n') in_comment = false;
    else if (s[i] == '#') in_comment = true;
    else if (!in_comment && !is_blank(s[i])) return true;
  }
  return false;
}

// The definition node of a parsed header: the last statement of the module, or of the wrapper
// class's body for a nested one; decorated definitions unwrapped.
TSNode parsed_definition(TSNode root, bool nested) {
  TSNode block = root;
  if (nested) {
    uint32_t n = ts_node_named_child_count(root);
    if (n == 0) return TSNode{};
    block = ts::field(ts_node_named_child(root, 0), "body");
  }
  uint32_t n = ts_node_named_child_count(block);
  if (n == 0) return TSNode{};
  TSNode last = ts_node_named_child(block, n - 1);
  if (ts::is(last, "decorated_definition")) last = ts::field(last, "definition");
  return last;
}

constexpr uint32_t kMaxHeaderLines = 64;
constexpr int kMaxTentativeCuts = 16;  // each try parses the rest of the piece
constexpr std::string_view kNestedPrefix = "class _:\n";

class Recovery {
 public:
  Recovery(TSParser* parser, std::string_view source) : parser_(parser), source_(source), text_(source) {}

  std::string take_text() { return std::move(text_); }
  std::vector<FilledBody> take_filled() { return std::move(filled_); }

  // Whether text_[from, to) parses on its own (inside a class body when `nested`).
  bool clean(uint32_t from, uint32_t to, bool nested) {
    if (!has_code(text_, from, to)) return true;  // nothing to repair
    TreePtr tree;
    if (nested) {
      std::string wrapped(kNestedPrefix);
      wrapped.append(text_, from, to - from);
      tree = parse_python(parser_, wrapped);
    } else {
      tree = parse_python(parser_, std::string_view(text_).substr(from, to - from));
    }
    return tree && !ts_node_has_error(ts_tree_root_node(tree.get()));
  }

  // Spaces for everything but line breaks.
  void blank(uint32_t from, uint32_t to) {
    for (uint32_t i = from; i < to; ++i)
      if (text_[i] != '\n' && text_[i] != '\r') text_[i] = ' ';
  }

  // A definition starting at `from` (decorators included) at `indent` bytes, ending before
  // `to`, that does not parse: keep its header and what parses of a class body, fill the rest.
  // A compound statement (`if ...:`) is repaired as a class is: definitions under it are kept.
  void repair_definition(uint32_t from, uint32_t to, uint32_t indent) {
    const bool nested = indent > 0;
    bool is_class = false;
    auto header_end = find_header_end(from, to, indent, is_class);
    if (!header_end) return blank(from, to);
    const size_t checkpoint = filled_.size();
    is_class |= starts_compound(std::string_view(source_).substr(from + indent, to - from - indent));
    if (is_class && repair_class_body(*header_end, to, indent) && clean(from, to, nested)) return;
    filled_.resize(checkpoint);
    if (!fill_lines(*header_end + 1, to, indent + 4) || !clean(from, to, nested)) {
      filled_.resize(checkpoint);
      blank(from, to);
    }
  }

 private:
  // Where the header of the definition at `from` ends (its last line's '\n'): the first line
  // such that the text up to it, followed by an indented statement, parses.
  std::optional<uint32_t> find_header_end(uint32_t from, uint32_t to, uint32_t indent, bool& is_class) {
    const bool nested = indent > 0;
    const std::string filler = std::string(indent + 4, ' ') + "0\n";
    uint32_t line_start = from;
    for (uint32_t lines = 0; line_start < to && lines < kMaxHeaderLines; ++lines) {
      const uint32_t line_end = line_end_at(text_, line_start, to);
      if (std::string_view(text_).substr(line_start, line_end - line_start).find(':') != std::string_view::npos) {
        std::string candidate(nested ? kNestedPrefix : std::string_view());
        candidate.append(text_, from, line_end - from);
        candidate += '\n';
        candidate += filler;
        TreePtr tree = parse_python(parser_, candidate);
        if (tree && !ts_node_has_error(ts_tree_root_node(tree.get()))) {
          is_class = ts::is(parsed_definition(ts_tree_root_node(tree.get()), nested), "class_definition");
          return line_end;
        }
      }
      line_start = line_end + 1;
    }
    return std::nullopt;
  }

  // Replaces the lines from `from` (a line start) up to `to` with `0` statements at
  // `body_indent` (lines too short for one are blanked). False if no line could hold one.
  bool fill_lines(uint32_t from, uint32_t to, uint32_t body_indent) {
    FilledBody filled;
    bool any = false;
    bool ended = false;
    for (uint32_t line_start = from; line_start < to;) {
      const uint32_t line_end = line_end_at(text_, line_start, to);
      uint32_t content_end = line_end;
      while (content_end > line_start && is_blank(source_[content_end - 1])) --content_end;
      const uint32_t row = row_of(line_start);
      const uint32_t first = line_start + indentation(source_, line_start, line_end);
      if (first < content_end && source_[first] != '#') {
        filled.true_end = Point{row, content_end - line_start};
        ended = true;
      }
      blank(line_start, line_end);
      if (content_end - line_start > body_indent) {
        text_[line_start + body_indent] = '0';
        if (!any) filled.first_line = row;
        filled.last_line = row;
        any = true;
      }
      line_start = line_end + 1;
    }
    if (any && ended) filled_.push_back(filled);
    return any;
  }

  // A broken class: its intact statements stay, broken definitions are repaired one by one at
  // the body's indentation, other broken statements are filled.
  bool repair_class_body(uint32_t header_end, uint32_t to, uint32_t indent) {
    const uint32_t body_start = header_end + 1;
    uint32_t body_indent = 0;
    for (uint32_t line_start = body_start; line_start < to;) {
      const uint32_t line_end = line_end_at(source_, line_start, to);
      if (has_code(source_, line_start, line_end)) {
        body_indent = indentation(source_, line_start, line_end);
        break;
      }
      line_start = line_end + 1;
    }
    if (body_indent <= indent || body_start >= to) return false;
    repair_block(statement_starts(source_, body_start, to, body_indent), body_start, to, body_indent);
    return true;
  }

 public:
  // Repairs each statement of a block (the module, a class body) that does not parse alone.
  // A broken one ends early at a tentative start after which the rest parses (`X = 1` after
  // a test whose `foo(` is unclosed).
  void repair_block(const std::vector<StatementStart>& all, uint32_t from, uint32_t to, uint32_t indent) {
    const bool nested = indent > 0;
    std::vector<StatementStart> statements;
    std::vector<uint32_t> tentative;
    for (const StatementStart& s : all) {
      if (s.tentative) tentative.push_back(s.byte);
      else statements.push_back(s);
    }
    const uint32_t first = statements.empty() ? to : statements.front().byte;
    if (!clean(from, first, nested)) fill_or_blank(from, first, indent);  // indented junk before any statement
    for (size_t i = 0; i < statements.size(); ++i) {
      const uint32_t start = statements[i].byte;
      uint32_t end = i + 1 < statements.size() ? statements[i + 1].byte : to;
      if (!touched(start, end) || clean(start, end, nested)) continue;
      auto inside = std::upper_bound(tentative.begin(), tentative.end(), start);
      for (int tries = 0; inside != tentative.end() && *inside < end && tries < kMaxTentativeCuts; ++inside, ++tries)
        if (clean(*inside, end, nested)) {
          end = *inside;
          break;
        }
      if (statements[i].definition || starts_compound(std::string_view(source_).substr(start + indent, end - start - indent)))
        repair_definition(start, end, indent);
      else
        fill_or_blank(start, end, indent);
    }
  }

  // Only pieces overlapping these byte ranges are looked at (the rest parsed in the file).
  void limit_to(std::vector<std::pair<uint32_t, uint32_t>> spans) { spans_ = std::move(spans); }

 private:
  bool touched(uint32_t from, uint32_t to) const {
    if (spans_.empty()) return true;
    for (const auto& [start, end] : spans_)
      if (start < to && from < end) return true;
    return false;
  }

  // A broken statement that defines nothing: `0` statements in a class body (which must keep
  // one), nothing at module level.
  void fill_or_blank(uint32_t from, uint32_t to, uint32_t indent) {
    if (indent == 0 || !fill_lines(from, to, indent)) blank(from, to);
  }

  uint32_t row_of(uint32_t byte) {
    // Rows are asked for in increasing order within a fill: count from the last answer.
    if (byte < row_byte_) row_byte_ = 0, row_ = 0;
    for (; row_byte_ < byte; ++row_byte_)
      if (source_[row_byte_] == '\n') ++row_;
    return row_;
  }

  TSParser* parser_;
  std::string_view source_;
  std::string text_;
  std::vector<FilledBody> filled_;
  std::vector<std::pair<uint32_t, uint32_t>> spans_;  // empty: everything
  uint32_t row_byte_ = 0;
  uint32_t row_ = 0;
};

// Where the broken tree has errors: its top-level statements holding one.
std::vector<std::pair<uint32_t, uint32_t>> error_spans(TSNode root) {
  std::vector<std::pair<uint32_t, uint32_t>> spans;
  for (uint32_t i = 0, n = ts_node_child_count(root); i < n; ++i) {
    TSNode child = ts_node_child(root, i);
    if (ts_node_has_error(child) || ts::is(child, "ERROR"))
      spans.emplace_back(ts_node_start_byte(child), std::max(ts_node_end_byte(child), ts_node_start_byte(child) + 1));
  }
  if (ts::is(root, "ERROR")) spans.clear();  // everything
  return spans;
}

}  // namespace

std::vector<StatementStart> statement_starts(std::string_view source, uint32_t from, uint32_t to, uint32_t indent) {
  std::vector<StatementStart> starts;
  to = std::min<uint32_t>(to, static_cast<uint32_t>(source.size()));
  LineScanner scanner(source);
  bool after_decorator = false;  // the last statement at `indent` was a decorator
  for (uint32_t line_start = from; line_start < to;) {
    const uint32_t line_end = line_end_at(source, line_start, to);
    uint32_t content = line_start;
    if (scanner.at_statement_start()) {
      const uint32_t ws = indentation(source, line_start, line_end);
      content = line_start + ws;
      const std::string_view rest = source.substr(content, line_end - content);
      const bool code = has_code(source, content, line_end);
      if (code && ws == indent && (rest.front() == '@' || starts_definition(rest))) {
        // A fresh statement, whatever brackets were left open before it.
        scanner.reset_depth();
        if (!after_decorator) starts.push_back({line_start, true});
        after_decorator = rest.front() == '@';
      } else if (code && (scanner.depth() == 0 || (ws == indent && resumes_statements(rest)))) {
        scanner.reset_depth();
        if (ws == indent && !continues_statement(rest)) starts.push_back({line_start, false});
        after_decorator = false;
      } else if (code && ws == indent && !continues_statement(rest)) {
        starts.push_back({line_start, false, true});
      }
    }
    scanner.walk(content, line_end);
    line_start = line_end + 1;
  }
  return starts;
}

std::optional<RecoveredSource> recover_structure(TSParser* parser, std::string_view source, const TSTree* broken) {
  if (!broken || source.size() >= UINT32_MAX) return std::nullopt;
  const uint32_t size = static_cast<uint32_t>(source.size());
  Recovery recovery(parser, source);
  recovery.limit_to(error_spans(ts_tree_root_node(broken)));
  recovery.repair_block(statement_starts(source, 0, size, 0), 0, size, 0);
  RecoveredSource out;
  out.text = recovery.take_text();
  out.filled = recovery.take_filled();
  out.tree = parse_python(parser, out.text);
  if (!out.tree || ts_node_has_error(ts_tree_root_node(out.tree.get()))) return std::nullopt;
  return out;
}

ModuleResult discover_module_recovering(TSParser* parser, const TSTree* tree, std::string_view source,
                                        std::string_view module_path, const CollectRules& rules,
                                        const SourceKeywords* keywords) {
  if (!tree || !ts_node_has_error(ts_tree_root_node(tree))) return discover_module(tree, source, module_path, rules, {}, keywords);
  std::optional<RecoveredSource> recovered = recover_structure(parser, source, tree);
  if (!recovered) return discover_module(tree, source, module_path, rules, {}, keywords);
  ModuleResult result = discover_module(recovered->tree.get(), recovered->text, module_path, rules);
  TSNode root = ts_tree_root_node(tree);
  result.diagnostics = syntax_errors(root, module_path);
  result.has_syntax_error = true;
  for (TestItem& item : result.items) {
    if (item.kind == ItemKind::Module) {
      item.range = ts::range_of(root);
      continue;
    }
    for (const FilledBody& filled : recovered->filled)
      if (item.range.end.line >= filled.first_line && item.range.end.line <= filled.last_line)
        item.range.end = filled.true_end;
  }
  return result;
}

}  // namespace fastest
