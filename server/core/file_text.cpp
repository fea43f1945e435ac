#include "server/core/file_text.h"

#include <atomic>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>

namespace fastest {
namespace {

struct ReadLog {
  std::atomic<bool> on{false};
  std::mutex mutex;
  std::set<std::filesystem::path> paths;
};

ReadLog& read_log() {
  static ReadLog log;
  return log;
}

}  // namespace

std::optional<std::string> read_file_if_readable(const std::filesystem::path& path) {
  if (ReadLog& log = read_log(); log.on.load(std::memory_order_relaxed)) {
    std::lock_guard lock(log.mutex);
    log.paths.insert(path);
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return std::move(text).str();
}

std::string read_file_text(const std::filesystem::path& path) {
  return read_file_if_readable(path).value_or(std::string());
}

void note_files_read(bool on) {
  ReadLog& log = read_log();
  std::lock_guard lock(log.mutex);
  log.on = on;
  if (on) log.paths.clear();
}

std::vector<std::filesystem::path> files_read() {
  ReadLog& log = read_log();
  std::lock_guard lock(log.mutex);
  return {log.paths.begin(), log.paths.end()};
}

}  // namespace fastest
