#include "server/cli/format.h"

#include <cstdio>

namespace fastest::cli {

std::string format_seconds(double seconds) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2fs", seconds);
  return buf;
}

std::string banner(const std::string& title, char fill, size_t width) {
  std::string text = " " + title + " ";
  if (text.size() + 2 >= width) return std::string(2, fill) + text + std::string(2, fill);
  size_t left = (width - text.size()) / 2;
  size_t right = width - text.size() - left;
  return std::string(left, fill) + text + std::string(right, fill);
}

std::string collected_line(size_t selected, size_t deselected, size_t errors, double seconds) {
  std::string line;
  size_t total = selected + deselected;
  if (selected == 0 && errors == 0) {
    line = "no tests collected";
    if (deselected) line += " (" + std::to_string(deselected) + " deselected)";
  } else {
    if (deselected) line = std::to_string(selected) + "/" + std::to_string(total) + (total == 1 ? " test" : " tests") + " collected";
    else line = std::to_string(selected) + (selected == 1 ? " test" : " tests") + " collected";
    if (deselected) line += " (" + std::to_string(deselected) + " deselected)";
    if (errors) line += ", " + std::to_string(errors) + (errors == 1 ? " error" : " errors");
  }
  return line + " in " + format_seconds(seconds);
}

}  // namespace fastest::cli
