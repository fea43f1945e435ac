// `fastest run --cov ...` with pytest-cov installed: pytest-cov's own classes set the run up and
// report it (fastest_worker.pytest_cov_run), the workers trace every batch into coverage data
// files of their own, and the report combines them all (docs/execution.md).
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace fastest::cli {

// pytest-cov's options (--cov, --cov-report, --cov-branch, --no-cov-on-fail, ...), taken out of
// the options handed to the workers' pytest.
std::vector<std::string> take_coverage_options(std::vector<std::string>& pytest_options);

// The same in the ini's addopts (`--cov=pkg` or `--cov pkg`), taken out so the workers' pytest-cov
// stays inert; true when they ask for coverage. pytest-cov's prepare and finish steps read the
// ini themselves, so they see them as pytest would.
bool take_addopts_coverage_options(std::vector<std::string>& addopts);

class CoverageRun {
 public:
  explicit CoverageRun(std::vector<std::string> options) : options_(std::move(options)) {}
  bool wanted() const { return !options_.empty() || by_addopts_; }
  void wanted_by_addopts() { by_addopts_ = true; }
  // Before the workers start: pytest-cov erases old data (unless --cov-append) and says where the
  // workers write theirs; `env` gets FASTEST_COV for them. False (and `error`) when it failed.
  bool prepare(const std::filesystem::path& python, std::map<std::string, std::string>& env, std::string* error);
  // After the run: pytest-cov's report (combined data, terminal table, report files). True when
  // --cov-fail-under was not reached.
  bool finish(const std::filesystem::path& python, bool tests_failed, std::string* report, std::string* error);

 private:
  std::vector<std::string> options_;
  bool by_addopts_ = false;
  bool prepared_ = false;
  std::string spec_;  // the JSON the workers get
};

}  // namespace fastest::cli
