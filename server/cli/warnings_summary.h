// pytest's warnings summary section, shared by `fastest run` and `fastest discover` (whose
// settle step's pytest may warn while collecting).
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace fastest::cli {

// Warnings as (location, message), in pytest's order: grouped by message, each under its
// locations (ten or more are counted per file instead). Prints nothing when there are none.
void print_warnings_summary(const std::vector<std::pair<std::string, std::string>>& warnings);

}  // namespace fastest::cli
