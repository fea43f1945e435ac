#include "server/cli/coverage_run.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "server/execution/python_module_process.h"

namespace fastest::cli {
namespace {

bool is_coverage_option(const std::string& option) {
  return option.rfind("--cov", 0) == 0 || option.rfind("--no-cov", 0) == 0;
}

// pytest-cov's options that take a value (`--cov` only optionally).
bool takes_value(const std::string& option) {
  static const char* const with_value[] = {"--cov", "--cov-report", "--cov-config", "--cov-fail-under",
                                           "--cov-context", "--cov-precision"};
  return std::find(std::begin(with_value), std::end(with_value), option) != std::end(with_value);
}

}  // namespace

bool take_addopts_coverage_options(std::vector<std::string>& addopts) {
  std::vector<std::string> kept, taken;
  for (size_t i = 0; i < addopts.size(); ++i) {
    if (!is_coverage_option(addopts[i])) {
      kept.push_back(addopts[i]);
      continue;
    }
    taken.push_back(addopts[i]);
    if (takes_value(addopts[i]) && i + 1 < addopts.size() && addopts[i + 1].rfind("-", 0) != 0) taken.push_back(addopts[++i]);
  }
  if (taken.empty()) return false;
  addopts = std::move(kept);
  return std::any_of(taken.begin(), taken.end(), [](const std::string& o) { return o.rfind("--cov", 0) == 0; });
}

std::vector<std::string> take_coverage_options(std::vector<std::string>& pytest_options) {
  std::vector<std::string> taken;
  std::copy_if(pytest_options.begin(), pytest_options.end(), std::back_inserter(taken), is_coverage_option);
  std::erase_if(pytest_options, is_coverage_option);
  // `--no-cov` alone disables pytest-cov: nothing to set up.
  if (std::none_of(taken.begin(), taken.end(), [](const std::string& o) { return o.rfind("--cov", 0) == 0; }))
    taken.clear();
  return taken;
}

bool CoverageRun::prepare(const std::filesystem::path& python, std::map<std::string, std::string>& env,
                          std::string* error) {
  if (!prepared_) {
    prepared_ = true;
    std::vector<std::string> args{"prepare"};
    args.insert(args.end(), options_.begin(), options_.end());
    auto process = PythonModuleProcess::start(python, "fastest_worker.pytest_cov_run", args,
                                              std::filesystem::current_path(), {}, error);
    if (!process) return false;
    PythonModuleOutput out = process->wait();
    nlohmann::json spec = nlohmann::json::parse(out.out, nullptr, false);
    if (out.exit_code != 0 || !spec.is_object()) {
      *error = "pytest-cov could not start: " + (out.err.empty() ? out.out : out.err);
      return false;
    }
    if (!spec.value("active", false)) {
      *error = "--cov needs pytest-cov installed in " + python.string();
      return false;
    }
    spec_ = out.out;
  }
  if (spec_.empty()) return false;
  env["FASTEST_COV"] = spec_;
  return true;
}

bool CoverageRun::finish(const std::filesystem::path& python, bool tests_failed, std::string* report,
                         std::string* error) {
  if (spec_.empty()) return false;
  std::vector<std::string> args{"finish"};
  args.insert(args.end(), options_.begin(), options_.end());
  auto process = PythonModuleProcess::start(python, "fastest_worker.pytest_cov_run", args,
                                            std::filesystem::current_path(),
                                            {{"FASTEST_COV_FAILED", tests_failed ? "1" : "0"}}, error);
  if (!process) return false;
  PythonModuleOutput out = process->wait();
  *report = out.out;
  if (out.exit_code != 0 && out.exit_code != 1) *error = "pytest-cov's report failed: " + out.err;
  return out.exit_code == 1;
}

}  // namespace fastest::cli
