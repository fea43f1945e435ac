#include "server/cli/long_running.h"

#include <cmath>
#include <vector>

namespace fastest::cli {

void LongRunningTests::watch(double threshold_s) {
  threshold_s_ = threshold_s;
  if (threshold_s_ <= 0 || watcher_.joinable()) return;
  watcher_ = std::thread([this] {
    std::unique_lock lock(mutex_);
    while (!stopping_.wait_for(lock, std::chrono::milliseconds(500), [this] { return stop_; })) {
      lock.unlock();
      check(Clock::now());
      lock.lock();
    }
  });
}

void LongRunningTests::stop() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  stopping_.notify_all();
  if (watcher_.joinable()) watcher_.join();
}

void LongRunningTests::started(const std::string& id, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  running_[id] = {now, 0};
}

void LongRunningTests::finished(const std::string& id) {
  std::lock_guard lock(mutex_);
  running_.erase(id);
}

void LongRunningTests::check(Clock::time_point now) {
  std::lock_guard lock(mutex_);
  if (threshold_s_ <= 0) return;
  bool news = false;
  std::vector<std::pair<std::string, double>> long_ones;
  for (auto& [id, r] : running_) {
    double for_s = std::chrono::duration<double>(now - r.since).count();
    if (for_s < threshold_s_) continue;
    long_ones.emplace_back(id, for_s);
    long multiples = static_cast<long>(std::floor(for_s / threshold_s_));
    if (multiples > r.notices) {
      r.notices = multiples;
      news = true;
    }
  }
  if (!news) return;
  out_ << "fastest: " << long_ones.size() << (long_ones.size() == 1 ? " test has" : " tests have")
       << " been running for more than " << threshold_s_ << " s:\n";
  for (auto& [id, for_s] : long_ones) out_ << "  " << id << " (" << static_cast<long>(for_s) << " s)\n";
  out_.flush();
}

}  // namespace fastest::cli
