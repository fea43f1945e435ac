#include "server/workspace/toml_guard.h"

namespace fastest {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t'; }
bool is_non_ascii(char c) { return static_cast<unsigned char>(c) >= 0x80; }

// A quote opens a string only where TOML has a key or a value start: at a line's start or after
// `=`, `[`, `,`, `{` or `.` (blanks between). Elsewhere (`0"é`) toml++ reads it as part of a bare
// value and classifies each character, so what follows is not string text.
bool string_may_start(std::string_view toml, size_t i) {
  while (i > 0 && is_blank(toml[i - 1])) --i;
  if (i == 0 || toml[i - 1] == '\n' || toml[i - 1] == '\r') return true;
  const char before = toml[i - 1];
  return before == '=' || before == '[' || before == ',' || before == '{' || before == '.';
}

bool triple(std::string_view toml, size_t i, char quote) {
  return i + 2 < toml.size() && toml[i] == quote && toml[i + 1] == quote && toml[i + 2] == quote;
}

}  // namespace

std::optional<size_t> non_ascii_outside_strings(std::string_view toml) {
  enum class State { Normal, Comment, Basic, Literal, MultilineBasic, MultilineLiteral } state = State::Normal;
  size_t line = 1;
  for (size_t i = 0; i < toml.size(); ++i) {
    const char c = toml[i];
    if (c == '\n') {
      ++line;
      // A comment or single-line string ends here (an unterminated one is toml++'s error to report).
      if (state == State::Comment || state == State::Basic || state == State::Literal) state = State::Normal;
      continue;
    }
    switch (state) {
      case State::Normal:
        if (is_non_ascii(c)) return line;
        if (c == '#') {
          state = State::Comment;
        } else if ((c == '"' || c == '\'') && string_may_start(toml, i)) {
          const bool multiline = triple(toml, i, c);
          state = c == '"' ? (multiline ? State::MultilineBasic : State::Basic)
                           : (multiline ? State::MultilineLiteral : State::Literal);
          if (multiline) i += 2;
        }
        break;
      case State::Comment:
        break;
      case State::Basic:
        if (c == '\\') ++i;
        else if (c == '"') state = State::Normal;
        break;
      case State::Literal:
        if (c == '\'') state = State::Normal;
        break;
      case State::MultilineBasic:
      case State::MultilineLiteral: {
        const char quote = state == State::MultilineBasic ? '"' : '\'';
        if (quote == '"' && c == '\\') {
          // A line-ending backslash: toml++ skips the blank space after it with the faulty
          // classifier, so the first character after that space must be ASCII.
          size_t next = i + 1;
          bool newline = false;
          while (next < toml.size() && (is_blank(toml[next]) || toml[next] == '\r' || toml[next] == '\n')) {
            if (toml[next] == '\n') {
              newline = true;
              ++line;
            }
            ++next;
          }
          if (newline && next < toml.size() && is_non_ascii(toml[next])) return line;
          i = newline ? next - 1 : i + 1;
        } else if (triple(toml, i, quote)) {
          while (i + 3 < toml.size() && toml[i + 3] == quote) ++i;  // quotes just before the closing ones
          i += 2;
          state = State::Normal;
        }
        break;
      }
    }
  }
  return std::nullopt;
}

}  // namespace fastest
