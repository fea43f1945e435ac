#include "server/core/tree_fingerprint.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <set>
#include <utility>

namespace fs = std::filesystem;

namespace fastest {
namespace {

int64_t nanoseconds(const struct timespec& t) { return int64_t(t.tv_sec) * 1000000000 + t.tv_nsec; }

// The latest moment an entry may have been changed for its stat to be trusted, given the run
// started at `started_ns`: the kernel stamps files from a clock that lags by up to a tick
// (1-10 ms); a file system that keeps whole seconds (no nanoseconds at all) rounds by up to 2 s.
bool changed_since(const struct stat& st, int64_t started_ns) {
  const int64_t changed = std::max(nanoseconds(st.st_mtim), nanoseconds(st.st_ctim));
  const bool whole_seconds = st.st_mtim.tv_nsec == 0 && st.st_ctim.tv_nsec == 0;
  const int64_t margin = whole_seconds ? 2'000'000'000 : 50'000'000;
  return changed >= started_ns - margin;
}

class Walk {
 public:
  Walk(int64_t started_ns, size_t max_entries) : started_ns_(started_ns), max_entries_(max_entries) {}

  // Records `path` (stat'ed already) and, for a folder, everything under it.
  void add(const std::string& path, const struct stat& st, bool walk_into) {
    if (!why.empty()) return;
    if (entries.size() >= max_entries_) {
      why = "more than " + std::to_string(max_entries_) + " files and folders";
      return;
    }
    if (changed_since(st, started_ns_)) {
      why = path + " changed while the answer was computed";
      return;
    }
    paths_.insert(path);
    entries.push_back({path, int64_t(st.st_ino), int64_t(st.st_size), nanoseconds(st.st_mtim), nanoseconds(st.st_ctim)});
    if (walk_into && S_ISDIR(st.st_mode) && visited_.insert({st.st_dev, st.st_ino}).second) walk(path);
  }

  bool has(const std::string& path) const { return paths_.count(path) != 0; }

  std::vector<std::tuple<std::string, int64_t, int64_t, int64_t, int64_t>> entries;
  std::string why;

 private:
  void walk(const std::string& folder) {
    if (fs::exists(fs::path(folder) / "pyvenv.cfg")) return;  // a virtual environment
    DIR* dir = ::opendir(folder.c_str());
    if (!dir) return;  // unreadable: its stat is recorded, pytest cannot read it either
    std::vector<std::pair<std::string, struct stat>> children;
    for (struct dirent* e; (e = ::readdir(dir));) {
      const std::string name = e->d_name;
      if (name == "." || name == "..") continue;
      struct stat st;
      if (::fstatat(::dirfd(dir), e->d_name, &st, 0) != 0) continue;  // a dangling link
      if (S_ISDIR(st.st_mode) && TreeFingerprint::skipped_folder(name)) continue;
      children.emplace_back(folder + "/" + name, st);
    }
    ::closedir(dir);
    for (auto& [path, st] : children) add(path, st, true);
  }

  int64_t started_ns_;
  size_t max_entries_;
  std::set<std::pair<dev_t, ino_t>> visited_;
  std::set<std::string> paths_;
};

}  // namespace

bool TreeFingerprint::skipped_folder(const std::string& name) {
  static const std::set<std::string> names{".git", ".hg", ".svn", "__pycache__", ".fastest_cache", ".pytest_cache",
                                           ".mypy_cache", ".ruff_cache", ".tox", ".nox", "node_modules"};
  return names.count(name) != 0;
}

TreeFingerprint::Entry TreeFingerprint::stat_of(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return {path};
  return {path, int64_t(st.st_ino), int64_t(st.st_size), nanoseconds(st.st_mtim), nanoseconds(st.st_ctim)};
}

std::optional<TreeFingerprint> TreeFingerprint::take(const std::vector<fs::path>& trees, const std::vector<fs::path>& paths,
                                                     std::chrono::system_clock::time_point started, std::string* why,
                                                     size_t max_entries) {
  const int64_t started_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(started.time_since_epoch()).count();
  Walk walk(started_ns, max_entries);
  TreeFingerprint out;
  std::set<std::string> added;
  auto add = [&](const fs::path& p, bool tree) {
    const std::string path = p.lexically_normal().string();
    if (!tree && walk.has(path)) return;  // already under a tree
    if (!added.insert(path).second) return;
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) {
      out.entries_.push_back({path});  // absent: creating it is a change
      return;
    }
    walk.add(path, st, tree);
  };
  for (const fs::path& tree : trees) add(tree, true);
  for (const fs::path& path : paths) add(path, false);
  if (!walk.why.empty()) {
    if (why) *why = walk.why;
    return std::nullopt;
  }
  for (auto& [path, inode, size, mtime, ctime] : walk.entries) out.entries_.push_back({std::move(path), inode, size, mtime, ctime});
  return out;
}

bool TreeFingerprint::unchanged() const {
  for (const Entry& e : entries_)
    if (!(stat_of(e.path) == e)) return false;
  return true;
}

std::vector<std::string> TreeFingerprint::paths() const {
  std::vector<std::string> out;
  out.reserve(entries_.size());
  for (const Entry& e : entries_) out.push_back(e.path);
  return out;
}

std::optional<std::string> TreeFingerprint::to_text() const {
  std::string out;
  for (const Entry& e : entries_) {
    if (e.path.find('\n') != std::string::npos) return std::nullopt;
    out += std::to_string(e.inode) + ' ' + std::to_string(e.size) + ' ' + std::to_string(e.mtime_ns) + ' ' +
           std::to_string(e.ctime_ns) + ' ' + e.path + '\n';
  }
  return out;
}

std::optional<TreeFingerprint> TreeFingerprint::from_text(std::string_view text) {
  TreeFingerprint out;
  while (!text.empty()) {
    const size_t newline = text.find('\n');
    if (newline == std::string_view::npos) return std::nullopt;
    std::string_view line = text.substr(0, newline);
    text.remove_prefix(newline + 1);
    Entry e;
    for (int64_t* field : {&e.inode, &e.size, &e.mtime_ns, &e.ctime_ns}) {
      auto [end, error] = std::from_chars(line.data(), line.data() + line.size(), *field);
      if (error != std::errc() || end == line.data() + line.size() || *end != ' ') return std::nullopt;
      line.remove_prefix(size_t(end - line.data()) + 1);
    }
    if (line.empty()) return std::nullopt;
    e.path = std::string(line);
    out.entries_.push_back(std::move(e));
  }
  return out;
}

}  // namespace fastest
