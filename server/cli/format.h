// pytest's terminal formatting pieces shared by `discover` and `run`.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace fastest::cli {

// "0.02s" as pytest prints durations in its closing line.
std::string format_seconds(double seconds);
// "==== title ====" centred in pytest's 80 columns.
std::string banner(const std::string& title, char fill, size_t width = 80);
// "3 tests collected in 0.01s", "2/5 tests collected (3 deselected) in ...", "no tests collected ...".
std::string collected_line(size_t selected, size_t deselected, size_t errors, double seconds);
// The same with pytest's colours (its terminal writer's markup, terminal_markup.h), when `markup`.
std::string collected_line(size_t selected, size_t deselected, size_t errors, double seconds, bool markup);

// pytest's width for its short test summary when stdout is not a terminal.
constexpr size_t kTerminalWidth = 80;

// The short test summary's sections, in order, from -r's characters (pytest's getreportopt:
// `a` is "sxXEf", `A` "PpsxXEf", `N` none; `F`/`S` are old spellings of `f`/`s`).
std::string report_sections(const std::string& reportchars);

// pytest's running_on_ci(): $CI or $BUILD_NUMBER set and not empty.
bool running_on_ci();

// pytest's `FAILED id - reason` / `ERROR path - reason` line: the reason's first line trimmed
// to the width with "...", or the whole reason, every line of it, when `whole_reason` (pytest
// does so on CI and with -vv, unless --force-short-summary).
std::string summary_line(const std::string& word_and_id, const std::string& reason, bool whole_reason,
                         size_t width = kTerminalWidth);

// Where a skip was raised, as pytest reports it: path (absolute or relative to the
// invocation dir), 1-based line (none when pytest folds a skip mark per file), reason.
struct SkipPlace {
  std::string path;
  std::optional<int> line;
  std::string reason;
};
// pytest's `SKIPPED [n] path:line: reason` lines: skips at the same place for the same reason
// folded into one, paths relative to the invocation directory (pytest's bestrelpath).
std::vector<std::string> skipped_lines(const std::vector<SkipPlace>& skips);

}  // namespace fastest::cli
