#include "server/workspace/toml_guard.h"

namespace fastest {

std::optional<size_t> non_ascii_outside_strings(std::string_view toml) {
  enum class State { Normal, Comment, Basic, Literal, MultilineBasic, MultilineLiteral } state = State::Normal;
  size_t line = 1;
  auto triple = [&](size_t i, char quote) { return toml.substr(i, 3) == std::string_view(quote == '"' ? "\"\"\"" : "'''"); };
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
        if (static_cast<unsigned char>(c) >= 0x80) return line;
        if (c == '#') state = State::Comment;
        else if (c == '"' || c == '\'') {
          const bool multiline = triple(i, c);
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
          if (i + 1 < toml.size() && toml[i + 1] == '\n') ++line;
          ++i;
        } else if (triple(i, quote)) {
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
