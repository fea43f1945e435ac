// One Python worker process: spawned in its own process group with two private pipes,
// dies with the engine (PR_SET_PDEATHSIG), killed and reaped by the destructor.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace fastest {

struct SpawnSpec {
  std::filesystem::path python;
  std::filesystem::path worker_dir;  // put on PYTHONPATH
  std::filesystem::path cwd;
  std::map<std::string, std::string> env;
};

class WorkerProcess {
 public:
  static std::unique_ptr<WorkerProcess> spawn(const SpawnSpec& spec, std::string* error);
  // `count` workers for one interpreter start-up: one Python process (the returned `pool`)
  // imports pytest and prepares the session once, then forks a worker per pipe set. A worker's
  // pid is known from its `ready` event (adopt()); killing the pool kills every worker.
  struct Pool {
    std::unique_ptr<WorkerProcess> pool;
    std::vector<std::unique_ptr<WorkerProcess>> workers;
  };
  static Pool spawn_pool(const SpawnSpec& spec, int count, std::string* error);
  static constexpr int kMaxPoolWorkers = 30;  // the pool's pipe ends sit on fds 10..99
  // A pool worker's pid, from its ready event (it is not our child: the pool reaps it).
  void adopt(pid_t pid) {
    if (pid_ <= 0 && pid > 0) pid_ = pid;
  }
  ~WorkerProcess();

  pid_t pid() const { return pid_; }
  int event_fd() const { return event_fd_; }
  int stderr_fd() const { return stderr_fd_; }

  // One JSON line to the worker; false if the pipe is gone.
  bool send_line(const std::string& line);
  // Reads what is available; complete lines go to `lines`. False on EOF (the worker died).
  bool read_lines(std::vector<std::string>& lines);
  // Keeps the last few KB of the worker's own stderr (for error messages).
  void drain_stderr();
  const std::string& stderr_tail() const { return stderr_tail_; }

  // The batch child's process group (reported by the worker), killed on timeout/cancel.
  void set_child_group(pid_t pgid) { child_group_ = pgid; }
  pid_t child_group() const { return child_group_; }
  void kill_child();
  void kill_all();

 private:
  WorkerProcess() = default;
  pid_t pid_ = -1;
  pid_t child_group_ = -1;
  int command_fd_ = -1, event_fd_ = -1, stderr_fd_ = -1;
  std::string buffer_;
  std::string stderr_tail_;
  bool reaped_ = false;
};

}  // namespace fastest
