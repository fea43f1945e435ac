#include "server/execution/worker_process.h"

#include "server/execution/exec_image.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace fastest {
namespace {

constexpr size_t kStderrTail = 8192;
constexpr size_t kMaxLine = 64 * 1024 * 1024;  // a line beyond this is a broken worker

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

}  // namespace

// The worker's environment: the engine's, the spec's, the package on PYTHONPATH.
static std::map<std::string, std::string> worker_env(const SpawnSpec& spec) {
  std::map<std::string, std::string> env;
  for (char** e = environ; *e; ++e) {
    std::string kv(*e);
    size_t eq = kv.find('=');
    if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (auto& [k, v] : spec.env) env[k] = v;
  std::string pythonpath = spec.worker_dir.string();
  if (env.count("PYTHONPATH") && !env["PYTHONPATH"].empty()) pythonpath += ":" + env["PYTHONPATH"];
  env["PYTHONPATH"] = pythonpath;
  env["PYTHONUNBUFFERED"] = "1";
  return env;
}

std::unique_ptr<WorkerProcess> WorkerProcess::spawn(const SpawnSpec& spec, std::string* error) {
  int command_pipe[2], event_pipe[2], stderr_pipe[2];
  if (pipe2(command_pipe, O_CLOEXEC) != 0) { if (error) *error = std::strerror(errno); return nullptr; }
  if (pipe2(event_pipe, O_CLOEXEC) != 0) {
    ::close(command_pipe[0]); ::close(command_pipe[1]);
    if (error) *error = std::strerror(errno);
    return nullptr;
  }
  if (pipe2(stderr_pipe, O_CLOEXEC) != 0) {
    for (int fd : {command_pipe[0], command_pipe[1], event_pipe[0], event_pipe[1]}) ::close(fd);
    if (error) *error = std::strerror(errno);
    return nullptr;
  }

  // Everything the child needs is prepared before fork: after it, only async-signal-safe calls.
  std::map<std::string, std::string> env = worker_env(spec);
  env["FASTEST_COMMAND_FD"] = "3";
  env["FASTEST_EVENT_FD"] = "4";
  const ExecImage image({spec.python.string(), "-u", "-m", "fastest_worker"}, env);
  std::string cwd = spec.cwd.string();
  pid_t parent = getpid();

  pid_t pid = fork();
  if (pid < 0) {
    if (error) *error = std::strerror(errno);
    for (int fd : {command_pipe[0], command_pipe[1], event_pipe[0], event_pipe[1], stderr_pipe[0], stderr_pipe[1]}) ::close(fd);
    return nullptr;
  }
  if (pid == 0) {
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(111);  // the engine died before prctl took effect
    // Copies above the standard fds (closed at exec: only 3 and 4 reach the worker, else a
    // worker that closed its command pipe would still hold a reader and never see EOF/EPIPE).
    int c = fcntl(command_pipe[0], F_DUPFD_CLOEXEC, 10);
    int e = fcntl(event_pipe[1], F_DUPFD_CLOEXEC, 10);
    int devnull = ::open("/dev/null", O_RDONLY);
    dup2(devnull, 0);
    dup2(stderr_pipe[1], 1);
    dup2(stderr_pipe[1], 2);
    dup2(c, 3);
    dup2(e, 4);
    image.exec_in(cwd.c_str());
  }
  setpgid(pid, pid);  // also from the parent, so there is no window where it is unset
  ::close(command_pipe[0]);
  ::close(event_pipe[1]);
  ::close(stderr_pipe[1]);
  std::unique_ptr<WorkerProcess> worker(new WorkerProcess());
  worker->pid_ = pid;
  worker->command_fd_ = command_pipe[1];
  worker->event_fd_ = event_pipe[0];
  worker->stderr_fd_ = stderr_pipe[0];
  fcntl(worker->event_fd_, F_SETFL, fcntl(worker->event_fd_, F_GETFL) | O_NONBLOCK);
  fcntl(worker->stderr_fd_, F_SETFL, fcntl(worker->stderr_fd_, F_GETFL) | O_NONBLOCK);
  return worker;
}

WorkerProcess::Pool WorkerProcess::spawn_pool(const SpawnSpec& spec, int count, std::string* error) {
  Pool result;
  constexpr int kFirstFd = 10;  // the workers' pipe ends in the pool process: 10, 11, 12, 13, ...
  static_assert(kFirstFd + 3 * kMaxPoolWorkers <= 100, "pool fds must stay below the moved copies at 100+");
  if (count < 1 || count > kMaxPoolWorkers) {
    if (error) *error = "bad worker count";
    return result;
  }
  std::vector<int> parent_ends, child_ends;  // per worker: command, event, stderr
  auto fail = [&](const char* why) {
    for (int fd : parent_ends) ::close(fd);
    for (int fd : child_ends) ::close(fd);
    if (error) *error = why;
    return Pool{};
  };
  for (int i = 0; i < count; ++i) {
    int command_pipe[2], event_pipe[2], stderr_pipe[2];
    if (pipe2(command_pipe, O_CLOEXEC) != 0) return fail(std::strerror(errno));
    parent_ends.push_back(command_pipe[1]);
    child_ends.push_back(command_pipe[0]);
    if (pipe2(event_pipe, O_CLOEXEC) != 0) return fail(std::strerror(errno));
    parent_ends.push_back(event_pipe[0]);
    child_ends.push_back(event_pipe[1]);
    if (pipe2(stderr_pipe, O_CLOEXEC) != 0) return fail(std::strerror(errno));
    parent_ends.push_back(stderr_pipe[0]);
    child_ends.push_back(stderr_pipe[1]);
  }
  std::map<std::string, std::string> env = worker_env(spec);
  std::string fds;
  for (int i = 0; i < count; ++i) {
    int base = kFirstFd + 3 * i;
    fds += (i ? ";" : "") + std::to_string(base) + "," + std::to_string(base + 1) + "," + std::to_string(base + 2);
  }
  env["FASTEST_POOL_FDS"] = fds;
  const ExecImage image({spec.python.string(), "-u", "-m", "fastest_worker"}, env);
  std::string cwd = spec.cwd.string();
  pid_t parent = getpid();

  pid_t pid = fork();
  if (pid < 0) return fail(std::strerror(errno));
  if (pid == 0) {
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(111);
    // Out of the way first (above 100, closed at exec), then onto their numbers (dup2 clears
    // close-on-exec): a stray copy of an event pipe would hide a worker's death.
    int moved[3 * kMaxPoolWorkers];
    for (size_t k = 0; k < child_ends.size(); ++k) moved[k] = fcntl(child_ends[k], F_DUPFD_CLOEXEC, 100);
    int devnull = ::open("/dev/null", O_RDONLY);
    dup2(devnull, 0);
    dup2(moved[2], 1);  // the pool's own errors go to the first worker's stderr
    dup2(moved[2], 2);
    for (size_t k = 0; k < child_ends.size(); ++k) dup2(moved[k], kFirstFd + static_cast<int>(k));
    image.exec_in(cwd.c_str());
  }
  setpgid(pid, pid);
  for (int fd : child_ends) ::close(fd);
  result.pool.reset(new WorkerProcess());
  result.pool->pid_ = pid;
  for (int i = 0; i < count; ++i) {
    std::unique_ptr<WorkerProcess> worker(new WorkerProcess());
    worker->command_fd_ = parent_ends[3 * i];
    worker->event_fd_ = parent_ends[3 * i + 1];
    worker->stderr_fd_ = parent_ends[3 * i + 2];
    fcntl(worker->event_fd_, F_SETFL, fcntl(worker->event_fd_, F_GETFL) | O_NONBLOCK);
    fcntl(worker->stderr_fd_, F_SETFL, fcntl(worker->stderr_fd_, F_GETFL) | O_NONBLOCK);
    result.workers.push_back(std::move(worker));
  }
  return result;
}

WorkerProcess::~WorkerProcess() {
  kill_all();
  close_fd(command_fd_);
  close_fd(event_fd_);
  close_fd(stderr_fd_);
}

namespace {

// A write to a pipe whose reader is gone (a worker that died since it was last seen) must fail
// with EPIPE, not raise SIGPIPE, which kills `fastest run` (only the language server ignores it
// process-wide). SIGPIPE is blocked on this thread for the write and a pending one consumed.
class SigpipeGuard {
 public:
  SigpipeGuard() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    blocked_ = pthread_sigmask(SIG_BLOCK, &pipe_, &old_) == 0;
  }
  ~SigpipeGuard() {
    if (!blocked_) return;
    if (!was_pending_) {
      timespec zero{0, 0};
      while (sigtimedwait(&pipe_, nullptr, &zero) > 0) {}
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeGuard(const SigpipeGuard&) = delete;
  SigpipeGuard& operator=(const SigpipeGuard&) = delete;

 private:
  sigset_t pipe_, old_;
  bool was_pending_ = false, blocked_ = false;
};

}  // namespace

bool WorkerProcess::send_line(const std::string& line) {
  std::string data = line + "\n";
  SigpipeGuard no_sigpipe;
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(command_fd_, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    off += static_cast<size_t>(n);
  }
  return true;
}

bool WorkerProcess::read_lines(std::vector<std::string>& lines) {
  char chunk[65536];
  while (true) {
    ssize_t n = ::read(event_fd_, chunk, sizeof chunk);
    if (n > 0) {
      buffer_.append(chunk, static_cast<size_t>(n));
      continue;
    }
    if (n == 0) break;  // EOF
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      size_t start = 0, nl;
      while ((nl = buffer_.find('\n', start)) != std::string::npos) {
        lines.push_back(buffer_.substr(start, nl - start));
        start = nl + 1;
      }
      buffer_.erase(0, start);
      if (buffer_.size() > kMaxLine) buffer_.clear();
      return true;
    }
    break;
  }
  size_t start = 0, nl;
  while ((nl = buffer_.find('\n', start)) != std::string::npos) {
    lines.push_back(buffer_.substr(start, nl - start));
    start = nl + 1;
  }
  buffer_.clear();
  return false;
}

void WorkerProcess::drain_stderr() {
  char chunk[4096];
  while (true) {
    ssize_t n = ::read(stderr_fd_, chunk, sizeof chunk);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      return;
    }
    stderr_tail_.append(chunk, static_cast<size_t>(n));
    if (stderr_tail_.size() > kStderrTail) stderr_tail_.erase(0, stderr_tail_.size() - kStderrTail);
  }
}

void WorkerProcess::kill_child() {
  if (child_group_ > 0) ::kill(-child_group_, SIGKILL);
}

void WorkerProcess::kill_all() {
  if (reaped_ || pid_ <= 0) return;
  kill_child();
  ::kill(-pid_, SIGKILL);
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {}
  reaped_ = true;
}

}  // namespace fastest
