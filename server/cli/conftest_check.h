// pytest imports every conftest.py of the tree it collects; static discovery does not. Before
// printing, `fastest discover` has pytest import them (python -m fastest_worker.conftest_check):
// an initial conftest that fails stops pytest with exit 4 and its message on stderr; any other
// failing conftest is its folder's collection error, which the settle step reports. The check
// also configures pytest as its session would: a conftest's or plugin's pytest_configure failing
// (a warning under `filterwarnings = error`) stops pytest with exit 3; a conftest hook pluggy cannot
// register makes pytest.main raise (exit 1, the traceback on stderr). Without conftests it runs
// only when that may happen (ProjectConfig::configure_may_fail).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "server/execution/python_module_process.h"
#include "server/workspace/project.h"

namespace fastest::cli {

struct ConftestCheck {
  int exit_code = 0;                         // pytest's exit code when it stopped (4, 3, 1), else 0
  std::string message;                       // what pytest printed on stderr then
  std::vector<std::string> failing_folders;  // folder ids whose conftest fails during collection
  std::vector<std::string> imported;         // files under the rootdir pytest imported (settled cache)
  bool answered = false;                     // pytest ran the check to its end (exit 0)
};

// Starts pytest's import of the collected tree's conftests (with the invocation's args, in its
// directory); nullptr when the tree holds no conftest.py or there is no pytest to ask.
std::unique_ptr<PythonModuleProcess> start_conftest_check(const Collection& c, const Invocation& inv);

// The folders whose conftest.py the check imports (absolute): the rootdir, each folder item
// and each module's folder that has one.
std::vector<std::string> folders_with_a_conftest(const Collection& c);

// Its answer; a check that could not run answers nothing (exit 0, no failing folders).
ConftestCheck finish_conftest_check(PythonModuleProcess& process, const Collection& c);

}  // namespace fastest::cli
