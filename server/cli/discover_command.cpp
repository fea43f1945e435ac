// Placeholder until the discover command lands; replaced by its real implementation.
#include <CLI/CLI.hpp>
#include <iostream>

#include "server/cli/commands.h"

namespace fastest::cli {

void add_discover_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("discover", "not implemented yet");
  cmd->allow_extras();
  cmd->callback([&exit_code] {
    std::cerr << "fastest discover: not implemented yet\n";
    exit_code = 4;
  });
}

}  // namespace fastest::cli
