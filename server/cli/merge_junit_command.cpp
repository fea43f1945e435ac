// `fastest merge-junit OUT IN...`: joins the JUnit XML reports of a sharded run's jobs
// (server/cli/junit_merge.h says how).
#include <CLI/CLI.hpp>

#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "server/cli/commands.h"
#include "server/cli/junit_merge.h"

namespace fastest::cli {
namespace {

struct MergeArgs {
  std::string output;
  std::vector<std::string> inputs;
};

int merge_junit(const MergeArgs& args) {
  std::vector<JunitInput> inputs;
  for (const std::string& path : args.inputs) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    if (in) text << in.rdbuf();
    if (!in) {
      std::cerr << "ERROR: cannot read " << path << "\n";
      return 4;
    }
    inputs.push_back({path, text.str()});
  }
  std::string error;
  std::optional<std::string> merged = merge_junit_xml(inputs, &error);
  if (!merged) {
    std::cerr << "ERROR: " << error << "\n";
    return 4;
  }
  std::ofstream out(args.output, std::ios::binary | std::ios::trunc);
  out << *merged;
  out.close();
  if (!out) {
    std::cerr << "ERROR: cannot write " << args.output << "\n";
    return 1;
  }
  return 0;
}

}  // namespace

void add_merge_junit_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<MergeArgs>();
  auto* cmd = app.add_subcommand("merge-junit", "Join the JUnit XML reports of sharded runs into one (summed counts)");
  cmd->add_option("output", args->output, "The merged report to write")->required();
  cmd->add_option("inputs", args->inputs, "The shards' reports, in order")->required()->expected(1, -1);
  cmd->callback([args, &exit_code] { exit_code = merge_junit(*args); });
}

}  // namespace fastest::cli
