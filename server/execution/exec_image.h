// What execve needs, built before fork(): after it the child may only make async-signal-safe
// calls, so no string or vector may be allocated there.
#pragma once

#include <signal.h>
#include <unistd.h>

#include <map>
#include <string>
#include <vector>

namespace fastest {

class ExecImage {
 public:
  ExecImage(std::vector<std::string> args, const std::map<std::string, std::string>& env)
      : args_(std::move(args)) {
    for (const auto& [key, value] : env) env_.push_back(key + "=" + value);
    for (std::string& a : args_) argv_.push_back(a.data());
    argv_.push_back(nullptr);
    for (std::string& e : env_) envp_.push_back(e.data());
    envp_.push_back(nullptr);
  }
  ExecImage(const ExecImage&) = delete;
  ExecImage& operator=(const ExecImage&) = delete;

  const char* path() const { return args_.front().c_str(); }
  char* const* argv() const { return argv_.data(); }
  char* const* envp() const { return envp_.data(); }

  // In a forked child, once its fds are in place: enter `dir`, unblock the signals the parent
  // may block (a worker must die on SIGTERM), and exec; only async-signal-safe calls.
  [[noreturn]] void exec_in(const char* dir) const {
    if (chdir(dir) != 0) _exit(112);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execve(path(), argv(), envp());
    _exit(127);
  }

 private:
  std::vector<std::string> args_, env_;
  std::vector<char*> argv_, envp_;
};

}  // namespace fastest
