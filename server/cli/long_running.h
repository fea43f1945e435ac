// Tests running past a threshold: which, and for how long. A suite that hangs (a session
// fixture that cannot run twice at once, a deadlock) otherwise shows nothing at all.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <ostream>
#include <string>
#include <thread>

namespace fastest::cli {

class LongRunningTests {
 public:
  using Clock = std::chrono::steady_clock;
  explicit LongRunningTests(std::ostream& out) : out_(out) {}
  ~LongRunningTests() { stop(); }

  // Looks every half second, on a thread of its own, once `threshold_s` > 0 (else never says anything).
  void watch(double threshold_s);
  void stop();
  // From the engine's thread, as tests start and end.
  void started(const std::string& id, Clock::time_point now);
  void finished(const std::string& id);
  // When a test has run past the threshold (or past another multiple of it since it was last
  // named), writes every test running longer than the threshold and for how long.
  void check(Clock::time_point now);

 private:
  struct Running {
    Clock::time_point since;
    long notices = 0;  // multiples of the threshold already told
  };
  std::ostream& out_;
  double threshold_s_ = 0;
  std::mutex mutex_;
  std::condition_variable stopping_;
  bool stop_ = false;
  std::map<std::string, Running> running_;
  std::thread watcher_;
};

}  // namespace fastest::cli
