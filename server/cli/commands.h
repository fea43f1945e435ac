// Each `fastest` subcommand registers itself on the CLI11 app. When the subcommand
// is chosen, its callback runs the command and stores the process exit code.
#pragma once

namespace CLI { class App; }

namespace fastest::cli {

void add_discover_command(CLI::App& app, int& exit_code);
void add_run_command(CLI::App& app, int& exit_code);
void add_lsp_command(CLI::App& app, int& exit_code);
void add_merge_junit_command(CLI::App& app, int& exit_code);
void add_merge_durations_command(CLI::App& app, int& exit_code);

}  // namespace fastest::cli
