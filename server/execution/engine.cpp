// The engine's event loop: one thread (the caller of run()) polls every worker's pipes,
// hands out batches, enforces per-test timeouts, turns dead children into `crashed`
// results and re-queues what they had not run yet.
#include "server/execution/engine.h"

#include "server/core/node_id.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_set>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <future>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "server/execution/duration_history.h"
#include "server/execution/early_collection.h"
#include "server/execution/scheduler.h"
#include "server/execution/worker_process.h"
#include "server/execution/worker_wire.h"

namespace fs = std::filesystem;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace fastest {

fs::path worker_package_dir() {
  if (const char* env = std::getenv("FASTEST_WORKER_DIR")) return env;
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    fs::path installed = exe.parent_path().parent_path() / "share" / "fastest" / "worker";
    if (fs::exists(installed / "fastest_worker", ec)) return installed;
  }
  return fs::path(FASTEST_SOURCE_DIR) / "worker";
}

namespace {

// The batches of `request.first` (in their own plan) before those of the other ids.
std::vector<Batch> plan_in_priority_order(const RunRequest& request, const std::unordered_map<std::string, double>& history,
                                         const SchedulerOptions& options) {
  if (request.first.empty()) return plan_batches(request.ids, history, options);
  const std::set<std::string> first(request.first.begin(), request.first.end());
  // An id goes early when it is one of `first` or holds one: pytest may be handed a module or
  // a function (a dynamic container) where the recorded failure is one of its tests or cases.
  auto holds_first = [&](const std::string& id) {
    for (auto it = first.lower_bound(id); it != first.end() && it->compare(0, id.size(), id) == 0; ++it)
      if (node_id_covers(id, *it)) return true;
    return false;
  };
  std::vector<std::string> early, late;
  for (const std::string& id : request.ids) (holds_first(id) ? early : late).push_back(id);
  std::vector<Batch> planned = plan_batches(early, history, options);
  std::vector<Batch> rest = plan_batches(late, history, options);
  planned.insert(planned.end(), std::make_move_iterator(rest.begin()), std::make_move_iterator(rest.end()));
  return planned;
}

}  // namespace

namespace {

constexpr auto kStartTimeout = std::chrono::seconds(60);
// While batches run, the engine reads the event pipes at most this often. Each event written to
// a pipe the engine is blocked on wakes it, and on a busy machine the batch child loses its
// core to that wake-up: for trivial tests, two context switches per test. Events wait in the
// pipe (not in the child, so a crash or a kill loses none) and are read several at a time.
// A run of a few named tests (run-at-cursor) reads each event as it comes: there, the wait is
// the latency the user sees, and there are too few events for the wake-ups to matter.
constexpr auto kEventReadInterval = std::chrono::milliseconds(5);

bool throttles_event_reads(const std::vector<std::string>& ids, size_t workers) {
  if (ids.size() > 4 * std::max<size_t>(workers, 1)) return true;
  for (const std::string& id : ids)
    if (id.find("::") == std::string::npos) return true;  // a module or folder: many tests
  return false;
}

std::string signal_name(int sig) {
  const char* name = strsignal(sig);
  return "signal " + std::to_string(sig) + (name ? std::string(" (") + name + ")" : "");
}

// A reported id answers a requested one when it is it or under it ("." is the rootdir).
bool covers(const std::string& requested, const std::string& reported) { return node_id_covers(requested, reported); }

}  // namespace

struct Slot {
  enum class State { Starting, Idle, Busy, Dead };
  std::unique_ptr<WorkerProcess> process;
  State state = State::Dead;
  Clock::time_point started_at;
  int batch = -1;
  std::vector<std::string> ids;
  std::vector<std::string> reported;
  std::optional<std::string> running;
  Clock::time_point running_since;
  bool timed_out = false;
  bool cancelled = false;
  // A collect-only batch of a run (early_collection.h): only its collection and its errors
  // count; the batches that run its modules report the rest (skips, warnings, deselected).
  bool early_collection = false;
  std::string batch_error, batch_error_summary;
  std::vector<std::pair<std::string, std::string>> collect_errors;
  std::vector<std::pair<std::string, std::string>> collect_skips;  // collector id, reason
  std::optional<Interruption> interrupted;  // pytest ended the batch's session early
  std::string fatal;
};

struct ExecutionEngine::Impl {
  EngineOptions options;
  fs::path worker_dir;
  std::vector<Slot> slots;
  // The process the first workers were forked from (see WorkerProcess::spawn_pool).
  std::unique_ptr<WorkerProcess> pool;
  int wake_pipe[2] = {-1, -1};
  std::atomic<bool> cancel_requested{false};
  int next_batch = 0;
  // Workers die with the *thread* that forked them (PR_SET_PDEATHSIG), so every fork happens
  // on this thread, which lives exactly as long as the engine; runs may come from any thread.
  asio::io_context spawner;
  asio::executor_work_guard<asio::io_context::executor_type> spawner_guard{spawner.get_executor()};
  std::thread spawner_thread;

  explicit Impl(EngineOptions o) : options(std::move(o)), worker_dir(worker_package_dir()) {
    if (options.workers <= 0) options.workers = std::max(1u, std::thread::hardware_concurrency());
    if (options.cache_dir.empty()) options.cache_dir = options.rootdir / ".fastest_cache";
    if (options.durations_path.empty()) options.durations_path = options.cache_dir / "durations.json";
    if (pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK) != 0) wake_pipe[0] = wake_pipe[1] = -1;
    spawner_thread = std::thread([this] { spawner.run(); });
  }

  ~Impl() {
    slots.clear();  // kills and reaps every worker
    pool.reset();
    spawner_guard.reset();
    spawner.stop();
    if (spawner_thread.joinable()) spawner_thread.join();
    for (int fd : wake_pipe) if (fd >= 0) ::close(fd);
  }

  std::unique_ptr<WorkerProcess> spawn_on_spawner(const SpawnSpec& spec, std::string* error) {
    std::packaged_task<std::pair<std::unique_ptr<WorkerProcess>, std::string>()> task([&spec] {
      std::string e;
      auto p = WorkerProcess::spawn(spec, &e);
      return std::make_pair(std::move(p), e);
    });
    auto future = task.get_future();
    asio::post(spawner, [&task] { task(); });
    auto [process, e] = future.get();
    if (!process && error) *error = e;
    return std::move(process);
  }

  SpawnSpec worker_spec() const {
    SpawnSpec spec{options.python, worker_dir, options.rootdir, options.env};
    // What the worker needs to prepare its pytest session once, before any batch.
    spec.env["FASTEST_ROOTDIR"] = options.rootdir.string();
    if (options.inifile) spec.env["FASTEST_INIFILE"] = options.inifile->string();
    spec.env["FASTEST_PYTEST_ARGS"] = json(options.pytest_args).dump(-1, ' ', false, json::error_handler_t::replace);
    spec.env["FASTEST_CACHE_DIR"] = options.cache_dir.string();
    // FASTEST_IMAGE (the settings' env, or the server's own) overrides: 0 turns the image off.
    if (options.project_image && !options.env.contains("FASTEST_IMAGE") && !std::getenv("FASTEST_IMAGE"))
      spec.env["FASTEST_IMAGE"] = "1";
    return spec;
  }

  bool spawn(Slot& slot, std::string* error) {
    SpawnSpec spec = worker_spec();
    slot = Slot{};
    slot.process = spawn_on_spawner(spec, error);
    if (!slot.process) return false;
    slot.state = Slot::State::Starting;
    slot.started_at = Clock::now();
    return true;
  }

  // Waits until one worker is ready; false (with the first fatal message) when none can be.
  // The others join the run as their own start-up ends: workers starting at once compete for
  // the cores and finish seconds-apart on a busy machine, and waiting for the last one idled
  // the first (docs/execution.md, "Start-up").
  bool wait_ready(std::string* error) {
    auto deadline = Clock::now() + kStartTimeout;
    while (true) {
      bool any_starting = false, any_ready = false;
      for (Slot& s : slots) {
        any_starting |= s.state == Slot::State::Starting;
        any_ready |= s.state == Slot::State::Idle || s.state == Slot::State::Busy;
      }
      if (any_ready) return true;
      if (cancel_requested) {  // a run cancelled while its workers start does not wait for them
        if (error) *error = "cancelled while the Python workers started";
        return false;
      }
      if (!any_starting) {
        for (Slot& s : slots)
          if (!s.fatal.empty()) {
            if (error) *error = s.fatal;
            return false;
          }
        if (error) *error = "the Python workers exited during start-up";
        return false;
      }
      if (Clock::now() > deadline) {
        if (error) *error = "the Python workers did not start within 60 s";
        return false;
      }
      poll_once(200, nullptr, nullptr);
    }
  }

  // --- one poll round -------------------------------------------------------------------
  struct RunState {
    RunObserver* observer = nullptr;
    const RunRequest* request = nullptr;
    RunSummary* summary = nullptr;
    std::deque<Batch>* queue = nullptr;
    DurationHistory* history = nullptr;
    size_t failures = 0;
    bool stopping = false;
  };

  void poll_once(int timeout_ms, RunState* run, std::vector<std::string>* /*unused*/) {
    std::vector<pollfd> fds;
    std::vector<std::pair<size_t, int>> owners;  // slot index, 0 = events, 1 = stderr
    for (size_t i = 0; i < slots.size(); ++i) {
      Slot& s = slots[i];
      if (s.state == Slot::State::Dead || !s.process) continue;
      fds.push_back({s.process->event_fd(), POLLIN, 0});
      owners.emplace_back(i, 0);
      fds.push_back({s.process->stderr_fd(), POLLIN, 0});
      owners.emplace_back(i, 1);
    }
    if (wake_pipe[0] >= 0) {
      fds.push_back({wake_pipe[0], POLLIN, 0});
      owners.emplace_back(SIZE_MAX, 2);
    }
    int n = ::poll(fds.data(), fds.size(), timeout_ms);
    if (n <= 0) return;
    for (size_t k = 0; k < fds.size(); ++k) {
      if (!fds[k].revents) continue;
      auto [index, kind] = owners[k];
      if (kind == 2) {
        char buf[64];
        while (::read(wake_pipe[0], buf, sizeof buf) > 0) {}
        continue;
      }
      Slot& s = slots[index];
      if (!s.process) continue;
      if (kind == 1) {
        s.process->drain_stderr();
        continue;
      }
      std::vector<std::string> lines;
      bool alive = s.process->read_lines(lines);
      for (const std::string& line : lines) {
        if (!s.process) break;  // refused (another protocol version): the rest is not read
        handle_line(s, line, run);
      }
      if (!alive) worker_died(s, run);
    }
  }

  // --- events -----------------------------------------------------------------------------
  void handle_line(Slot& s, const std::string& line, RunState* run) {
    // Not an event (a worker bug, or test code writing to our fd): skipped.
    std::optional<wire::Event> event = wire::decode_event(line);
    if (!event) return;
    if (auto* ready = std::get_if<wire::Ready>(&*event)) return on_ready(s, *ready);
    if (auto* image = std::get_if<wire::ImageStatus>(&*event)) return on_image(s, *image);
    if (auto* fatal = std::get_if<wire::Fatal>(&*event)) {
      s.fatal = fatal->message;
      return;
    }
    if (wire::batch_of(*event) != s.batch) return;  // a late event from an abandoned batch
    std::visit([&](const auto& e) { on(s, e, run); }, *event);
  }

  void on_ready(Slot& s, const wire::Ready& ready) {
    if (ready.protocol != wire::kWorkerProtocolVersion) {
      // A worker package from another build would be misread: refused, with where it came from.
      s.fatal = "the Python worker in " + worker_dir.string() + " speaks protocol version " +
                std::to_string(ready.protocol) + ", this fastest speaks version " +
                std::to_string(wire::kWorkerProtocolVersion) +
                " (a worker package from another build: reinstall fastest, or unset FASTEST_WORKER_DIR)";
      s.process.reset();
      s.state = Slot::State::Dead;
      return;
    }
    s.process->adopt(ready.pid);
    if (s.state == Slot::State::Starting) s.state = Slot::State::Idle;
  }

  void on_image(Slot& s, const wire::ImageStatus& image) {
    int pid = s.process ? s.process->pid() : -1;
    if (image.state == "unsafe" || image.state == "failed")
      spdlog::warn("worker {}: project image {}: {}", pid, image.state, image.message);
    else
      spdlog::info("worker {}: project image {}: {}", pid, image.state, image.message);
  }

  void on(Slot&, const wire::Ready&, RunState*) {}  // handled by on_ready
  void on(Slot&, const wire::ImageStatus&, RunState*) {}  // handled by on_image
  void on(Slot&, const wire::Fatal&, RunState*) {}
  void on(Slot& s, const wire::ChildStarted& e, RunState*) {
    s.process->set_child_group(e.pid);
    if (cancel_requested) s.process->kill_child();
  }
  void on(Slot& s, const wire::TestStarted& e, RunState* run) {
    s.running = e.id;
    s.running_since = Clock::now();
    if (run && run->observer) run->observer->on_started(e.id);
  }
  void on(Slot& s, const wire::TestFinished& e, RunState* run) {
    s.running.reset();
    deliver(s, e.result, run);
  }
  void on(Slot& s, const wire::Collected& e, RunState* run) {
    if (!run || !run->observer) return;
    run->observer->on_collected(e.ids);
    run->observer->on_batch_collected(s.ids);
  }
  void on(Slot& s, const wire::ImportedFiles& e, RunState* run) {
    if (run && run->observer && !s.early_collection) run->observer->on_imported_files(e.files);
  }
  void on(Slot& s, const wire::CollectSkip& e, RunState* run) {
    if (s.early_collection) return;
    s.collect_skips.emplace_back(e.id, e.reason);
    if (run && run->observer) run->observer->on_collection_skip(e.id, e.path, e.line, e.reason);
  }
  void on(Slot& s, const wire::WarningRecorded& e, RunState* run) {
    if (run && run->observer && !s.early_collection) run->observer->on_warning(e.location, e.message);
  }
  void on(Slot& s, const wire::Deselected& e, RunState* run) {
    if (s.early_collection) return;
    // A deselected test was accounted for: a container whose tests pytest's -k/-m all
    // deselected is not "not found at run time".
    s.reported.insert(s.reported.end(), e.ids.begin(), e.ids.end());
    if (run && run->observer) run->observer->on_deselected(e.ids);
  }
  void on(Slot& s, const wire::CollectError& e, RunState* run) {
    s.collect_errors.emplace_back(e.id, e.longrepr);
    if (!run) return;
    run->summary->collection_errors.push_back(e.id + ": " + e.longrepr);
    if (run->observer) {
      run->observer->on_collection_error_reason(e.id, e.crash);
      run->observer->on_collection_error(e.id, e.longrepr);
    }
    if (run->request->stop_on_collection_error) {
      run->stopping = true;
      cancel_requested = true;
    }
  }
  void on(Slot& s, const wire::CoverageData& e, RunState* run) {
    if (run && !s.early_collection) run->summary->coverage.insert(run->summary->coverage.end(), e.files.begin(), e.files.end());
  }
  void on(Slot&, const wire::DebugListening& e, RunState* run) {
    if (run && run->observer) run->observer->on_debug_listening(e.port);
  }
  void on(Slot& s, const wire::BatchError& e, RunState* run) {
    s.batch_error = e.message;
    s.batch_error_summary = e.summary;
    if (!run || !run->observer) return;
    if (e.usage_error) {
      if (e.after_collection) run->observer->on_late_usage_error(*e.usage_error);
      else run->observer->on_usage_error(*e.usage_error);
    }
    if (e.internal_error) run->observer->on_internal_error(*e.internal_error);
  }
  void on(Slot& s, const wire::Interrupted& e, RunState*) {
    Interruption what = e.what;
    if (what.test_id.empty() && s.running) what.test_id = *s.running;
    s.interrupted = std::move(what);
  }
  void on(Slot& s, const wire::BatchDone& e, RunState* run) { batch_finished(s, e.signal, e.exit, run); }

  void deliver(Slot& s, const TestResult& r, RunState* run) {
    s.reported.push_back(r.id);
    if (!run) return;
    run->summary->counts[r.counted_as.value_or(r.outcome)]++;
    run->summary->subtests_passed += static_cast<size_t>(r.subtests_passed);
    for (const SubtestReport& sub : r.subtests)
      if (sub.outcome == Outcome::Failed) run->summary->counts[Outcome::Failed]++;
    if (r.outcome != Outcome::Crashed && r.outcome != Outcome::Timeout) run->history->record(r.id, r.duration_s);
    if (run->observer) run->observer->on_result(r);
    if (is_failure(r.outcome)) {
      run->failures++;
      if (run->request->maxfail > 0 && run->failures >= static_cast<size_t>(run->request->maxfail)) {
        run->stopping = true;
        cancel_requested = true;
      }
    }
  }

  static std::map<std::string, std::vector<std::string>> modules_of(const std::vector<std::string>& ids) {
    std::map<std::string, std::vector<std::string>> out;
    for (const std::string& id : ids) out[module_of(id)].push_back(id);
    return out;
  }

  bool was_reported(const Slot& s, const std::string& id) const {
    for (const std::string& r : s.reported)
      if (covers(id, r)) return true;
    return false;
  }

  // The batch's child ended: settle what it was running and what it never reached.
  void batch_finished(Slot& s, int signal, int exit_code, RunState* run) {
    // A child that raised (batch_error) failed deterministically: running it again cannot help.
    bool abnormal = s.batch_error.empty() &&
                    (signal != 0 || (exit_code != 0 && exit_code != 1 && exit_code != 2 && exit_code != 4 && exit_code != 5));
    std::string death = signal ? "the test process was killed by " + signal_name(signal)
                               : "the test process exited with status " + std::to_string(exit_code);
    if (s.interrupted && run) settle_interruption(s, *s.interrupted, run);
    if (s.running && run) {
      TestResult r;
      r.id = *s.running;
      r.duration_s = std::chrono::duration<double>(Clock::now() - s.running_since).count();
      if (s.timed_out) {
        r.outcome = Outcome::Timeout;
        r.message = "timed out after " + std::to_string(run->request->timeout_s) + " s; the test was killed";
      } else {
        r.outcome = Outcome::Crashed;
        r.message = signal ? death : death + " mid-test";
      }
      s.running.reset();
      // A test stopped by a cancel (or by -x elsewhere) has no verdict: it is simply not run.
      if (!s.cancelled || s.timed_out) deliver(s, r, run);
    }
    std::vector<std::string> remaining;
    const std::unordered_set<std::string> reported(s.reported.begin(), s.reported.end());  // most answer themselves
    for (const std::string& id : s.ids)
      if (!reported.count(id) && !was_reported(s, id)) remaining.push_back(id);
    if (run && !remaining.empty() && !cancel_requested && !s.early_collection) {
      if (s.interrupted && !s.interrupted->test_id.empty()) {
        // The interrupted test has its verdict: the rest of the batch runs in a new session.
        run->queue->push_front(Batch{remaining, 0});
      } else if ((abnormal || s.timed_out) && !s.reported.empty()) {
        // The child died mid-batch: run the rest again, first.
        run->queue->push_front(Batch{remaining, 0});
      } else if (abnormal && modules_of(remaining).size() > 1) {
        // It died before reporting any test (while collecting): find the module that kills it.
        for (auto& [module, ids] : modules_of(remaining)) run->queue->push_front(Batch{ids, 0});
      } else if (abnormal) {
        // One module's collection kills the process: again would die the same way.
        for (const std::string& id : remaining) {
          TestResult r;
          r.id = id;
          r.outcome = Outcome::Crashed;
          r.message = death + " before running any test of its batch";
          deliver(s, r, run);
        }
      } else {
        for (const std::string& id : remaining) {
          TestResult r;
          r.id = id;
          r.outcome = Outcome::Errored;
          std::string module = module_of(id);
          for (auto& [where, text] : s.collect_errors)
            if (where == module || covers(where, id) || where.empty()) {
              r.message = "collection error";
              r.longrepr = text;
              r.uncollected = true;
            }
          for (auto& [where, reason] : s.collect_skips)
            if (r.message.empty() && (where == module || covers(where, id))) {
              // Skipped at import (importorskip, allow_module_level): pytest counts the module
              // once; each of its tests shows as skipped with the module's reason.
              r.outcome = Outcome::Skipped;
              r.message = reason;
              r.uncollected = true;
            }
          if (r.message.empty() && s.interrupted) {  // interrupted while collecting: no test ran
            r.message = s.interrupted->message;
            r.longrepr = s.interrupted->longrepr;
          }
          if (r.message.empty()) {
            r.message = s.batch_error.empty() ? "pytest did not run this test (not found at run time)" : s.batch_error_summary;
            r.longrepr = s.batch_error;
          }
          deliver(s, r, run);
        }
      }
    }
    s.state = Slot::State::Idle;
    s.batch = -1;
    s.ids.clear();
    s.reported.clear();
    s.collect_errors.clear();
    s.collect_skips.clear();
    s.batch_error.clear();
    s.batch_error_summary.clear();
    s.interrupted.reset();
    s.timed_out = false;
    s.cancelled = false;
    s.early_collection = false;
    s.process->set_child_group(-1);
  }

  // A test raised KeyboardInterrupt (or called pytest.exit()) and pytest ended the batch's
  // session. Asked to behave as pytest, the run stops there and that test has no verdict (pytest
  // gives it none); otherwise it fails with its traceback and batch_finished runs the rest again.
  void settle_interruption(Slot& s, const Interruption& what, RunState* run) {
    if (run->request->stop_on_interrupt) {
      if (!run->summary->interrupted) run->summary->interrupted = what;
      run->stopping = true;
      cancel_requested = true;
      s.running.reset();
      return;
    }
    if (what.test_id.empty()) return;
    TestResult r;
    r.id = what.test_id;
    r.outcome = Outcome::Failed;
    r.message = what.message;
    r.longrepr = what.longrepr;
    r.crash_line = what.crash_line;
    r.location = what.location;
    if (s.running && *s.running == what.test_id)
      r.duration_s = std::chrono::duration<double>(Clock::now() - s.running_since).count();
    s.running.reset();
    deliver(s, r, run);
  }

  void worker_died(Slot& s, RunState* run) {
    if (s.process) s.process->drain_stderr();
    std::string tail = s.process ? s.process->stderr_tail() : "";
    if (s.state == Slot::State::Starting && s.fatal.empty()) {
      s.fatal = "the Python worker (" + options.python.string() + ") exited during start-up";
      if (!tail.empty()) s.fatal += ":\n" + tail;
    }
    bool was_busy = s.state == Slot::State::Busy;
    if (was_busy) batch_finished(s, SIGKILL, 0, run);
    s.process.reset();
    s.state = Slot::State::Dead;
    if (!s.fatal.empty() && !was_busy) return;
    // Replace it so the pool stays full.
    std::string error;
    if (!spawn(s, &error)) s.fatal = error;
  }

  // Per module, how many of the request's ids it has (to know when a batch holds them all).
  std::map<std::string, size_t> ids_per_module;

  std::vector<std::string> compress(const std::vector<std::string>& ids, const RunRequest& request) const {
    if (request.whole_modules.empty()) return ids;
    std::map<std::string, size_t> in_batch;
    for (const std::string& id : ids) in_batch[module_of(id)]++;
    std::vector<std::string> out;
    std::set<std::string> emitted;
    for (const std::string& id : ids) {
      std::string module = module_of(id);
      auto total = ids_per_module.find(module);
      if (request.whole_modules.count(module) && total != ids_per_module.end() && total->second == in_batch[module]) {
        if (emitted.insert(module).second) out.push_back(module);
      } else {
        out.push_back(id);
      }
    }
    return out;
  }

  // False when the batch could not be sent (see undelivered).
  bool dispatch(Slot& s, Batch batch, const RunRequest& request) {
    s.batch = next_batch++;
    s.ids = batch.ids;  // accounting is per test, even when pytest is handed whole modules
    s.early_collection = batch.collect_only && !request.collect_only;
    batch.ids = compress(batch.ids, request);
    s.reported.clear();
    s.running.reset();
    wire::RunCommand command;
    command.batch = s.batch;
    command.rootdir = options.rootdir.string();
    if (options.inifile) command.inifile = options.inifile->string();
    command.ids = std::move(batch.ids);
    command.pytest_args = options.pytest_args;
    command.overlays = request.overlays;
    command.collect_only = request.collect_only || batch.collect_only;
    command.coverage = request.kind == RunKind::Coverage;
    command.debug_port = request.kind == RunKind::Debug ? request.debug_port : 0;
    s.state = Slot::State::Busy;
    return s.process->send_line(wire::encode(command));
  }

  // The worker could not be handed `batch` (it died since it was last seen): the slot gets a new
  // worker and the batch goes back to the front of the queue; after kMaxSendFailures such
  // failures its tests are reported crashed, never silently dropped.
  static constexpr int kMaxSendFailures = 3;
  void undelivered(Slot& s, Batch batch, RunState& run) {
    s.state = Slot::State::Idle;  // nothing ran: no batch to settle
    s.batch = -1;
    s.ids.clear();
    worker_died(s, nullptr);
    if (++batch.send_failures < kMaxSendFailures) {
      run.queue->push_front(std::move(batch));
      return;
    }
    if (batch.collect_only) return;  // the batches that run its modules collect them too
    for (const std::string& id : batch.ids) {
      TestResult r;
      r.id = id;
      r.outcome = Outcome::Crashed;
      r.message = "no Python worker could be handed this test (each died before its batch was sent)";
      deliver(s, r, &run);
    }
  }

  RunSummary run(const RunRequest& request, RunObserver& observer) {
    auto t0 = Clock::now();
    RunSummary summary;
    // cancel_requested is cleared when a run ends, not when it starts: a cancel that lands
    // while the run is being set up still stops it.
    DurationHistory history(options.durations_path);
    // A history that cannot be read or written costs the schedule its estimates, never the run.
    std::string history_warning;
    history.load(&history_warning);
    if (!history_warning.empty()) summary.warnings.push_back(std::move(history_warning));
    SchedulerOptions sched;
    sched.workers = static_cast<int>(slots.size());
    int usable = 0;
    for (Slot& s : slots) usable += s.state != Slot::State::Dead;
    if (usable == 0) {
      std::string error;
      if (!start_workers(&error)) {
        summary.fatal_error = error;
        return summary;
      }
    }
    std::vector<Batch> planned = plan_in_priority_order(request, history.durations(), sched);
    // A collection is one pytest session, as pytest's own: its order is pytest's (higher-scoped
    // parametrized fixtures regroup items across modules), and one fork is cheaper than many.
    // pytest collects its arguments in the order given.
    if (request.collect_only && !planned.empty()) {
      planned = {Batch{request.ids, 0}};
    } else if (request.kind == RunKind::Debug && !planned.empty()) {
      // One process for the debugger to attach to.
      Batch all;
      for (auto& b : planned) all.ids.insert(all.ids.end(), b.ids.begin(), b.ids.end());
      planned = {all};
    }
    ids_per_module.clear();
    for (const std::string& id : request.ids) ids_per_module[module_of(id)]++;
    // Output held until every module is collected: the waiting batches' modules first (early_collection.h).
    const bool collect_early = request.collect_everything_early && !request.collect_only && request.kind == RunKind::Run;
    bool collecting_early = false;
    if (collect_early) {
      const size_t planned_batches = planned.size();
      planned = with_early_collection(std::move(planned), sched.workers, sched.max_modules_per_batch);
      collecting_early = planned.size() != planned_batches;
    }
    std::deque<Batch> queue(planned.begin(), planned.end());
    RunState state;
    state.observer = &observer;
    state.request = &request;
    state.summary = &summary;
    state.queue = &queue;
    state.history = &history;

    bool cancel_handled = false;
    const bool throttle_reads = throttles_event_reads(request.ids, slots.size());
    auto last_read = Clock::now();
    while (true) {
      if (collect_early && !collecting_early && Clock::now() - t0 >= kHoldBeforeCollectingEarly) {
        collecting_early = true;  // the caller has held its output long enough
        // Worker time per test so far: trivial tests end soon after; collecting twice would cost more.
        const double elapsed_s = std::chrono::duration<double>(Clock::now() - t0).count();
        const double per_test_s = elapsed_s * static_cast<double>(slots.size()) /
                                  static_cast<double>(std::max<size_t>(summary.total(), 1));
        if (tests_worth_collecting_early(per_test_s)) {
          std::vector<Batch> early = early_collection(queue, sched.max_modules_per_batch);
          queue.insert(queue.begin(), early.begin(), early.end());
        }
      }
      if (cancel_requested && !cancel_handled) {
        cancel_handled = true;
        summary.cancelled = !state.stopping;
        queue.clear();
        for (Slot& s : slots)
          if (s.state == Slot::State::Busy && s.process) {
            s.cancelled = true;
            s.process->kill_child();
          }
      }
      for (Slot& s : slots) {
        if (queue.empty() || cancel_requested) break;
        if (s.state == Slot::State::Idle) {
          Batch b = std::move(queue.front());
          queue.pop_front();
          if (!dispatch(s, b, request)) undelivered(s, std::move(b), state);
        }
      }
      bool busy = false;
      bool any_usable = false;
      for (Slot& s : slots) {
        busy |= s.state == Slot::State::Busy;
        any_usable |= s.state == Slot::State::Idle || s.state == Slot::State::Starting;
      }
      if (!busy && (queue.empty() || cancel_requested)) break;
      // A worker still starting long after the run began is hung: the others carry on.
      for (Slot& s : slots)
        if (s.state == Slot::State::Starting && Clock::now() - s.started_at > kStartTimeout) {
          s.fatal = "the Python worker did not start within 60 s";
          s.process.reset();
          s.state = Slot::State::Dead;
        }
      if (!busy && !any_usable) {
        summary.fatal_error = "every worker died and none could be restarted";
        for (Slot& s : slots) if (!s.fatal.empty()) summary.fatal_error += ": " + s.fatal;
        break;
      }
      int timeout_ms = 500;
      if (request.timeout_s > 0) {
        for (Slot& s : slots) {
          if (s.state != Slot::State::Busy || !s.running || s.timed_out) continue;
          double left = request.timeout_s - std::chrono::duration<double>(Clock::now() - s.running_since).count();
          if (left <= 0) {
            s.timed_out = true;
            s.process->kill_child();
          } else {
            timeout_ms = std::min(timeout_ms, static_cast<int>(left * 1000) + 1);
          }
        }
      }
      if (busy && throttle_reads) {
        auto wait = last_read + kEventReadInterval - Clock::now();
        if (wait > Clock::duration::zero()) {
          std::this_thread::sleep_for(wait);
          timeout_ms = std::max(0, timeout_ms - static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(wait).count()));
        }
      }
      poll_once(timeout_ms, &state, nullptr);
      last_read = Clock::now();
    }
    if (history_warning.clear(); !history.save(&history_warning)) summary.warnings.push_back(std::move(history_warning));
    summary.duration_s = std::chrono::duration<double>(Clock::now() - t0).count();
    cancel_requested = false;
    return summary;
  }

  bool start_workers(std::string* error, bool wait = true) {
    std::error_code ec;
    if (!fs::exists(options.python, ec)) {
      if (error) *error = "Python interpreter not found: " + options.python.string() +
                          " (pass --python, activate a virtualenv, or create .venv)";
      return false;
    }
    if (slots.size() != static_cast<size_t>(options.workers)) slots = std::vector<Slot>(options.workers);
    bool all_dead = true;
    for (Slot& s : slots) all_dead &= s.state == Slot::State::Dead;
    const char* no_pool = std::getenv("FASTEST_NO_WORKER_POOL");  // each worker starts its own interpreter
    if (all_dead && slots.size() > 1 && slots.size() <= WorkerProcess::kMaxPoolWorkers && !(no_pool && *no_pool)) {
      // A fresh pool: one interpreter start-up forked into every worker, instead of N
      // start-ups competing for the cores. A worker that dies later is replaced on its own.
      SpawnSpec spec = worker_spec();
      std::string pool_error;  // not fatal: the workers then start one by one
      std::packaged_task<WorkerProcess::Pool()> task([&] { return WorkerProcess::spawn_pool(spec, static_cast<int>(slots.size()), &pool_error); });
      auto future = task.get_future();
      asio::post(spawner, [&task] { task(); });
      WorkerProcess::Pool spawned = future.get();
      // Without a pool (out of pipes or fds), each worker starts on its own below.
      if (spawned.pool) {
        pool = std::move(spawned.pool);
        for (size_t i = 0; i < slots.size(); ++i) {
          slots[i] = Slot{};
          slots[i].process = std::move(spawned.workers[i]);
          slots[i].state = Slot::State::Starting;
          slots[i].started_at = Clock::now();
        }
      }
    }
    for (Slot& s : slots) {
      if (s.state != Slot::State::Dead) continue;
      if (!spawn(s, error)) return false;
    }
    return !wait || wait_ready(error);
  }
};

ExecutionEngine::ExecutionEngine(EngineOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
ExecutionEngine::~ExecutionEngine() = default;

bool ExecutionEngine::start(std::string* error) { return impl_->start_workers(error); }

bool ExecutionEngine::launch(std::string* error) { return impl_->start_workers(error, /*wait=*/false); }

RunSummary ExecutionEngine::run(const RunRequest& request, RunObserver& observer) {
  return impl_->run(request, observer);
}

void ExecutionEngine::cancel() {
  impl_->cancel_requested = true;
  if (impl_->wake_pipe[1] >= 0) {
    char c = 1;
    [[maybe_unused]] ssize_t n = ::write(impl_->wake_pipe[1], &c, 1);
  }
}

void ExecutionEngine::clear_cancel() { impl_->cancel_requested = false; }

void ExecutionEngine::shutdown() { impl_->slots.clear(); }

int ExecutionEngine::worker_count() const { return static_cast<int>(impl_->slots.size()); }

}  // namespace fastest
