#include "server/cli/option_values.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include <nlohmann/json.hpp>

#include "server/execution/python_module_process.h"
#include "server/workspace/interpreter.h"

namespace fastest::cli {
namespace {

std::vector<std::string>& stored_command_line() {
  static std::vector<std::string> args;
  return args;
}

// pytest's parser's value-taking options, from the interpreter that runs the tests.
std::optional<std::set<std::string>> value_options(const std::optional<std::string>& python,
                                                   const std::vector<std::string>& pytest_args, std::string* error) {
  const std::filesystem::path cwd = std::filesystem::current_path();
  auto interpreter = find_interpreter(cwd, python);
  if (!interpreter) {
    *error = "no Python interpreter found";
    return std::nullopt;
  }
  std::vector<std::string> args{"-p", "no:cacheprovider"};
  args.insert(args.end(), pytest_args.begin(), pytest_args.end());
  auto process = PythonModuleProcess::start(interpreter->executable, "fastest_worker.option_values", args, cwd, {}, error);
  if (!process) return std::nullopt;
  PythonModuleOutput output = process->wait();
  nlohmann::json names = nlohmann::json::parse(output.out, nullptr, false);
  if (output.exit_code != 0 || !names.is_array()) {
    *error = "pytest could not list its options: " + output.err.substr(0, output.err.find('\n'));
    return std::nullopt;
  }
  std::set<std::string> out;
  for (const auto& name : names)
    if (name.is_string()) out.insert(name.get<std::string>());
  return out;
}

}  // namespace

void set_command_line(int argc, char** argv) { stored_command_line().assign(argv, argv + argc); }
const std::vector<std::string>& command_line() { return stored_command_line(); }

bool reattach_option_values(std::vector<std::string>& extras, std::vector<std::string>& paths,
                            const std::optional<std::string>& python, const std::vector<std::string>& pytest_args,
                            std::string* error) {
  // Each unknown option without '=' whose next word on the command line became a path.
  struct Candidate {
    size_t extra;
    std::string value;
  };
  std::vector<Candidate> candidates;
  const std::vector<std::string>& argv = command_line();
  size_t cursor = 0;
  for (size_t i = 0; i < extras.size(); ++i) {
    const std::string& option = extras[i];
    auto at = std::find(argv.begin() + std::min(cursor, argv.size()), argv.end(), option);
    if (at == argv.end()) continue;
    cursor = at - argv.begin() + 1;
    if (option.size() < 2 || option[0] != '-' || option.find('=') != std::string::npos || cursor >= argv.size()) continue;
    const std::string& next = argv[cursor];
    if (next.empty() || next[0] == '-' || std::find(paths.begin(), paths.end(), next) == paths.end()) continue;
    candidates.push_back({i, next});
  }
  if (candidates.empty()) return true;
  auto takes_value = value_options(python, pytest_args, error);
  if (!takes_value) return false;
  // One word, as argparse reads it too: `--opt=value`, or `-Xvalue` for a short option.
  for (const Candidate& c : candidates) {
    std::string& option = extras[c.extra];
    if (!takes_value->count(option)) continue;
    paths.erase(std::find(paths.begin(), paths.end(), c.value));
    option += (option.rfind("--", 0) == 0 ? "=" : "") + c.value;
  }
  return true;
}

}  // namespace fastest::cli
