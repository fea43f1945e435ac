// Continuous runs (VS Code's `supportsContinuousRun`, the Neovim and Emacs watch toggles):
// `fastest/runTests` with `continuous: true` arms a run instead of starting one. Each save (and
// each change on disk) then starts a cycle: the armed selection's tests whose static import
// closure reaches a changed file (import_graph.h), the last failures first, announced by
// `fastest/runStarted` with the armed run's id. With `onType`, a pause in typing starts a cycle
// too, with the buffers' unsaved text. `fastest/cancelRun` with the armed id disarms it.
#include <algorithm>

#include <asio/post.hpp>
#include <spdlog/spdlog.h>

#include "server/core/node_id.h"
#include "server/execution/pytest_cache.h"
#include "server/lsp/server_state.h"
#include "server/lsp/uri.h"
#include "server/workspace/import_resolver.h"

namespace fastest::lsp {
using protocol::RpcError;
namespace {

constexpr auto kTypingPause = std::chrono::milliseconds(400);

}  // namespace

json LspServer::State::arm_continuous(const std::vector<TestRef>& include, const std::vector<TestRef>& exclude,
                                      bool on_type) {
  if (stopping) throw RpcError(protocol::kInvalidRequest, "the server is shutting down");
  await_collections();
  if (resolve_targets(include, exclude).empty())
    throw RpcError(protocol::kInvalidParams, "no known test matches the given ids");
  std::string id = "watch-" + std::to_string(next_run++);
  continuous_runs[id] = ContinuousRun{include, exclude, on_type, {}};
  for (auto& root : roots) build_import_graph(*root);  // now, not at the first save
  spdlog::info("continuous run {} armed ({} entries{})", id, include.size(), on_type ? ", on typing" : "");
  return {{"runId", id}, {"continuous", true}, {"enqueued", json::array()}};
}

bool LspServer::State::disarm_continuous(const std::string& id) {
  auto it = continuous_runs.find(id);
  if (it == continuous_runs.end()) return false;
  std::string current = it->second.current_run;
  continuous_runs.erase(it);
  if (!current.empty()) cancel_run(current);
  // The client closes its run when this arrives: the armed run is over.
  writer.notify("fastest/runFinished", {{"runId", id}, {"counts", json::object()}, {"durationMs", 0}});
  return true;
}

void LspServer::State::build_import_graph(Root& root) {
  if (root.imports || root.imports_building || stopping) return;
  root.imports_building = true;
  auto job = std::make_unique<GraphJob>();
  job->root_key = root.key;
  GraphJob* raw = job.get();
  fs::path rootdir = root.rootdir();
  std::vector<fs::path> tests;
  for (const auto& [module, items] : root.file_items) tests.push_back(rootdir / module);
  job->thread = std::thread([this, raw, rootdir, tests = std::move(tests)] {
    auto started = std::chrono::steady_clock::now();
    auto graph = std::make_shared<ImportGraph>();
    try {
      std::vector<fs::path> files = project_python_files(rootdir, &raw->cancel);
      std::vector<fs::path> source_roots{rootdir};
      if (std::error_code ec; fs::is_directory(rootdir / "src", ec)) source_roots.push_back(rootdir / "src");
      for (const fs::path& dir : pytest_basedirs(tests, rootdir)) source_roots.push_back(dir);
      graph->reset(source_roots, files, &raw->cancel);
      spdlog::info("import graph of {}: {} files in {:.1f} ms", rootdir.string(), files.size(),
                   std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count());
    } catch (const std::exception& e) {
      spdlog::error("import graph of {}: {}", rootdir.string(), e.what());
    }
    if (!raw->cancel) {
      asio::post(io, [this, key = raw->root_key, graph] {
        std::shared_ptr<Root> root = find_root(key);
        if (!root) return;
        root->imports = std::make_unique<ImportGraph>(std::move(*graph));
        root->imports_building = false;
        std::vector<fs::path> waiting = std::move(root->changes_awaiting_imports);
        root->changes_awaiting_imports.clear();
        if (!waiting.empty()) continuous_files_changed(waiting, /*saved=*/true);
      });
    }
    raw->finished = true;
  });
  graph_jobs.push_back(std::move(job));
}

// The armed selection, narrowed to the test modules the changed files reach.
std::vector<LspServer::State::TestRef> LspServer::State::continuous_selection(const ContinuousRun& armed,
                                                                              const std::vector<fs::path>& files) {
  std::vector<TestRef> out;
  for (auto& root : roots) {
    std::vector<fs::path> changed;
    bool everything = false;
    for (const fs::path& f : files) {
      if (f.lexically_relative(root->rootdir()).empty() || *f.lexically_relative(root->rootdir()).begin() == "..") continue;
      everything |= is_pytest_config_file(f) && f.parent_path() == root->rootdir();
      changed.push_back(f);
    }
    if (changed.empty()) continue;
    if (!root->imports) {  // being read: the change is taken when it is
      root->changes_awaiting_imports.insert(root->changes_awaiting_imports.end(), changed.begin(), changed.end());
      build_import_graph(*root);
      continue;
    }
    ImportGraph& graph = *root->imports;
    for (const fs::path& f : changed) {
      if (f.extension() != ".py") continue;
      auto doc = std::find_if(docs.begin(), docs.end(), [&](const auto& kv) { return kv.second.path == f; });
      if (doc != docs.end() && doc->second.dirty) graph.update(f, &doc->second.text);  // the buffer's imports
      else graph.update(f);
    }
    std::vector<fs::path> tests;
    for (const auto& [module, items] : root->file_items) tests.push_back(root->rootdir() / module);
    std::vector<fs::path> reached = everything ? tests : graph.affected(tests, changed);
    for (const fs::path& test : reached) {
      const std::string module = test.lexically_relative(root->rootdir()).generic_string();
      for (const TestRef& ref : armed.include) {
        if (ref.root_key && *ref.root_key != root->key) continue;
        if (node_id_covers(ref.id, module)) out.push_back({module, root->key});  // the module is selected whole
        else if (node_id_covers(module, ref.id)) out.push_back({ref.id, root->key});  // a part of it is
      }
    }
  }
  return out;
}

void LspServer::State::continuous_files_changed(const std::vector<fs::path>& files, bool saved) {
  if (continuous_runs.empty() || stopping) return;
  std::vector<fs::path> relevant;
  for (const fs::path& f : files)
    if (!is_editor_noise(f) && (f.extension() == ".py" || is_pytest_config_file(f))) relevant.push_back(f);
  if (relevant.empty()) return;
  for (auto& [id, armed] : continuous_runs) {
    if (!saved && !armed.on_type) continue;
    std::vector<TestRef> include = continuous_selection(armed, relevant);
    if (include.empty()) continue;
    if (!armed.current_run.empty()) cancel_run(armed.current_run);  // the newer text wins
    try {
      json reply = start_run(include, armed.exclude, RunKind::Run, id);
      armed.current_run = reply.value("runId", "");
    } catch (const RpcError& e) {
      spdlog::info("continuous run {}: nothing to run ({})", id, e.what());
    }
  }
}

std::vector<std::string> LspServer::State::last_failed_among(const Target& t) {
  std::vector<std::string> out;
  if (!t.root.pytest_cache) return out;
  std::optional<CacheValue> lastfailed = PytestCache(*t.root.pytest_cache).get("cache/lastfailed");
  if (!lastfailed || !lastfailed->is_object()) return out;
  // The engine puts first whatever is, or holds (a dynamic module handed whole), one of these.
  for (auto it = lastfailed->begin(); it != lastfailed->end(); ++it)
    if (std::any_of(t.run_ids.begin(), t.run_ids.end(), [&](const std::string& id) { return node_id_covers(id, it.key()); }))
      out.push_back(it.key());
  return out;
}

void LspServer::State::buffer_typed(const fs::path& file) {
  bool wanted = std::any_of(continuous_runs.begin(), continuous_runs.end(), [](const auto& kv) { return kv.second.on_type; });
  if (!wanted) return;
  typed_files.insert(file);
  if (!typing_timer) typing_timer = std::make_unique<asio::steady_timer>(io);
  typing_timer->expires_after(kTypingPause);
  typing_timer->async_wait([this](const std::error_code& ec) {
    if (ec) return;  // re-armed by a newer keystroke, or shut down
    std::vector<fs::path> files(typed_files.begin(), typed_files.end());
    typed_files.clear();
    continuous_files_changed(files, /*saved=*/false);
  });
}

}  // namespace fastest::lsp
