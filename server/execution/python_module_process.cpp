#include "server/execution/python_module_process.h"

#include "server/execution/exec_image.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "server/execution/engine.h"

extern char** environ;

namespace fastest {

std::unique_ptr<PythonModuleProcess> PythonModuleProcess::start(const std::filesystem::path& python,
                                                                const std::string& module,
                                                                const std::vector<std::string>& args,
                                                                const std::filesystem::path& cwd,
                                                                const std::map<std::string, std::string>& env,
                                                                std::string* error) {
  // Everything the child needs is prepared before fork: after it, only async-signal-safe calls.
  std::map<std::string, std::string> merged;
  for (char** e = environ; *e; ++e) {
    std::string kv(*e);
    size_t eq = kv.find('=');
    if (eq != std::string::npos) merged[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (auto& [k, v] : env) merged[k] = v;
  std::string pythonpath = worker_package_dir().string();
  if (!merged["PYTHONPATH"].empty()) pythonpath += ":" + merged["PYTHONPATH"];
  merged["PYTHONPATH"] = pythonpath;
  std::vector<std::string> argv_strings{python.string(), "-u", "-m", module};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  const ExecImage image(std::move(argv_strings), merged);
  std::string dir = cwd.string();

  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0) {
    if (error) *error = std::strerror(errno);
    return nullptr;
  }
  if (pipe2(err, O_CLOEXEC) != 0) {
    if (error) *error = std::strerror(errno);
    ::close(out[0]); ::close(out[1]);
    return nullptr;
  }
  const pid_t parent = ::getpid();
  pid_t pid = fork();
  if (pid < 0) {
    if (error) *error = std::strerror(errno);
    for (int fd : {out[0], out[1], err[0], err[1]}) ::close(fd);
    return nullptr;
  }
  if (pid == 0) {
    // Dies with the thread that started it: a killed server or CLI leaves no Python behind.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) _exit(111);
    int devnull = ::open("/dev/null", O_RDONLY);
    dup2(devnull, 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    image.exec_in(dir.c_str());
  }
  ::close(out[1]);
  ::close(err[1]);
  std::unique_ptr<PythonModuleProcess> process(new PythonModuleProcess());
  process->pid_ = pid;
  process->out_fd_ = out[0];
  process->err_fd_ = err[0];
  return process;
}

PythonModuleOutput PythonModuleProcess::wait(const std::atomic<bool>* cancel) {
  PythonModuleOutput result;
  char buffer[65536];
  while (out_fd_ >= 0 || err_fd_ >= 0) {
    if (cancel && cancel->load()) {
      ::kill(pid_, SIGKILL);
      result.cancelled = true;
      break;
    }
    pollfd fds[2] = {{out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}};
    // With a cancel flag, look at it every 50 ms (a hung interpreter must not hold a shutdown).
    const int rc = ::poll(fds, 2, cancel ? 50 : -1);
    if (rc < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (rc == 0) continue;
    for (int i = 0; i < 2; ++i) {
      int& fd = i == 0 ? out_fd_ : err_fd_;
      if (fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = ::read(fd, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        ::close(fd);
        fd = -1;
      } else {
        (i == 0 ? result.out : result.err).append(buffer, static_cast<size_t>(n));
      }
    }
  }
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {}
  pid_ = -1;
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  return result;
}

PythonModuleProcess::~PythonModuleProcess() {
  if (out_fd_ >= 0) ::close(out_fd_);
  if (err_fd_ >= 0) ::close(err_fd_);
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    while (waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {}
  }
}

}  // namespace fastest
