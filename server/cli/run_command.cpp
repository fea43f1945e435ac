// Placeholder until the run command lands; replaced by its real implementation.
#include <CLI/CLI.hpp>
#include <iostream>

#include "server/cli/commands.h"

namespace fastest::cli {

void add_run_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("run", "not implemented yet");
  cmd->allow_extras();
  cmd->callback([&exit_code] {
    std::cerr << "fastest run: not implemented yet\n";
    exit_code = 4;
  });
}

}  // namespace fastest::cli
