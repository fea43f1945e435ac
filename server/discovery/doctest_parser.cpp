// Mirrors doctest.DocTestParser.parse/_parse_example (CPython 3.8-3.13): expandtabs, strip the
// common indent, match _EXAMPLE_RE line by line, then the checks that raise ValueError
// (_check_prompt_blank, _check_prefix, _find_options).
#include "server/discovery/doctest_parser.h"

#include <algorithm>
#include <set>
#include <vector>

namespace fastest {
namespace {

std::string expand_tabs(std::string_view text) {
  std::string out;
  size_t column = 0;
  for (char c : text) {
    if (c == '\t') {
      size_t spaces = 8 - column % 8;
      out.append(spaces, ' ');
      column += spaces;
    } else {
      out.push_back(c);
      column = (c == '\n' || c == '\r') ? 0 : column + 1;
    }
  }
  return out;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (true) {
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos) {
      lines.push_back(text.substr(start));
      return lines;
    }
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
}

size_t leading_spaces(std::string_view line) {
  size_t n = 0;
  while (n < line.size() && line[n] == ' ') ++n;
  return n;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

// _INDENT_RE: the smallest run of leading spaces before a non-space character.
size_t min_indent(const std::vector<std::string>& lines) {
  size_t best = std::string::npos;
  for (const std::string& line : lines) {
    size_t n = leading_spaces(line);
    if (n < line.size() && !is_space(line[n])) best = std::min(best, n);
  }
  return best == std::string::npos ? 0 : best;
}

bool starts_with_prompt(std::string_view line, std::string_view prompt) {
  size_t n = leading_spaces(line);
  return line.substr(n, prompt.size()) == prompt;
}

bool blank_line(std::string_view line) { return leading_spaces(line) == line.size(); }

// _IS_BLANK_OR_COMMENT: `^[ ]*(#.*)?$` matched (not searched) against the whole source.
bool blank_or_comment(std::string source) {
  if (!source.empty() && source.back() == '\n') source.pop_back();
  if (source.find('\n') != std::string::npos) return false;
  size_t n = leading_spaces(source);
  return n == source.size() || source[n] == '#';
}

const std::set<std::string>& option_names() {
  // doctest's OPTIONFLAGS_BY_NAME plus the flags pytest registers.
  static const std::set<std::string> names{
      "DONT_ACCEPT_TRUE_FOR_1", "DONT_ACCEPT_BLANKLINE", "NORMALIZE_WHITESPACE", "ELLIPSIS", "SKIP",
      "IGNORE_EXCEPTION_DETAIL", "REPORT_UDIFF", "REPORT_CDIFF", "REPORT_NDIFF",
      "REPORT_ONLY_FIRST_FAILURE", "FAIL_FAST", "ALLOW_UNICODE", "ALLOW_BYTES", "NUMBER"};
  return names;
}

// _OPTION_DIRECTIVE_RE `#\s*doctest:\s*([^\n'"]*)$` over each source line; returns false on
// an invalid option, sets `any` when a directive names options.
bool check_options(const std::vector<std::string>& source_lines, bool& any) {
  for (const std::string& line : source_lines) {
    for (size_t hash = line.find('#'); hash != std::string::npos; hash = line.find('#', hash + 1)) {
      size_t p = hash + 1;
      while (p < line.size() && is_space(line[p])) ++p;
      if (line.compare(p, 8, "doctest:") != 0) continue;
      p += 8;
      std::string rest = line.substr(p);
      if (rest.find_first_of("'\"") != std::string::npos) continue;
      std::replace(rest.begin(), rest.end(), ',', ' ');
      size_t i = 0;
      while (i < rest.size()) {
        while (i < rest.size() && is_space(rest[i])) ++i;
        size_t j = i;
        while (j < rest.size() && !is_space(rest[j])) ++j;
        if (j > i) {
          std::string option = rest.substr(i, j - i);
          if ((option[0] != '+' && option[0] != '-') || !option_names().count(option.substr(1))) return false;
          any = true;
        }
        i = j;
      }
      break;  // the regex matches at most once per line
    }
  }
  return true;
}

}  // namespace

DoctestScan scan_doctest(std::string_view raw) {
  DoctestScan scan;
  std::vector<std::string> lines = split_lines(expand_tabs(raw));
  if (size_t indent = min_indent(lines); indent > 0)
    for (std::string& line : lines) line = line.size() > indent ? line.substr(indent) : std::string();

  for (size_t i = 0; i < lines.size();) {
    if (!starts_with_prompt(lines[i], ">>>")) {
      ++i;
      continue;
    }
    size_t indent = leading_spaces(lines[i]);
    size_t end = i + 1;
    while (end < lines.size() && starts_with_prompt(lines[end], "...")) ++end;
    std::vector<std::string> source_lines(lines.begin() + i, lines.begin() + end);
    size_t want_end = end;
    while (want_end < lines.size() && !blank_line(lines[want_end]) && !starts_with_prompt(lines[want_end], ">>>"))
      ++want_end;

    for (const std::string& line : source_lines)
      if (line.size() >= indent + 4 && line[indent + 3] != ' ') {
        scan.error = "a line lacks a blank after the prompt: '" + line.substr(indent) + "'";
        return scan;
      }
    std::string ps2_prefix = std::string(indent, ' ') + ".";
    for (size_t k = 1; k < source_lines.size(); ++k)
      if (!source_lines[k].empty() && source_lines[k].rfind(ps2_prefix, 0) != 0) {
        scan.error = "inconsistent leading whitespace: '" + source_lines[k] + "'";
        return scan;
      }
    std::string want_prefix(indent, ' ');
    for (size_t k = end; k < want_end; ++k)
      if (lines[k].rfind(want_prefix, 0) != 0) {
        scan.error = "inconsistent leading whitespace: '" + lines[k] + "'";
        return scan;
      }

    std::vector<std::string> stripped;
    std::string source;
    for (size_t k = 0; k < source_lines.size(); ++k) {
      std::string s = source_lines[k].size() > indent + 4 ? source_lines[k].substr(indent + 4) : std::string();
      stripped.push_back(s);
      source += (k ? "\n" : "") + s;
    }
    bool has_options = false;
    if (!check_options(stripped, has_options)) {
      scan.error = "invalid doctest option directive";
      return scan;
    }
    bool empty = blank_or_comment(source);
    if (has_options && empty) {
      scan.error = "an option directive on a line with no example";
      return scan;
    }
    if (!empty) scan.has_examples = true;
    i = want_end;
  }
  return scan;
}

}  // namespace fastest
