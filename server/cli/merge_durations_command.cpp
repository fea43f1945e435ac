// `fastest merge-durations OUT BASE IN...`: the duration histories of a sharded run's jobs, each
// BASE plus what its shard ran, joined into one for the next run (docs/sharding.md).
#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>

#include "server/cli/commands.h"
#include "server/execution/duration_history.h"

namespace fastest::cli {
namespace {

struct MergeDurationsArgs {
  std::string output, base;
  std::vector<std::string> inputs;
};

// A missing file is an empty history; an unreadable or corrupt one is an error here (a merge
// that silently dropped a shard's history would unbalance the next run).
bool read_history(const std::string& path, Durations& out) {
  DurationHistory history(path);
  std::string warning;
  history.load(&warning);
  if (!warning.empty()) {
    std::cerr << "ERROR: " << warning << "\n";
    return false;
  }
  out = history.durations();
  return true;
}

int merge_durations(const MergeDurationsArgs& args) {
  Durations base;
  if (!read_history(args.base, base)) return 4;
  std::vector<Durations> shards(args.inputs.size());
  for (size_t i = 0; i < args.inputs.size(); ++i)
    if (!read_history(args.inputs[i], shards[i])) return 4;
  std::string why;
  if (!write_durations(args.output, merge_shard_durations(base, shards), &why)) {
    std::cerr << "ERROR: cannot write " << args.output << ": " << why << "\n";
    return 1;
  }
  return 0;
}

}  // namespace

void add_merge_durations_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<MergeDurationsArgs>();
  auto* cmd = app.add_subcommand("merge-durations",
                                 "Join the duration histories of sharded runs that started from BASE into one");
  cmd->add_option("output", args->output, "The history to write")->required();
  cmd->add_option("base", args->base, "The history every shard started from (a missing file is empty)")->required();
  cmd->add_option("inputs", args->inputs, "The shards' histories (--durations-path files)")->required()->expected(1, -1);
  cmd->callback([args, &exit_code] { exit_code = merge_durations(*args); });
}

}  // namespace fastest::cli
