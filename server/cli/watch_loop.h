// `fastest run --watch`: after the run, wait for changes under the rootdir (inotify), then run
// again only the tests whose static imports reach the changed files (import_graph.h), pytest's
// last failures first, with pytest's output each cycle, until Ctrl-C.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace fastest::cli {

struct WatchCycle {
  std::vector<std::filesystem::path> changed;  // what the burst of events touched
  std::vector<std::string> paths;              // the test files to run (relative to the current directory)
  bool everything = false;                     // a config file changed: the original selection
};

// Runs `run_once(cycle)` for the first run (everything) and for each burst of changes that
// reaches a test; returns the last cycle's exit code. `selection_paths`: the paths the user
// gave (a cycle's files stay inside them); `rootdir`, `test_files` come from `collect_tests`,
// called again before each cycle (new test files count).
struct WatchTarget {
  std::filesystem::path rootdir;
  std::vector<std::filesystem::path> test_files;  // absolute, the selection's modules
};
int watch_and_rerun(const std::function<WatchTarget()>& collect_tests,
                    const std::function<int(const WatchCycle&)>& run_once);

}  // namespace fastest::cli
