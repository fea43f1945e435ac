#include "server/cli/watch_loop.h"

#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstring>
#include <iostream>
#include <map>
#include <set>

#include "server/workspace/import_graph.h"
#include "server/workspace/import_resolver.h"

namespace fs = std::filesystem;

namespace fastest::cli {
namespace {

// A burst of events (an editor writing a temp file, renaming it, touching the backup) is one
// change: the cycle starts once nothing happened for this long.
constexpr int kQuietMs = 100;

std::atomic<bool> g_stop{false};
void on_sigint(int) { g_stop = true; }

// inotify watches on every project folder; folders created later are added as they appear.
class FolderWatch {
 public:
  explicit FolderWatch(const fs::path& root) : fd_(inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) {
    if (fd_ >= 0) add_tree(root);
  }
  ~FolderWatch() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool ok() const { return fd_ >= 0; }

  // The files changed in the next burst of events; empty when interrupted.
  std::set<fs::path> next_burst() {
    std::set<fs::path> changed;
    while (!g_stop) {
      pollfd p{fd_, POLLIN, 0};
      int timeout = changed.empty() ? 200 : kQuietMs;
      int n = ::poll(&p, 1, timeout);
      if (n < 0 && errno != EINTR) break;
      if (n > 0) {
        read_events(changed);
        continue;
      }
      if (!changed.empty()) break;  // quiet again: the burst is over
    }
    if (g_stop) changed.clear();
    return changed;
  }

 private:
  void add_tree(const fs::path& root) {
    add(root);
    std::error_code ec;
    fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec), end;
    for (; !ec && it != end; it.increment(ec)) {
      if (!it->is_directory(ec)) continue;
      if (skipped_folder(it->path())) {
        it.disable_recursion_pending();
        continue;
      }
      add(it->path());
    }
  }
  void add(const fs::path& dir) {
    int wd = inotify_add_watch(fd_, dir.c_str(),
                               IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_ONLYDIR);
    if (wd >= 0) {
      folders_[wd] = dir;
    } else if (!warned_) {  // out of watches (fs.inotify.max_user_watches): never a silent miss
      warned_ = true;
      std::cerr << "fastest: warning: --watch cannot watch " << dir.string() << " (" << std::strerror(errno)
                << "): changes in it and in folders not yet watched are not seen\n";
    }
  }
  void read_events(std::set<fs::path>& changed) {
    alignas(inotify_event) char buffer[16384];
    while (true) {
      ssize_t len = ::read(fd_, buffer, sizeof buffer);
      if (len <= 0) return;
      for (char* p = buffer; p < buffer + len;) {
        auto* event = reinterpret_cast<inotify_event*>(p);
        p += sizeof(inotify_event) + event->len;
        auto folder = folders_.find(event->wd);
        if (folder == folders_.end() || event->len == 0) continue;
        fs::path path = folder->second / event->name;
        if (event->mask & IN_ISDIR) {
          if ((event->mask & (IN_CREATE | IN_MOVED_TO)) && !skipped_folder(path)) add_tree(path);
          continue;
        }
        if (event->mask & IN_CREATE) continue;  // its IN_CLOSE_WRITE follows
        if (is_editor_noise(path)) continue;
        if (path.extension() == ".py" || is_pytest_config_file(path)) changed.insert(path);
      }
    }
  }

  int fd_;
  bool warned_ = false;
  std::map<int, fs::path> folders_;
};

std::vector<std::string> relative_to_cwd(const std::vector<fs::path>& files) {
  std::vector<std::string> out;
  std::error_code ec;
  fs::path cwd = fs::current_path(ec);
  for (const fs::path& f : files) {
    fs::path rel = f.lexically_relative(cwd);
    out.push_back(rel.empty() || *rel.begin() == ".." ? f.string() : rel.string());
  }
  return out;
}

}  // namespace

int watch_and_rerun(const std::function<WatchTarget()>& collect_tests,
                    const std::function<int(const WatchCycle&)>& run_once) {
  WatchCycle first;
  first.everything = true;
  int status = run_once(first);
  WatchTarget target = collect_tests();
  FolderWatch watch(target.rootdir);
  if (!watch.ok()) {
    std::cerr << "fastest: --watch: cannot watch " << target.rootdir.string() << " (inotify: " << std::strerror(errno) << ")\n";
    return status;
  }
  ImportGraph graph;
  std::vector<fs::path> roots{target.rootdir};
  if (fs::is_directory(target.rootdir / "src")) roots.push_back(target.rootdir / "src");
  for (const fs::path& dir : pytest_basedirs(target.test_files, target.rootdir)) roots.push_back(dir);
  graph.reset(roots, project_python_files(target.rootdir));

  g_stop = false;
  auto previous = std::signal(SIGINT, on_sigint);
  while (!g_stop) {
    std::cout << "\nfastest: watching " << target.rootdir.string() << " for changes (Ctrl-C to stop)" << std::endl;
    std::set<fs::path> burst = watch.next_burst();
    if (burst.empty()) break;
    WatchCycle cycle;
    cycle.changed.assign(burst.begin(), burst.end());
    for (const fs::path& f : cycle.changed) {
      cycle.everything |= is_pytest_config_file(f) && f.parent_path() == target.rootdir;
      if (f.extension() == ".py") graph.update(f);
    }
    target = collect_tests();  // a new test file, a removed one
    if (!cycle.everything) {
      std::vector<fs::path> reached = graph.affected(target.test_files, cycle.changed);
      if (reached.empty()) {
        std::cout << "fastest: " << relative_to_cwd(cycle.changed).front()
                  << (cycle.changed.size() > 1 ? " (and others)" : "") << " changed: no selected test imports it" << std::endl;
        continue;
      }
      cycle.paths = relative_to_cwd(reached);
    }
    std::cout << "fastest: " << relative_to_cwd(cycle.changed).front() << (cycle.changed.size() > 1 ? " (and others)" : "")
              << " changed: running " << (cycle.everything ? std::string("everything") : std::to_string(cycle.paths.size()) + (cycle.paths.size() == 1 ? " test file" : " test files"))
              << std::endl;
    std::signal(SIGINT, previous);  // the run's own Ctrl-C handling (cancel, summary)
    status = run_once(cycle);
    std::signal(SIGINT, on_sigint);
  }
  std::signal(SIGINT, previous);
  return status;
}

}  // namespace fastest::cli
