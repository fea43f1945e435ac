// A short-lived `python -m <module of the worker package>` whose output is read whole: for
// one-off questions to the user's pytest (e.g. which conftests fail to import), beside the
// long-lived workers of worker_process.*.
#pragma once

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace fastest {

struct PythonModuleOutput {
  int exit_code = -1;  // -1 when it did not exit normally (a signal)
  std::string out, err;
  bool cancelled = false;  // killed because wait() was cancelled
};

class PythonModuleProcess {
 public:
  // Starts `python -u -m module args...` in cwd with the worker package importable. Returns
  // nullptr (and why in *error) when it cannot start.
  static std::unique_ptr<PythonModuleProcess> start(const std::filesystem::path& python, const std::string& module,
                                                    const std::vector<std::string>& args,
                                                    const std::filesystem::path& cwd,
                                                    const std::map<std::string, std::string>& env,
                                                    std::string* error);
  ~PythonModuleProcess();
  PythonModuleProcess(const PythonModuleProcess&) = delete;
  PythonModuleProcess& operator=(const PythonModuleProcess&) = delete;

  // Reads stdout and stderr to their end and reaps the process. `cancel` set: the process is
  // killed and reaped at once (`cancelled` in the output).
  PythonModuleOutput wait(const std::atomic<bool>* cancel = nullptr);

 private:
  PythonModuleProcess() = default;
  int pid_ = -1;
  int out_fd_ = -1, err_fd_ = -1;
};

}  // namespace fastest
