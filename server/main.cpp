// `fastest lsp | discover | run`: one engine, three front ends (and `merge-junit`, `merge-durations` for CI shards).
#include <CLI/CLI.hpp>

#include "server/cli/commands.h"
#include "server/cli/option_values.h"

int main(int argc, char** argv) {
  CLI::App app{"fastest: static pytest discovery and warm test runs, for editors and terminals"};
  app.require_subcommand(1);
  int exit_code = 0;
  fastest::cli::set_command_line(argc, argv);
  fastest::cli::add_discover_command(app, exit_code);
  fastest::cli::add_run_command(app, exit_code);
  fastest::cli::add_lsp_command(app, exit_code);
  fastest::cli::add_merge_junit_command(app, exit_code);
  fastest::cli::add_merge_durations_command(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    // pytest's usage-error exit code is 4; keep --help at 0.
    return rc == 0 ? 0 : 4;
  }
  return exit_code;
}
