#include "server/cli/format.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "server/cli/terminal_markup.h"

namespace fastest::cli {

std::string format_seconds(double seconds) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2fs", seconds);
  return buf;
}

std::string banner(const std::string& title, char fill, size_t width) {
  // pytest's TerminalWriter.sep: at least one fill character each side, one more on the right
  // when it still fits.
  size_t title_width = 0;
  for (unsigned char ch : title) title_width += (ch & 0xC0) != 0x80;
  size_t n = width > title_width + 2 ? std::max<size_t>((width - title_width - 2) / 2, 1) : 1;
  std::string line = std::string(n, fill) + " " + title + " " + std::string(n, fill);
  if (2 * n + title_width + 2 + 1 <= width) line += fill;
  return line;
}

std::string collected_line(size_t selected, size_t deselected, size_t errors, double seconds) {
  return collected_line(selected, deselected, errors, seconds, false);
}

std::string collected_line(size_t selected, size_t deselected, size_t errors, double seconds, bool markup) {
  // pytest's _build_collect_only_summary_stats_line: the error count follows every form; each
  // part in its colour, then the duration and the whole line in the main colour (summary_stats).
  auto paint = [markup](const std::string& text, Colour colour) { return markup ? painted(text, colour) : text; };
  std::string line;
  Colour main = Colour::Green;
  size_t total = selected + deselected;
  if (total == 0 || selected == 0) main = Colour::Yellow;
  if (total == 0) line = "no tests collected";
  else if (deselected == 0) line = std::to_string(selected) + (selected == 1 ? " test" : " tests") + " collected";
  else if (selected == 0) line = "no tests collected (" + std::to_string(deselected) + " deselected)";
  else line = std::to_string(selected) + "/" + std::to_string(total) + " tests collected (" + std::to_string(deselected) + " deselected)";
  line = paint(line, main);
  if (errors) {
    main = Colour::Red;
    line += ", " + paint(std::to_string(errors) + (errors == 1 ? " error" : " errors"), main);
  }
  return paint(line + paint(" in " + format_seconds(seconds), main), main);
}

std::string report_sections(const std::string& reportchars) {
  std::string sections;
  for (char ch : reportchars) {
    if (ch == 'F' || ch == 'S') ch = static_cast<char>(ch - 'A' + 'a');
    if (ch == 'a') sections = "sxXEf";
    else if (ch == 'A') sections = "PpsxXEf";
    else if (ch == 'N') sections.clear();
    else if (sections.find(ch) == std::string::npos) sections += ch;
  }
  return sections;
}

bool running_on_ci() {
  auto set = [](const char* name) { const char* v = std::getenv(name); return v && *v; };
  return set("CI") || set("BUILD_NUMBER");
}

std::string summary_line(const std::string& word_and_id, const std::string& full_reason, bool whole_reason,
                         size_t width) {
  std::string line = word_and_id;
  if (full_reason.empty()) return line;
  if (whole_reason) return line + " - " + full_reason;
  std::string reason = full_reason.substr(0, full_reason.find('\n'));
  auto columns = [](const std::string& text) {
    size_t n = 0;
    for (unsigned char ch : text) n += (ch & 0xC0) != 0x80;
    return n;
  };
  const size_t format_width = 3, ellipsis = 3;
  size_t available = width > columns(line) ? width - columns(line) : 0;
  if (format_width + ellipsis > available) return line;
  if (format_width + columns(reason) > available) {
    available -= ellipsis;
    while (format_width + columns(reason) > available) {
      reason.pop_back();
      while (!reason.empty() && (static_cast<unsigned char>(reason.back()) & 0xC0) == 0x80) reason.pop_back();
      if (!reason.empty() && (static_cast<unsigned char>(reason.back()) & 0xC0) == 0xC0) reason.pop_back();
    }
    reason += "...";
  }
  return line + " - " + reason;
}

std::vector<std::string> skipped_lines(const std::vector<SkipPlace>& skips) {
  struct Folded { std::string path; std::optional<int> line; std::string reason; size_t count; };
  std::vector<Folded> folded;
  const std::filesystem::path here = std::filesystem::current_path();
  for (const SkipPlace& skip : skips) {
    std::filesystem::path full(skip.path);
    std::string path = skip.path;
    if (full.is_absolute()) {
      std::filesystem::path rel = full.lexically_normal().lexically_relative(here);
      if (!rel.empty()) path = rel.string();
    }
    std::string reason = skip.reason.rfind("Skipped: ", 0) == 0 ? skip.reason.substr(9) : skip.reason;
    auto same = std::find_if(folded.begin(), folded.end(), [&](const Folded& f) {
      return f.path == path && f.line == skip.line && f.reason == reason;
    });
    if (same != folded.end()) ++same->count;
    else folded.push_back({path, skip.line, reason, 1});
  }
  std::vector<std::string> lines;
  for (const Folded& f : folded)
    lines.push_back("SKIPPED [" + std::to_string(f.count) + "] " + f.path +
                    (f.line ? ":" + std::to_string(*f.line) : "") + ": " + f.reason);
  return lines;
}

}  // namespace fastest::cli
