#include "server/cli/terminal_markup.h"

#include <unistd.h>

#include <cstdlib>
#include <string_view>

namespace fastest::cli {
namespace {

std::string_view env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

}  // namespace

bool pytest_colours_stdout(const std::string& color_option) {
  if (color_option == "yes") return true;
  if (color_option == "no") return false;
  // _pytest._io.terminalwriter.should_do_markup, in its order.
  if (env("PY_COLORS") == "1") return true;
  if (env("PY_COLORS") == "0") return false;
  if (!env("NO_COLOR").empty()) return false;
  if (!env("FORCE_COLOR").empty()) return true;
  return isatty(STDOUT_FILENO) && env("TERM") != "dumb";
}

std::string painted(const std::string& text, Colour colour) {
  return "\x1b[" + std::to_string(static_cast<int>(colour)) + "m" + text + "\x1b[0m";
}

}  // namespace fastest::cli
