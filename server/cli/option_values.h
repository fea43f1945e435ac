// pytest and plugin options written with a separate value (`--cov src`, `--log-level INFO`):
// CLI11 passes an option it does not know on to pytest but takes the next word for a path.
// Which options take a value is pytest's parser's to say (plugins and conftests add their own),
// so the interpreter is asked (`fastest_worker.option_values`) when such a pair is written.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace fastest::cli {

// The process's own arguments, kept by main() (CLI11 does not keep their order).
void set_command_line(int argc, char** argv);
const std::vector<std::string>& command_line();

// Moves each value that follows an unknown option in the command line, and that pytest's parser
// says the option takes, from `paths` into its option's word in `extras` (`--opt=value`). `pytest_args`:
// options that load plugins (-p), for the parser to know theirs. False (and `error`) when
// pytest could not be asked.
bool reattach_option_values(std::vector<std::string>& extras, std::vector<std::string>& paths,
                            const std::optional<std::string>& python, const std::vector<std::string>& pytest_args,
                            std::string* error);

}  // namespace fastest::cli
