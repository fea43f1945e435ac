// pytest's terminal formatting pieces shared by `discover` and `run`.
#pragma once

#include <cstddef>
#include <string>

namespace fastest::cli {

// "0.02s" as pytest prints durations in its closing line.
std::string format_seconds(double seconds);
// "==== title ====" centred in pytest's 80 columns.
std::string banner(const std::string& title, char fill, size_t width = 80);
// "3 tests collected in 0.01s", "2/5 tests collected (3 deselected) in ...", "no tests collected ...".
std::string collected_line(size_t selected, size_t deselected, size_t errors, double seconds);

}  // namespace fastest::cli
