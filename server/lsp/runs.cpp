// Runs for the editor: fastest/runTests starts a thread per run against each root's warm
// engine; results stream back as fastest/testStateChanged, failures become diagnostics.
#include "server/lsp/server_state.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <set>
#include <sstream>

#include <asio/post.hpp>
#include <spdlog/spdlog.h>

#include "server/core/node_id.h"
#include "server/execution/run_plan.h"
#include "server/lsp/uri.h"
#include "server/workspace/interpreter.h"

namespace fastest::lsp {
namespace {

bool is_safe_id(const std::string& id) {
  if (id.empty() || id[0] == '/') return false;
  std::string path = id.substr(0, id.find("::"));
  std::stringstream ss(path);
  std::string part;
  while (std::getline(ss, part, '/'))
    if (part == "..") return false;
  return true;
}

int free_loopback_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
    port = ntohs(addr.sin_port);
  ::close(fd);
  return port;
}

bool has_python_package(const std::optional<fs::path>& python, const std::string& package) {
  if (!python) return false;
  auto interpreter = find_interpreter("/", python->string());
  if (!interpreter) return false;
  std::error_code ec;
  for (const fs::path& sp : interpreter->site_packages)
    if (fs::exists(sp / package, ec)) return true;
  return false;
}

}  // namespace

using protocol::RpcError;

std::vector<std::string> LspServer::State::leaves_under(Root& root, const std::string& id) {
  std::vector<std::string> out;
  auto under = [&](const std::string& leaf) {
    return leaf == id || leaf.rfind(id + "::", 0) == 0 || leaf.rfind(id + "[", 0) == 0 ||
           (leaf.rfind(id + "/", 0) == 0);
  };
  for (auto& [module, items] : root.file_items) {
    if (!(module == id || under(module) || id.rfind(module + "::", 0) == 0 || id.rfind(module, 0) == 0 ||
          module.rfind(id, 0) == 0))
      continue;
    std::set<std::string> parents_with_cases;
    for (const TestItem& item : items)
      if (item.kind == ItemKind::Case) parents_with_cases.insert(std::string(item.parent_id()));
    for (const TestItem& item : items) {
      bool leaf = item.kind == ItemKind::Case || (item.kind == ItemKind::Function && !parents_with_cases.count(item.id));
      if (leaf && under(item.id)) out.push_back(item.id);
    }
  }
  if (id.empty()) {
    for (auto& [module, items] : root.file_items) {
      std::set<std::string> with_cases;
      for (const TestItem& item : items) if (item.kind == ItemKind::Case) with_cases.insert(std::string(item.parent_id()));
      for (const TestItem& item : items)
        if (item.kind == ItemKind::Case || (item.kind == ItemKind::Function && !with_cases.count(item.id)))
          out.push_back(item.id);
    }
  }
  return out;
}

std::string LspServer::State::root_uri(const Root& root) { return path_to_uri(root.folder.string()); }

LspServer::State::TestRef LspServer::State::test_ref(const json& entry) {
  if (entry.is_string()) return {entry.get<std::string>(), std::nullopt};
  if (!entry.is_object() || !entry.contains("id") || !entry["id"].is_string())
    throw RpcError(protocol::kInvalidParams, "a test is a node id or {id, rootUri}: " + entry.dump(-1, ' ', false, json::error_handler_t::replace));
  TestRef ref{entry["id"].get<std::string>(), std::nullopt};
  auto text = [&](const char* key) { return entry.contains(key) && entry[key].is_string() ? entry[key].get<std::string>() : ""; };
  if (std::string uri = text("rootUri"); !uri.empty()) {
    auto path = uri_to_path(uri);
    for (auto& root : roots)
      if (path && fs::path(*path).lexically_normal() == root->folder.lexically_normal()) ref.root_key = root->key;
    if (!ref.root_key) throw RpcError(protocol::kInvalidParams, "no workspace folder " + uri);
  } else if (std::string uri = text("uri"); !uri.empty()) {  // an item's file (or folder)
    auto path = uri_to_path(uri);
    std::shared_ptr<Root> root = path ? root_for(*path) : nullptr;
    if (!root) throw RpcError(protocol::kInvalidParams, "file outside the workspace: " + uri);
    ref.root_key = root->key;
  }
  return ref;
}

// What to hand pytest for a target's leaves, by the rule `fastest run` uses (run_plan.h): a
// dynamic container the client asked for (or something above it) goes whole, unless the client
// excluded something inside it; a case that may be a guess (dynamic, or settled before the
// last edit) goes as its function; modules whose every leaf is selected go as modules.
void LspServer::State::plan_target(const Root& root, const std::vector<TestRef>& include,
                                   const std::vector<TestRef>& exclude, Target& t) {
  auto asked = [&](const std::vector<TestRef>& refs, const std::string& id, bool container_of_id) {
    return std::any_of(refs.begin(), refs.end(), [&](const TestRef& ref) {
      if (ref.root_key && *ref.root_key != root.key) return false;
      return container_of_id ? node_id_covers(id, ref.id) : node_id_covers(ref.id, id);
    });
  };
  std::vector<std::string> candidates;
  for (const auto* list : {&root.collection.dynamic_folders, &root.collection.dynamic_containers})
    for (const std::string& id : *list)
      if (asked(include, id, false) && !asked(exclude, id, true) && !asked(exclude, id, false)) candidates.push_back(id);
  std::vector<std::string> containers = outermost_containers(std::move(candidates));
  std::set<std::string> modules;
  for (const std::string& leaf : t.ids) modules.insert(leaf.substr(0, leaf.find("::")));
  std::vector<TestItem> items;  // the modules involved, in the tree's order
  for (const std::string& module : modules)
    if (auto it = root.file_items.find(module); it != root.file_items.end())
      items.insert(items.end(), it->second.begin(), it->second.end());
  t.run_ids = runnable_ids(items, t.ids, containers);
  bool node_ids = std::any_of(include.begin(), include.end(), [](const TestRef& ref) { return ref.id.find("::") != std::string::npos; });
  if (!node_ids && exclude.empty()) t.whole_modules = modules_selected_whole(items, t.ids);
}

std::vector<LspServer::State::Target> LspServer::State::resolve_targets(const std::vector<TestRef>& include, const std::vector<TestRef>& exclude) {
  std::vector<Target> targets;
  auto in = [](const TestRef& ref, const Root& root) { return !ref.root_key || *ref.root_key == root.key; };
  for (auto& root : roots) {
    Target t{snapshot(*root, settings), root_uri(*root), {}, {}, {}, {}};
    std::set<std::string> seen;
    for (const TestRef& ref : include) {
      if (!in(ref, *root)) continue;
      for (const std::string& leaf : leaves_under(*root, ref.id))
        if (seen.insert(leaf).second) t.ids.push_back(leaf);
    }
    std::vector<std::string> kept;
    for (const std::string& leaf : t.ids) {
      bool excluded = false;
      for (const TestRef& ref : exclude) {
        const std::string& ex = ref.id;
        excluded |= in(ref, *root) && (leaf == ex || leaf.rfind(ex + "::", 0) == 0 || leaf.rfind(ex + "[", 0) == 0 ||
                                       leaf.rfind(ex + "/", 0) == 0);
      }
      if (!excluded) kept.push_back(leaf);
    }
    t.ids = kept;
    plan_target(*root, include, exclude, t);
    if (!t.ids.empty() || !t.run_ids.empty()) targets.push_back(std::move(t));
  }
  return targets;
}

json LspServer::State::start_run(const std::vector<TestRef>& include, const std::vector<TestRef>& exclude, RunKind kind,
                                 const std::string& continuous_id) {
  if (stopping) throw RpcError(protocol::kInvalidRequest, "the server is shutting down");
  for (const TestRef& ref : include)
    if (!ref.id.empty() && !is_safe_id(ref.id)) throw RpcError(protocol::kInvalidParams, "test id outside the workspace: " + ref.id);
  await_collections();  // the ids resolve against the whole tree
  std::vector<Target> targets = resolve_targets(include, exclude);
  if (targets.empty()) throw RpcError(protocol::kInvalidParams, "no known test matches the given ids");
  if (kind == RunKind::Debug && (targets.size() != 1)) throw RpcError(protocol::kInvalidParams, "debug one root's tests at a time");
  std::string run_id = "run-" + std::to_string(next_run++);
  json enqueued = json::array();
  for (auto& t : targets) for (auto& id : t.ids) enqueued.push_back(id);
  json reply = {{"runId", run_id}, {"enqueued", enqueued}};

  std::map<std::string, std::string> overlays;
  for (auto& [uri, d] : docs)
    if (d.dirty) overlays[d.path.string()] = d.text;
  int debug_port = 0;
  if (kind == RunKind::Debug || kind == RunKind::Coverage) {
    const char* package = kind == RunKind::Debug ? "debugpy" : "coverage";
    for (auto& t : targets) {
      auto p = t.root.options.python.empty() ? std::nullopt : std::optional<fs::path>(t.root.options.python);
      if (!has_python_package(p, package))
        throw RpcError(protocol::kRequestFailed, std::string(package) + " is not installed for " +
                                                     (p ? p->string() : std::string("python")) + ": run `" +
                                                     (p ? p->string() : std::string("python")) + " -m pip install " + package + "`");
    }
    if (kind == RunKind::Debug) {
      debug_port = free_loopback_port();
      reply["debug"] = {{"type", "python"}, {"request", "attach"}, {"name", "fastest: " + targets.front().ids.front()},
                        {"connect", {{"host", "127.0.0.1"}, {"port", debug_port}}},
                        {"justMyCode", false}};
    }
  }
  // A cycle of an armed run is started by the server: the client learns its id here, before
  // any of its notifications.
  if (!continuous_id.empty()) {
    for (Target& t : targets) t.first = last_failed_among(t);
    writer.notify("fastest/runStarted", {{"runId", run_id}, {"continuousRunId", continuous_id}, {"enqueued", enqueued}});
  }
  for (const Target& t : targets)
    for (const std::string& id : t.ids)
      writer.notify("fastest/testStateChanged", {{"runId", run_id}, {"id", id}, {"rootUri", t.root_uri}, {"state", "enqueued"}});

  auto info = std::make_unique<RunInfo>();
  info->id = run_id;
  RunInfo* raw = info.get();
  Settings settings_copy = settings;
  bool progress = client_progress;
  // The run list is locked before the thread starts: it may finish (and be reaped) at once.
  std::lock_guard<std::mutex> lock(runs_mutex);
  info->thread = std::thread([this, raw, targets, overlays, kind, debug_port, settings_copy, progress]() mutable {
    // A run thread must never take the server down: any failure ends the run with an error.
    try {
      execute_run(*raw, targets, overlays, kind, debug_port, settings_copy, progress);
    } catch (const std::exception& e) {
      spdlog::error("run {} failed: {}", raw->id, e.what());
      writer.notify("fastest/runFinished", {{"runId", raw->id}, {"counts", json::object()}, {"durationMs", 0},
                                            {"error", std::string("internal error: ") + e.what()}});
      raw->finished = true;
    }
  });
  runs[run_id] = std::move(info);
  return reply;
}

void LspServer::State::record_failure_diagnostic(const TestResult& r, uint64_t root_key) {
  std::string key = std::to_string(root_key) + ":" + r.id;
  // Clear this test's old diagnostic wherever it was.
  for (auto& [uri, per_test] : failure_diagnostics) {
    if (per_test.erase(key)) publish_diagnostics(uri);
  }
  if (!is_failure(r.outcome) || !r.location) return;
  std::string uri = path_to_uri(r.location->path);
  uint32_t line = static_cast<uint32_t>(std::max(0, r.location->line - 1));
  std::string text = text_of(r.location->path);
  LineIndex index(text);
  uint32_t start = index.offset(line, 0, Encoding::Utf8);
  uint32_t end = index.offset(line + 1, 0, Encoding::Utf8);
  std::string line_text = text.substr(start, end > start ? end - start : 0);
  while (!line_text.empty() && (line_text.back() == '\n' || line_text.back() == '\r')) line_text.pop_back();
  size_t indent = line_text.find_first_not_of(" \t");
  if (indent == std::string::npos) indent = 0;
  json diag = {{"range", {{"start", {{"line", line}, {"character", index.character(line, static_cast<uint32_t>(indent), encoding)}}},
                          {"end", {{"line", line}, {"character", index.character(line, static_cast<uint32_t>(line_text.size()), encoding)}}}}},
               {"severity", 1}, {"source", "fastest"},
               {"code", r.id},
               {"message", r.id.substr(r.id.rfind("::") == std::string::npos ? 0 : r.id.rfind("::") + 2) + ": " + r.message}};
  failure_diagnostics[uri][key] = diag;
  publish_diagnostics(uri);
}

std::shared_ptr<ExecutionEngine> EngineSlot::acquire(const EngineOptions& options, const std::string& key,
                                                     std::string* error) {
  std::shared_ptr<ExecutionEngine> stale;  // destroyed outside the lock (it kills its workers)
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closed_) {
      *error = "the workspace folder was removed or the server is stopping";
      return nullptr;
    }
    if (engine_ && key_ == key) return engine_;
    stale = std::move(engine_);
  }
  stale.reset();
  if (options.python.empty()) {
    *error = "no Python interpreter found: set fastest.pythonPath, activate a virtualenv, or create .venv";
    return nullptr;
  }
  // Started outside the lock: it takes an interpreter's start-up, and cancel must not wait.
  auto engine = std::make_shared<ExecutionEngine>(options);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    starting_ = engine;
  }
  const bool started = engine->start(error);
  std::lock_guard<std::mutex> lock(mutex_);
  starting_ = nullptr;
  if (!started) return nullptr;
  if (closed_) {
    *error = "the workspace folder was removed or the server is stopping";
    return nullptr;  // `engine` dies on this thread
  }
  engine_ = engine;
  key_ = key;
  return engine;
}

void EngineSlot::cancel() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (engine_) engine_->cancel();
  if (starting_) starting_->cancel();
}

void EngineSlot::close() {
  std::shared_ptr<ExecutionEngine> engine;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
    engine = std::move(engine_);
    if (starting_) starting_->cancel();  // its start ends at once, and acquire() drops it
  }
  if (engine) engine->cancel();
}

// On a job's thread; the caller holds root.engines->job_mutex.
std::shared_ptr<ExecutionEngine> LspServer::State::engine_for(const RootSnapshot& root, std::string* error) {
  return root.engines->acquire(root.options, root.engine_key, error);
}

class LspServer::State::RunReporter : public RunObserver {
 public:
  RunReporter(State& s, std::string run_id, uint64_t root_key, std::string root_uri, size_t total, bool progress)
      : s_(s), run_id_(std::move(run_id)), root_key_(root_key), root_uri_(std::move(root_uri)), total_(total), progress_(progress) {}
  void on_started(const std::string& id) override {
    s_.writer.notify("fastest/testStateChanged", {{"runId", run_id_}, {"id", id}, {"rootUri", root_uri_}, {"state", "started"}});
  }
  void on_result(const TestResult& r) override {
    json msg = {{"runId", run_id_}, {"id", r.id}, {"rootUri", root_uri_}, {"state", to_string(r.outcome)},
                {"durationMs", static_cast<int64_t>(r.duration_s * 1000)}};
    if (!r.message.empty() || !r.longrepr.empty()) {
      json m = {{"message", r.longrepr.empty() ? r.message : r.longrepr}};
      if (r.expected) m["expected"] = *r.expected;
      if (r.actual) m["actual"] = *r.actual;
      if (r.location) m["location"] = location_json(*r.location);
      msg["messages"] = json::array({m});
    }
    std::string output = r.stdout_text + r.stderr_text;
    if (!output.empty()) msg["output"] = {{"text", output}};
    s_.writer.notify("fastest/testStateChanged", msg);
    results_.push_back(r);
    ++done_;
    counts_[to_string(r.outcome)]++;
    if (progress_) {
      std::string text = std::to_string(done_) + "/" + std::to_string(std::max(total_, done_));
      for (auto& [k, v] : counts_) text += " " + std::to_string(v) + " " + k;
      s_.writer.notify("$/progress", {{"token", run_id_}, {"value", {{"kind", "report"}, {"message", text},
                                       {"percentage", 100 * done_ / std::max<size_t>(1, std::max(total_, done_))}}}});
    }
    // Posted keyed by root: the root may be gone by the time the io thread reads this.
    asio::post(s_.io, [&s = s_, r, key = root_key_] {
      s.record_failure_diagnostic(r, key);
      auto root = s.find_root(key);
      if (root && r.message != "collection error") s.clear_collection_error(*root, r.id.substr(0, r.id.find("::")));
    });
  }
  // The reply's attach configuration is connectable from now on: debugpy listens (a client that
  // connects before gets a refused connection).
  void on_debug_listening(int port) override {
    s_.writer.notify("fastest/debugListening", {{"runId", run_id_}, {"rootUri", root_uri_}, {"host", "127.0.0.1"}, {"port", port}});
  }
  void on_collection_error(const std::string& id, const std::string& longrepr) override {
    collection_errors_.push_back(id);
    asio::post(s_.io, [&s = s_, key = root_key_, id, longrepr] {
      if (auto root = s.find_root(key)) s.record_collection_error(*root, id.substr(0, id.find("::")), longrepr);
    });
  }
  json location_json(const FailureLocation& loc) const {
    return {{"uri", path_to_uri(loc.path)},
            {"range", {{"start", {{"line", std::max(0, loc.line - 1)}, {"character", 0}}},
                       {"end", {{"line", std::max(0, loc.line - 1)}, {"character", 0}}}}}};
  }

 private:
  State& s_;
  std::string run_id_;
  uint64_t root_key_;
  std::string root_uri_;
  size_t total_;
  bool progress_;
  size_t done_ = 0;
  std::map<std::string, size_t> counts_;

 public:
  std::vector<TestResult> results_;  // for pytest's cache once the run ends
  std::vector<std::string> collection_errors_;
};

void LspServer::State::execute_run(RunInfo& info, std::vector<Target> targets, std::map<std::string, std::string> overlays,
                 RunKind kind, int debug_port, Settings s, bool progress) {
  size_t total = 0;
  for (auto& t : targets) total += t.ids.size();
  if (progress) {
    writer.request("window/workDoneProgress/create", {{"token", info.id}});
    writer.notify("$/progress", {{"token", info.id}, {"value", {{"kind", "begin"}, {"title", "Running " + std::to_string(total) + " tests"},
                                  {"cancellable", true}, {"percentage", 0}}}});
  }
  std::map<std::string, size_t> counts;
  double duration = 0;
  json coverage = json::array();
  std::string error_text;
  for (Target& t : targets) {
    std::lock_guard<std::mutex> lock(t.root.engines->job_mutex);
    {
      // The slot is this run's from now (job_mutex): a cancel reaches the engine even while it
      // starts, and a run cancelled before that starts nothing.
      std::lock_guard<std::mutex> rl(runs_mutex);
      if (info.cancelled) {
        counts["cancelled"] = 1;
        continue;
      }
      info.engines = t.root.engines;
    }
    std::string error;
    std::shared_ptr<ExecutionEngine> engine = engine_for(t.root, &error);
    if (!engine) {
      bool cancelled;
      {
        std::lock_guard<std::mutex> rl(runs_mutex);
        info.engines = nullptr;
        cancelled = info.cancelled;
      }
      if (cancelled) {  // while the workers started: the run ends now, not when they are up
        counts["cancelled"] = 1;
        continue;
      }
      error_text = error;
      for (auto& id : t.ids)
        writer.notify("fastest/testStateChanged", {{"runId", info.id}, {"id", id}, {"rootUri", t.root_uri}, {"state", "errored"},
                                                   {"messages", json::array({{{"message", error}}})}});
      counts["errored"] += t.ids.size();
      continue;
    }
    {
      std::lock_guard<std::mutex> rl(runs_mutex);
      info.engines = t.root.engines;
      if (info.cancelled) engine->cancel();
    }
    RunRequest request;
    request.ids = t.run_ids;
    request.whole_modules = t.whole_modules;
    request.first = t.first;
    request.kind = kind;
    request.timeout_s = s.timeout_s;
    request.overlays = overlays;
    request.debug_port = debug_port;
    RunReporter reporter(*this, info.id, t.root.root_key, t.root_uri, total, progress);
    RunSummary summary = engine->run(request, reporter);
    {
      // Done with the engine: a cancel of this run from now on must not reach the next run.
      std::lock_guard<std::mutex> rl(runs_mutex);
      info.engines = nullptr;
      engine->clear_cancel();
    }
    record_in_pytest_cache(t.root, reporter.results_, reporter.collection_errors_);
    for (auto& [o, n] : summary.counts) counts[to_string(o)] += n;
    duration += summary.duration_s;
    if (!summary.fatal_error.empty()) error_text = summary.fatal_error;
    for (const FileCoverage& fc : summary.coverage)
      coverage.push_back({{"uri", path_to_uri(fc.path)}, {"linesCovered", fc.covered}, {"linesMissed", fc.missed}});
    if (summary.cancelled) counts["cancelled"] = 1;
  }
  json finished = {{"runId", info.id}, {"counts", counts}, {"durationMs", static_cast<int64_t>(duration * 1000)}};
  if (kind == RunKind::Coverage) finished["coverage"] = coverage;
  if (!error_text.empty()) {
    finished["error"] = error_text;
    writer.notify("window/showMessage", {{"type", 1}, {"message", "fastest: " + error_text}});
  }
  writer.notify("fastest/runFinished", finished);
  if (progress) writer.notify("$/progress", {{"token", info.id}, {"value", {{"kind", "end"}}}});
  info.finished = true;
}

void LspServer::State::cancel_run(const std::string& run_id) {
  std::lock_guard<std::mutex> lock(runs_mutex);
  for (auto& [id, info] : runs) {
    if (!run_id.empty() && id != run_id) continue;
    info->cancelled = true;
    if (!info->finished && info->engines) info->engines->cancel();
  }
}

void LspServer::State::reap_finished_runs() {
  {
    std::lock_guard<std::mutex> lock(runs_mutex);
    for (auto it = runs.begin(); it != runs.end();) {
      if (it->second->finished) {
        if (it->second->thread.joinable()) it->second->thread.join();
        it = runs.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto it = settles.begin(); it != settles.end();) {
    if ((*it)->finished) {
      (*it)->thread.join();
      it = settles.erase(it);
    } else {
      ++it;
    }
  }
  for (auto it = graph_jobs.begin(); it != graph_jobs.end();) {
    if ((*it)->finished) {
      if ((*it)->thread.joinable()) (*it)->thread.join();
      it = graph_jobs.erase(it);
    } else {
      ++it;
    }
  }
  for (auto it = collects.begin(); it != collects.end();) {
    if ((*it)->finished) {
      if ((*it)->thread.joinable()) (*it)->thread.join();
      it = collects.erase(it);
    } else {
      ++it;
    }
  }
}

// Every engine is closed first (cancelling whatever job runs on it, refusing new ones), then
// every job is joined: no thread outlives the State it was given.
void LspServer::State::shutdown_everything() {
  stopping = true;
  continuous_runs.clear();
  if (typing_timer) typing_timer->cancel();
  for (auto& root : roots) root->engines->close();
  std::vector<std::unique_ptr<RunInfo>> pending;
  {
    std::lock_guard<std::mutex> lock(runs_mutex);
    for (auto& [id, info] : runs) {
      info->cancelled = true;
      if (info->engines) info->engines->cancel();
      pending.push_back(std::move(info));
    }
    runs.clear();
  }
  for (auto& info : pending)
    if (info->thread.joinable()) info->thread.join();
  for (auto& job : settles)
    if (job->thread.joinable()) job->thread.join();
  settles.clear();
  for (auto& job : graph_jobs) job->cancel = true;
  for (auto& job : graph_jobs)
    if (job->thread.joinable()) job->thread.join();
  graph_jobs.clear();
  for (auto& job : collects) job->cancel = true;
  for (auto& job : collects)
    if (job->thread.joinable()) job->thread.join();
  collects.clear();
}

}  // namespace fastest::lsp
