// The workspace's test tree: collection of each root at start and on file events, and the
// settle step that replaces dynamic items with what a real pytest collection says.
#include "server/core/node_id.h"
#include "server/lsp/server_state.h"

#include <algorithm>
#include <chrono>
#include <iterator>
#include <map>
#include <set>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include <asio/post.hpp>
#include <spdlog/spdlog.h>

#include "server/execution/run_plan.h"
#include "server/lsp/uri.h"

namespace fastest::lsp {

// --- collection ----------------------------------------------------------------------
void LspServer::State::apply_collection(Root& root, Collection collection) {
  root.collection = std::move(collection);
  root.live_modules.reset();
  if (!root.collected_once) {
    // Documents opened before the first collection landed got the config alone: now they get
    // the whole rules (the names the interpreter can import, say).
    root.collected_once = true;
    for (auto& [uri, d] : docs)
      if (d.root.get() == &root) attach_document(d);
  }
  root.file_items = std::move(root.collection.file_items);
  root.collection.file_items.clear();
  root.folders.clear();
  root.test_count = root.collection.selected.size();
  // Items collected into one list (not by file): a file's come one after another, each list
  // sized once (no doubling's slack).
  std::vector<TestItem>& items = root.collection.items;
  for (size_t i = 0; i < items.size();) {
    if (items[i].kind == ItemKind::Folder) {
      root.folders.push_back(std::move(items[i++]));
      continue;
    }
    size_t end = i;
    while (end < items.size() && items[end].kind != ItemKind::Folder && items[end].path() == items[i].path()) ++end;
    std::vector<TestItem>& list = root.file_items[std::string(items[i].path())];
    list.reserve(list.size() + (end - i));
    std::move(items.begin() + static_cast<std::ptrdiff_t>(i), items.begin() + static_cast<std::ptrdiff_t>(end), std::back_inserter(list));
    i = end;
  }
  // The tree lives in file_items from here on; keep one copy only.
  std::vector<TestItem>().swap(root.collection.items);
  root.collection.selected.clear();
  root.collection.selected.shrink_to_fit();
  // Open test documents keep their incremental view.
  for (auto& [uri, d] : docs)
    if (d.root.get() == &root && d.doc) root.file_items[d.module_id] = module_items(d);
  // pytest's settled items survive the re-collection (those of a module gone go with it).
  root.settled_tail.clear();
  for (auto it = root.settled.begin(); it != root.settled.end();) {
    auto items = root.file_items.find(it->first);
    if (items == root.file_items.end()) {
      it = root.settled.erase(it);
      continue;
    }
    merge_settled(root, it->first, items->second);
    ++it;
  }
  publish_syntax_diagnostics_for_root(root);
}

std::vector<TestItem> LspServer::State::module_items(const OpenDoc& d) {
  std::vector<TestItem> items = d.doc->items();
  // The module's parent is its folder in the tree.
  std::string parent = fs::path(d.module_id).parent_path().generic_string();
  if (!items.empty()) items.front().set_parent_id(parent);
  return items;
}

// Each root is collected in the background; the progress ends when the last one landed.
void LspServer::State::index_workspace() {
  if (client_progress) {
    writer.request("window/workDoneProgress/create", {{"token", "fastest-index"}});
    writer.notify("$/progress", {{"token", "fastest-index"}, {"value", {{"kind", "begin"}, {"title", "Discovering tests"}, {"percentage", 0}}}});
  }
  const size_t total = roots.size();
  index_pending = total;
  index_tests = 0;
  auto end_progress = [this] {
    if (client_progress)
      writer.notify("$/progress", {{"token", "fastest-index"}, {"value", {{"kind", "end"}, {"message", std::to_string(index_tests) + " tests"}}}});
    writer.notify("window/logMessage", {{"type", 3}, {"message", "fastest: " + std::to_string(index_tests) + " tests discovered"}});
  };
  if (total == 0) end_progress();
  for (auto& root : roots)
    start_collection(*root, [this, total, end_progress](Root& r) {
      index_tests += r.test_count;
      if (index_pending > 0 && --index_pending == 0) end_progress();
      else if (client_progress && total > 1)
        writer.notify("$/progress", {{"token", "fastest-index"},
                                     {"value", {{"kind", "report"}, {"percentage", 100 * (total - index_pending) / total}}}});
      settle_in_background(r);
    });
}

// --- settling ------------------------------------------------------------------------
namespace {
bool has_dynamic(const std::vector<TestItem>& items) {
  for (const TestItem& item : items)
    if (item.dynamic) return true;
  return false;
}

// What pytest must collect for each of these modules (add_settle_targets, the rule `fastest
// discover` settles by).
std::map<std::string, std::vector<std::string>> settle_targets(const Root& root, const std::set<std::string>& modules) {
  std::map<std::string, std::vector<std::string>> targets;
  for (const std::string& module : modules)
    if (auto it = root.file_items.find(module); it != root.file_items.end()) {
      std::vector<std::string> own;
      add_settle_targets(it->second, own);
      if (!own.empty()) targets[module] = std::move(own);
    }
  return targets;
}

std::string module_of(const std::string& id) { return id.substr(0, id.find("::")); }

// The id a settled id hangs under: `f[x]` -> `f`, `C::f` -> `C`.
std::string parent_id_of(const std::string& id) {
  return id.find("::") == std::string::npos ? std::string() : std::string(node_id_parent(id));
}
}  // namespace

// Static answers first; then a real collection in the root's (now warm) worker settles
// what discovery flagged dynamic, and the tree is published again, equal to pytest's.
void LspServer::State::settle_in_background(Root& root) {
  std::set<std::string> modules;
  for (auto& [module, items] : root.file_items)
    if (has_dynamic(items)) modules.insert(module);
  if (modules.empty()) publish_settle_state(root, "settled", 0);
  else settle_modules(root, modules);
}

void LspServer::State::settle_modules(Root& root, const std::set<std::string>& modules) {
  std::map<std::string, std::vector<std::string>> targets = settle_targets(root, modules);
  if (stopping) return;
  std::map<std::string, uint64_t> versions;
  for (const std::string& module : modules) versions[module] = root.module_versions[module];
  std::map<std::string, std::string> overlays;  // unsaved buffers, as runs pass them
  for (auto& [uri, d] : docs)
    if (d.dirty && d.root.get() == &root) overlays[d.path.string()] = d.text;
  ++root.settles_in_flight;
  publish_settle_state(root, "settling", modules.size());
  if (targets.empty()) {  // nothing dynamic left: the answer is "no settled items"
    finish_settle(root.key, versions, {}, {}, true);
    return;
  }
  RootSnapshot snap = snapshot(root, settings);
  auto job = std::make_unique<SettleJob>();
  SettleJob* raw = job.get();
  job->thread = std::thread([this, raw, snap = std::move(snap), targets = std::move(targets),
                             overlays = std::move(overlays), versions = std::move(versions)]() mutable {
    try {
      settle_job(snap, targets, std::move(overlays), versions);
    } catch (const std::exception& e) {
      spdlog::warn("settling dynamic tests failed: {}", e.what());
      asio::post(io, [this, key = snap.root_key, versions] { finish_settle(key, versions, {}, {}, false); });
    }
    raw->finished = true;
  });
  settles.push_back(std::move(job));
}

namespace {
// The settled cache's slot and key for one module settled by the language server: the
// environment (interpreter, distributions, extra args and env from the settings), the module's
// targets, its text and the conftests on its path. nullopt when a file cannot be read.
std::optional<SettledKey> module_cache_key(const SettledKey& environment, const fs::path& rootdir,
                                           const std::string& module, const std::vector<std::string>& targets) {
  SettledKey key = environment;
  for (const std::string& target : targets) key.add("target", target);
  if (!add_module_files(key, rootdir, module)) return std::nullopt;
  return key;
}

std::string module_slot(const std::string& module) { return "lsp\n" + module; }
}  // namespace

// On the settle job's thread: only the snapshot, the Writer and posts to the io thread. Modules
// whose answer the settled cache holds (none of its files changed) are answered from it; the
// others are collected by pytest in the root's worker, and their answers stored. Unsaved
// buffers bypass the cache: its keys are the files on disk.
void LspServer::State::settle_job(const RootSnapshot& root, const std::map<std::string, std::vector<std::string>>& targets,
                                  std::map<std::string, std::string> overlays, std::map<std::string, uint64_t> versions) {
  std::vector<std::string> real;
  std::map<std::string, std::string> errors;  // module id -> pytest's longrepr
  std::map<std::string, std::vector<std::string>> misses = targets;
  std::optional<SettledCache> cache;
  std::map<std::string, SettledKey> keys;
  if (overlays.empty() && !root.options.python.empty()) {
    const auto lookup_start = std::chrono::steady_clock::now();
    cache.emplace(root.rootdir);
    const SettledKey environment = environment_key(root.options.python, root.rootdir, root.options.inifile,
                                                   root.options.pytest_args, root.options.env);
    for (const auto& [module, module_targets] : targets) {
      auto key = module_cache_key(environment, root.rootdir, module, module_targets);
      if (!key) continue;
      if (auto answer = cache->load(module_slot(module), *key); answer && answer->is_object()) {
        try {
          for (const std::string& id : answer->at("ids").get<std::vector<std::string>>()) real.push_back(id);
          for (const auto& [id, longrepr] : answer->at("errors").items()) errors[id] = longrepr.get<std::string>();
          misses.erase(module);
          continue;
        } catch (const json::exception&) {  // a malformed answer: a miss
        }
      }
      keys.emplace(module, std::move(*key));
    }
    spdlog::info("settled cache: {} of {} modules answered from {} in {} ms", targets.size() - misses.size(),
                 targets.size(), (root.rootdir / ".fastest_cache" / "settled").string(),
                 std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - lookup_start).count());
  }
  bool answered = true;
  if (!misses.empty()) {
    std::vector<std::string> asked_ids, imported;
    std::map<std::string, std::string> asked_errors;
    const auto started = fs::file_time_type::clock::now();
    std::lock_guard<std::mutex> lock(root.engines->job_mutex);
    std::string error;
    std::shared_ptr<ExecutionEngine> engine = engine_for(root, &error);
    answered = false;
    bool complete = false;  // pytest answered for every module: cacheable
    if (engine) {
      struct Collector : RunObserver {
        std::vector<std::string>& ids;
        std::map<std::string, std::string>& errors;
        std::vector<std::string>& imported;
        Collector(std::vector<std::string>& i, std::map<std::string, std::string>& e, std::vector<std::string>& f)
            : ids(i), errors(e), imported(f) {}
        void on_collected(const std::vector<std::string>& collected) override {
          ids.insert(ids.end(), collected.begin(), collected.end());
        }
        void on_imported_files(const std::vector<std::string>& files) override {
          imported.insert(imported.end(), files.begin(), files.end());
        }
        void on_collection_error(const std::string& id, const std::string& longrepr) override { errors[id] = longrepr; }
      } collector(asked_ids, asked_errors, imported);
      RunRequest request;
      for (const auto& [module, module_targets] : misses)
        request.ids.insert(request.ids.end(), module_targets.begin(), module_targets.end());
      request.collect_only = true;
      request.overlays = std::move(overlays);
      RunSummary summary = engine->run(request, collector);
      answered = !summary.cancelled;  // cancelled: root removed or server stopping
      complete = answered && summary.fatal_error.empty();
      error = summary.fatal_error;
    }
    if (!error.empty()) report_settle_failure(error, misses.size());
    if (complete && cache) store_settled(*cache, root, misses, keys, asked_ids, asked_errors, imported, started);
    real.insert(real.end(), asked_ids.begin(), asked_ids.end());
    errors.merge(asked_errors);
  }
  asio::post(io, [this, key = root.root_key, versions = std::move(versions), real = std::move(real),
                  errors = std::move(errors), answered] { finish_settle(key, versions, real, errors, answered); });
}

// A settle that cannot run leaves the tree's dynamic items as static guesses: the user is told
// (once per distinct reason, not at every re-settle), never left with a quiet partial tree.
void LspServer::State::report_settle_failure(const std::string& error, size_t modules) {
  {
    std::lock_guard<std::mutex> lock(settle_failure_mutex);
    if (error == last_settle_failure) return;
    last_settle_failure = error;
  }
  spdlog::error("could not settle the dynamic tests of {} modules: {}", modules, error);
  writer.notify("window/showMessage",
                {{"type", 1}, {"message", "fastest: could not settle the dynamic tests of " + std::to_string(modules) +
                                              (modules == 1 ? " module" : " modules") + " with pytest: " + error}});
}

// Each module's part of pytest's answer goes to the settled cache, if the files of its key are
// still the ones it was computed from.
void LspServer::State::store_settled(SettledCache& cache, const RootSnapshot& root,
                                     const std::map<std::string, std::vector<std::string>>& modules,
                                     const std::map<std::string, SettledKey>& keys, const std::vector<std::string>& ids,
                                     const std::map<std::string, std::string>& errors,
                                     const std::vector<std::string>& imported, fs::file_time_type started) {
  const SettledKey environment = environment_key(root.options.python, root.rootdir, root.options.inifile,
                                                 root.options.pytest_args, root.options.env);
  std::map<std::string, json> answers;
  for (const auto& [module, module_targets] : modules) answers[module] = {{"ids", json::array()}, {"errors", json::object()}};
  for (const std::string& id : ids)
    if (auto it = answers.find(module_of(id)); it != answers.end()) it->second["ids"].push_back(id);
  for (const auto& [id, longrepr] : errors)
    if (auto it = answers.find(module_of(id)); it != answers.end()) it->second["errors"][id] = longrepr;
  for (const auto& [module, module_targets] : modules) {
    auto before = keys.find(module);
    if (before == keys.end()) continue;
    auto after = module_cache_key(environment, root.rootdir, module, module_targets);
    if (after && *after == before->second) cache.store(module_slot(module), before->second, answers[module], imported, started);
  }
}

// On the io thread. A module changed since the job started is left to the re-settle that
// change scheduled: this answer is about text that no longer exists.
void LspServer::State::finish_settle(uint64_t root_key, const std::map<std::string, uint64_t>& versions,
                                     const std::vector<std::string>& real, const std::map<std::string, std::string>& errors,
                                     bool answered) {
  std::shared_ptr<Root> r = find_root(root_key);
  if (!r) return;  // removed meanwhile
  --r->settles_in_flight;
  size_t applied = 0;
  if (answered) {
    std::map<std::string, std::vector<std::string>> by_module;
    for (const std::string& id : real) by_module[module_of(id)].push_back(id);
    for (const auto& [module, version] : versions) {
      if (r->module_versions[module] != version) continue;  // superseded
      if (auto it = errors.find(module); it != errors.end()) record_collection_error(*r, module, it->second);
      else clear_collection_error(*r, module);
      apply_settled(*r, module, by_module[module]);
      ++applied;
    }
  }
  if (r->settles_in_flight == 0 && r->resettle_pending.empty()) publish_settle_state(*r, "settled", applied);
}

// pytest's ids for one module become its settled items: added under their parent (found by
// id in a map), replacing the previous answer whole (a case pytest no longer lists goes away).
void LspServer::State::apply_settled(Root& root, const std::string& module_id, const std::vector<std::string>& real) {
  auto it = root.file_items.find(module_id);
  if (it == root.file_items.end()) return;
  std::vector<TestItem>& settled = root.settled[module_id];
  // The previous answer is the list's tail; the static items before it stay.
  std::vector<TestItem> items = std::move(it->second);
  items.resize(items.size() - std::min(items.size(), root.settled_tail[module_id]));
  std::unordered_map<std::string, size_t> by_id;
  for (size_t i = 0; i < items.size(); ++i) by_id.emplace(items[i].id, i);
  std::vector<TestItem> fresh;
  for (const std::string& id : real) {
    if (by_id.count(id)) continue;  // discovery had it right
    // Its parent: the longest existing id above it (the function of a case, the class...).
    std::string parent_id = parent_id_of(id);
    auto p = by_id.find(parent_id);
    while (p == by_id.end() && !parent_id.empty()) p = by_id.find(parent_id = parent_id_of(parent_id));
    if (p == by_id.end()) continue;
    const TestItem& parent = items[p->second];
    TestItem item;
    item.id = id;
    item.kind = id.rfind(parent.id + "[", 0) == 0 ? ItemKind::Case : ItemKind::Function;
    item.set_parent_id(parent.id);
    item.set_path(parent.path());
    item.range = parent.range;
    item.name_range = parent.name_range;
    item.marks = parent.marks;
    fresh.push_back(std::move(item));
  }
  settled = fresh;
  root.settled_tail[module_id] = fresh.size();
  for (TestItem& item : fresh) items.push_back(std::move(item));
  it->second = std::move(items);
  publish_file(root, module_id);
}

void LspServer::State::merge_settled(Root& root, const std::string& module_id, std::vector<TestItem>& items) {
  root.settled_tail.erase(module_id);
  auto it = root.settled.find(module_id);
  if (it == root.settled.end() || it->second.empty()) return;
  std::unordered_map<std::string, size_t> by_id;
  for (size_t i = 0; i < items.size(); ++i) by_id.emplace(items[i].id, i);
  const size_t statics = items.size();
  for (const TestItem& kept : it->second) {
    if (by_id.count(kept.id)) continue;  // discovery has it now
    auto p = by_id.find(std::string(kept.parent_id()));
    // A parent gone (renamed, deleted) or now static takes its cases with it.
    if (p == by_id.end() || p->second >= statics || !items[p->second].dynamic) continue;
    const TestItem& parent = items[p->second];
    TestItem item = kept;
    item.range = parent.range;  // it moved with its parent
    item.name_range = parent.name_range;
    item.marks = parent.marks;
    items.push_back(std::move(item));
  }
  root.settled_tail[module_id] = items.size() - statics;
}

bool LspServer::State::mark_stale(Root& root, const std::string& module_id) {
  ++root.module_versions[module_id];
  auto it = root.settled.find(module_id);
  if (it == root.settled.end()) return false;
  bool changed = false;
  for (TestItem& item : it->second) {
    changed |= !item.stale;
    item.stale = true;
  }
  return changed;  // the published items take the flag when the module's items are next merged
}

void LspServer::State::schedule_resettle(Root& root, const std::set<std::string>& modules) {
  if (stopping) return;
  for (const std::string& module : modules) {
    auto it = root.file_items.find(module);
    // A module with nothing dynamic and nothing settled has nothing to ask pytest.
    if ((it != root.file_items.end() && has_dynamic(it->second)) || !root.settled[module].empty())
      root.resettle_pending.insert(module);
  }
  if (root.resettle_pending.empty()) return;
  publish_settle_state(root, "settling", root.resettle_pending.size());
  if (!root.resettle_timer) root.resettle_timer = std::make_unique<asio::steady_timer>(io);
  root.resettle_timer->expires_after(std::chrono::milliseconds(settings.resettle_delay_ms));
  root.resettle_timer->async_wait([this, key = root.key](const std::error_code& ec) {
    if (ec) return;  // re-armed by a newer edit, or the root is gone
    std::shared_ptr<Root> r = find_root(key);
    if (!r || r->resettle_pending.empty()) return;
    std::set<std::string> modules;
    modules.swap(r->resettle_pending);
    settle_modules(*r, modules);
  });
}

// "settling" once from the first change until the answer is in, then "settled".
void LspServer::State::publish_settle_state(Root& root, const char* state, size_t modules) {
  const bool settling = std::string_view(state) == "settling";
  if (settling && root.settling) return;
  root.settling = settling;
  json params = json::object();
  params["rootUri"] = path_to_uri(root.folder.string());
  params["state"] = state;
  params["modules"] = modules;
  writer.notify("fastest/settleState", params);
}

bool LspServer::State::can_change_collection(Root& root, const fs::path& path) {
  const std::string name = path.filename().string();
  if (name.rfind(".#", 0) == 0 || name.rfind('#', 0) == 0) return false;  // Emacs lock and auto-save files
  if (name == "conftest.py" || name == "__init__.py" || is_pytest_config_file(path)) return true;
  const std::string rel = path.lexically_relative(root.rootdir()).generic_string();
  if (root.file_items.count(rel)) return true;  // collected today (a delete, a change)
  // A project module whose import a test module's depends on (local_imports.h): its edit may
  // break or mend that import.
  if (const auto& local = root.collection.config.rules.local_import_failures; local && local->has_read(path.string()))
    return true;
  if (path.extension() == ".py") return collectors_for(root, path, "").has_value();
  if (!path.has_extension()) {  // a folder created or deleted
    if (fs::is_directory(path)) return true;
    auto it = root.file_items.lower_bound(rel + "/");
    return it != root.file_items.end() && it->first.rfind(rel + "/", 0) == 0;
  }
  return false;
}

// A watched file changed on disk: the root is collected again, settled items are kept (stale)
// for the modules the change can affect, and only those are re-settled.
void LspServer::State::watched_files_changed(const json& params) {
  std::map<std::shared_ptr<Root>, std::set<std::string>> affected;  // root -> modules to re-settle
  for (const json& change : params.at("changes")) {
    auto path = uri_to_path(change.at("uri"));
    if (!path) continue;
    const fs::path file = fs::path(*path).lexically_normal();
    auto r = root_for(file);
    if (r) rediscover_dependents(*r, file);
    if (!r || !can_change_collection(*r, file)) continue;
    std::set<std::string>& modules = affected[r];
    const std::string rel = file.lexically_relative(r->rootdir()).generic_string();
    const std::string name = file.filename().string();
    // A conftest or config file changes every module below its folder.
    std::string scope = rel;
    if (name == "conftest.py" || name == "__init__.py" || is_pytest_config_file(file)) {
      scope = file.parent_path().lexically_relative(r->rootdir()).generic_string();
      if (scope == "." || scope.rfind("..", 0) == 0) scope.clear();
    }
    for (auto& [module, items] : r->file_items)
      if (scope.empty() || module == scope || module.rfind(scope + "/", 0) == 0) modules.insert(module);
    if (!r->file_items.count(rel)) modules.insert(rel);  // a new file
  }
  for (auto& [r, modules] : affected) {
    for (const std::string& module : modules) {
      mark_stale(*r, module);
      // The error was the old text's: a module still failing is re-settled and says so again.
      clear_collection_error(*r, module);
    }
    start_collection(*r, [this, modules = modules](Root& root) { schedule_resettle(root, modules); });
  }
  // Changes made outside the editor (a checkout, a generator) start armed runs' cycles; an open
  // document's save already did, through didSave.
  std::vector<fs::path> on_disk;
  for (const json& change : params.at("changes")) {
    auto path = uri_to_path(change.at("uri"));
    if (!path) continue;
    fs::path file = fs::path(*path).lexically_normal();
    bool open = std::any_of(docs.begin(), docs.end(), [&](const auto& kv) { return kv.second.path == file; });
    if (!open) on_disk.push_back(file);
  }
  continuous_files_changed(on_disk, /*saved=*/true);
}

// --- workspace folders ---------------------------------------------------------------
namespace {
// A folder as roots name it: normal, without a trailing slash.
fs::path folder_path(const fs::path& p) {
  fs::path folder = p.lexically_normal();
  if (folder.filename().empty() && folder.has_parent_path() && folder != folder.root_path()) folder = folder.parent_path();
  return folder;
}
}  // namespace

std::shared_ptr<Root> LspServer::State::add_root(const fs::path& folder) {
  auto root = std::make_shared<Root>();
  root->key = next_root_key++;
  root->folder = folder_path(folder);
  resolve_root_config(*root);
  roots.push_back(root);
  return root;
}

void LspServer::State::change_workspace_folders(const json& params) {
  const json& event = params.at("event");
  bool removed_any = false;
  for (const json& removed : event.value("removed", json::array()))
    if (auto path = uri_to_path(removed.value("uri", ""))) {
      const fs::path folder = folder_path(*path);
      for (auto it = roots.begin(); it != roots.end();) {
        if ((*it)->folder != folder) { ++it; continue; }
        // Its jobs stop; they hold the engine until they end, and their posts find no root.
        (*it)->engines->close();
        if ((*it)->collecting) (*it)->collecting->cancel = true;
        it = roots.erase(it);
        removed_any = true;
      }
    }
  std::vector<std::shared_ptr<Root>> added;
  for (const json& folder : event.value("added", json::array()))
    if (auto path = uri_to_path(folder.value("uri", ""))) added.push_back(add_root(*path));
  if (removed_any || !added.empty()) rehome_documents();
  for (auto& r : added) start_collection(*r, [this](Root& root) { settle_in_background(root); });
}

// Open documents follow the roots: each goes to the innermost root containing it now (a root
// removed or added changes that), or becomes rootless.
void LspServer::State::rehome_documents() {
  for (auto& [uri, d] : docs) {
    if (root_for(d.path) == d.root) continue;
    const bool had_items = d.doc != nullptr;
    attach_document(d);
    if (d.doc) {
      after_document_change(d, /*items_changed=*/true, /*diagnostics_changed=*/true, std::nullopt);
    } else if (had_items && syntax_diagnostics.erase(uri)) {
      publish_diagnostics(uri);
    }
  }
}

RootSnapshot LspServer::State::snapshot(const Root& root, const Settings& s) const {
  RootSnapshot snap;
  snap.root_key = root.key;
  snap.rootdir = root.rootdir();
  snap.engines = root.engines;
  auto python = s.python_path ? std::optional<fs::path>(*s.python_path) : root.collection.config.python;
  if (python) snap.options.python = *python;
  snap.options.rootdir = root.rootdir();
  snap.options.inifile = root.collection.config.inifile;
  snap.options.workers = s.workers;
  snap.options.pytest_args = s.extra_args;
  snap.options.env = s.env;
  snap.options.project_image = true;  // runs at the cursor fork from the warm project image
  snap.pytest_cache = pytest_cache_dir(root.collection.config, s.extra_args);
  snap.engine_key = s.python_path.value_or("") + "|" + std::to_string(s.workers) + "|" + snap.rootdir.string();
  for (auto& a : s.extra_args) snap.engine_key += "|" + a;
  for (auto& [k, v] : s.env) snap.engine_key += "|" + k + "=" + v;
  return snap;
}

}  // namespace fastest::lsp
