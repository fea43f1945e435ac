// pytest's terminal colours: whether it writes them (`--color`, PY_COLORS, NO_COLOR, FORCE_COLOR,
// a terminal) and its escape sequences (TerminalWriter.markup). Projects put `--color=yes` in
// addopts (python-slugify, wcwidth): pytest then colours its output even into a pipe.
#pragma once

#include <string>

namespace fastest::cli {

enum class Colour { Red = 31, Green = 32, Yellow = 33 };

// pytest's create_terminal_writer: `--color=yes`/`no` decide; `auto` is should_do_markup(stdout).
bool pytest_colours_stdout(const std::string& color_option);

// TerminalWriter.markup(text, colour=True): the escape, the text, the reset.
std::string painted(const std::string& text, Colour colour);

}  // namespace fastest::cli
