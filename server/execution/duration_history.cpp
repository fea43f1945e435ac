#include "server/execution/duration_history.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

namespace fs = std::filesystem;

namespace fastest {
namespace {

// A moving average keeps one noisy run from reordering the next.
void apply_sample(Durations& durations, const std::string& id, double seconds) {
  auto it = durations.find(id);
  if (it == durations.end()) durations[id] = seconds;
  else it->second = 0.5 * it->second + 0.5 * seconds;
}

// The file's durations; a missing file is empty. Whatever else goes wrong (a folder in its
// place, no permission, bad JSON) is empty too, with the reason in `warning`. libstdc++'s
// filebuf throws on a read error (EISDIR), so the read is guarded.
Durations read_durations(const fs::path& file, std::string* warning) {
  Durations durations;
  auto fail = [&](const std::string& why) {
    if (warning) *warning = "ignoring the test duration history " + file.string() + ": " + why;
    return Durations{};
  };
  std::error_code ec;
  fs::file_status status = fs::status(file, ec);
  if (status.type() == fs::file_type::not_found) return durations;
  if (ec) return fail(ec.message());
  if (status.type() != fs::file_type::regular) return fail("not a regular file");
  std::string text;
  try {
    std::ifstream in(file, std::ios::binary);
    if (!in) return fail(std::strerror(errno));
    std::ostringstream buffer;
    buffer << in.rdbuf();
    text = buffer.str();
  } catch (const std::exception& e) {
    return fail(e.what());
  }
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  auto d = j.is_object() ? j.find("durations") : j.end();
  if (!j.is_object() || d == j.end() || !d->is_object()) return fail("not a durations file (corrupt JSON)");
  for (auto& [id, value] : d->items())
    if (value.is_number()) durations[id] = value.get<double>();
  return durations;
}

// An exclusive flock on `path`, released when destroyed. Waits a bounded time: another run
// holds it only to merge and rename, so a longer wait means something is wrong.
class FileLock {
 public:
  explicit FileLock(const fs::path& path) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) {
      error_ = std::strerror(errno);
      return;
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      if ((errno != EWOULDBLOCK && errno != EINTR) || std::chrono::steady_clock::now() > deadline) {
        error_ = errno == EWOULDBLOCK ? "another run held the lock for 5 s" : std::strerror(errno);
        ::close(fd_);
        fd_ = -1;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  ~FileLock() {
    if (fd_ >= 0) ::close(fd_);  // closing releases the flock
  }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  bool held() const { return fd_ >= 0; }
  const std::string& error() const { return error_; }

 private:
  int fd_ = -1;
  std::string error_;
};

}  // namespace

void DurationHistory::load(std::string* warning) {
  samples_.clear();
  durations_ = read_durations(file_, warning);
}

bool DurationHistory::save(std::string* warning) {
  if (samples_.empty()) return true;
  auto fail = [&](const std::string& why) {
    if (warning) *warning = "cannot save the test duration history " + file_.string() + ": " + why;
    return false;
  };
  std::error_code ec;
  if (!file_.parent_path().empty()) fs::create_directories(file_.parent_path(), ec);
  if (ec) return fail(ec.message());
  fs::path lock_path = file_;
  lock_path += ".lock";
  FileLock lock(lock_path);
  if (!lock.held()) return fail("cannot lock " + lock_path.string() + ": " + lock.error());
  // Another run may have saved since load(): merge into what is there now. A corrupt or
  // unreadable file was reported by load() and is replaced.
  Durations merged = read_durations(file_, nullptr);
  for (const auto& [id, seconds] : samples_) apply_sample(merged, id, seconds);
  if (std::string why; !write_durations(file_, merged, &why)) return fail(why);
  durations_ = std::move(merged);
  samples_.clear();
  return true;
}

bool write_durations(const fs::path& file, const Durations& durations, std::string* warning) {
  auto fail = [&](const std::string& why) {
    if (warning) *warning = why;
    return false;
  };
  nlohmann::json j;
  j["version"] = 1;
  j["durations"] = durations;
  fs::path tmp = file;
  tmp += ".tmp" + std::to_string(::getpid());
  std::error_code ec;
  try {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return fail(std::strerror(errno));
    out << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    out.close();
    if (!out) return fail("write failed");
  } catch (const std::exception& e) {
    fs::remove(tmp, ec);
    return fail(e.what());
  }
  fs::rename(tmp, file, ec);
  if (ec) {
    std::string why = ec.message();
    fs::remove(tmp, ec);
    return fail(why);
  }
  return true;
}

Durations merge_shard_durations(const Durations& base, const std::vector<Durations>& shards) {
  Durations merged = base;
  for (const Durations& shard : shards)
    for (const auto& [id, seconds] : shard)
      if (auto it = base.find(id); it == base.end() || it->second != seconds) merged[id] = seconds;
  return merged;
}

void DurationHistory::record(const std::string& id, double seconds) {
  apply_sample(durations_, id, seconds);
  samples_.emplace_back(id, seconds);
}

}  // namespace fastest
