#include "server/workspace/ini_long_lines.h"

#include <cstdlib>

namespace fastest {
namespace {

constexpr size_t kLongLine = 150;  // well under inih's 200 bytes, newline and terminator included
constexpr char kPlaceholder = '\x01';

std::string_view strip(std::string_view s) {
  const char* blank = " \t\r\n\f\v";
  size_t first = s.find_first_not_of(blank);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(blank) - first + 1);
}

// Whether the stripped line is a section header (`[name]`); its name then goes to `name`.
bool section_header(std::string_view stripped, std::string& name) {
  if (stripped.empty() || stripped.front() != '[') return false;
  size_t close = stripped.find(']');
  if (close == std::string_view::npos) return false;
  name = std::string(stripped.substr(1, close - 1));
  return true;
}

}  // namespace

ShortenedIni shorten_long_ini_lines(std::string_view text, std::string_view section) {
  ShortenedIni out;
  out.text.reserve(text.size());
  std::string current;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    size_t next = end == std::string_view::npos ? text.size() : end + 1;
    std::string_view line = text.substr(start, next - start);
    std::string_view stripped = strip(line);
    start = next;
    section_header(stripped, current);
    if (line.size() < kLongLine) {
      out.text.append(line);
      continue;
    }
    const bool newline = !line.empty() && line.back() == '\n';
    const bool comment = !stripped.empty() && (stripped.front() == '#' || stripped.front() == ';');
    const bool continuation = line.front() == ' ' || line.front() == '\t';
    size_t separator = line.find_first_of("=:");
    std::string placeholder = std::string(1, kPlaceholder) + std::to_string(out.long_values.size());
    if (comment || current != section) {
      // Blanked: nothing in it is read.
    } else if (continuation) {
      out.long_values.emplace_back(stripped);
      out.text += " " + placeholder;
    } else if (separator != std::string_view::npos) {
      out.long_values.emplace_back(strip(line.substr(separator + 1)));
      out.text.append(line.substr(0, separator + 1));
      out.text += " " + placeholder;
    } else {
      out.text.append(line.substr(0, line.size() - (newline ? 1 : 0)));  // inih reports it, as iniconfig would
    }
    if (newline) out.text += '\n';
  }
  return out;
}

std::string restore_long_ini_value(const char* value, const std::vector<std::string>& long_values) {
  if (!value) return {};
  if (value[0] != kPlaceholder) return value;
  size_t index = std::strtoul(value + 1, nullptr, 10);
  return index < long_values.size() ? long_values[index] : std::string();
}

}  // namespace fastest
