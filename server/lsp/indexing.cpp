// The workspace's test tree: collection of each root at start and on file events, and the
// settle step that replaces dynamic items with what a real pytest collection says.
#include "server/lsp/server_state.h"

#include <map>
#include <set>
#include <thread>

#include <asio/post.hpp>
#include <spdlog/spdlog.h>

#include "server/lsp/uri.h"

namespace fastest::lsp {

// --- collection ----------------------------------------------------------------------
void LspServer::State::collect_root(Root& root) {
  Invocation inv;
  inv.invocation_dir = root.folder;
  inv.python = settings.python_path;
  for (auto& [uri, d] : docs)
    if (d.dirty && d.root.get() == &root) inv.overlays.emplace_back(d.path, d.text);
  root.collection = collect(inv);
  root.file_items.clear();
  root.folders.clear();
  root.test_count = root.collection.selected.size();
  for (TestItem& item : root.collection.items) {
    if (item.kind == ItemKind::Folder) root.folders.push_back(std::move(item));
    else root.file_items[item.path].push_back(std::move(item));
  }
  // The tree lives in file_items from here on; keep one copy only.
  root.collection.items.clear();
  root.collection.items.shrink_to_fit();
  root.collection.selected.clear();
  root.collection.selected.shrink_to_fit();
  // Open test documents keep their incremental view.
  for (auto& [uri, d] : docs)
    if (d.root.get() == &root && d.doc) root.file_items[d.module_id] = module_items(d);
  publish_syntax_diagnostics_for_root(root);
}

std::vector<TestItem> LspServer::State::module_items(const OpenDoc& d) {
  std::vector<TestItem> items = d.doc->items();
  // The module's parent is its folder in the tree.
  std::string parent = fs::path(d.module_id).parent_path().generic_string();
  if (!items.empty()) items.front().parent_id = parent;
  return items;
}

void LspServer::State::index_workspace() {
  json token = "fastest-index";
  if (client_progress) {
    writer.request("window/workDoneProgress/create", {{"token", token}});
    writer.notify("$/progress", {{"token", token}, {"value", {{"kind", "begin"}, {"title", "Discovering tests"}, {"percentage", 0}}}});
  }
  size_t tests = 0, n = 0;
  for (auto& root : roots) {
    collect_root(*root);
    tests += root->test_count;
    publish_root(*root);
    ++n;
    if (client_progress && roots.size() > 1)
      writer.notify("$/progress", {{"token", token}, {"value", {{"kind", "report"}, {"percentage", 100 * n / roots.size()}}}});
  }
  if (client_progress)
    writer.notify("$/progress", {{"token", token}, {"value", {{"kind", "end"}, {"message", std::to_string(tests) + " tests"}}}});
  writer.notify("window/logMessage", {{"type", 3}, {"message", "fastest: " + std::to_string(tests) + " tests discovered"}});
  for (auto& root : roots) settle_in_background(*root);
}

// Static answers first; then a real collection in the root's (now warm) worker settles
// what discovery flagged dynamic, and the tree is published again, equal to pytest's.
void LspServer::State::settle_in_background(Root& root) {
  std::vector<std::string> targets;
  auto covered = [&](const std::string& id) {
    for (const std::string& t : targets)
      if (id == t || id.rfind(t + "::", 0) == 0 || id.rfind(t + "[", 0) == 0) return true;
    return false;
  };
  for (auto& [module, items] : root.file_items)
    for (const TestItem& item : items)
      if (item.dynamic && !covered(item.id) &&
          (item.kind == ItemKind::Module || item.kind == ItemKind::Class || item.kind == ItemKind::Function))
        targets.push_back(item.id);
  if (targets.empty() || stopping) return;
  RootSnapshot snap = snapshot(root, settings);
  auto job = std::make_unique<SettleJob>();
  SettleJob* raw = job.get();
  job->thread = std::thread([this, raw, snap = std::move(snap), targets = std::move(targets)] {
    try {
      settle_job(snap, targets);
    } catch (const std::exception& e) {
      spdlog::warn("settling dynamic tests failed: {}", e.what());
    }
    raw->finished = true;
  });
  settles.push_back(std::move(job));
}

// On the settle job's thread: only the snapshot, the Writer and posts to the io thread.
void LspServer::State::settle_job(const RootSnapshot& root, const std::vector<std::string>& targets) {
  std::vector<std::string> real;
  std::map<std::string, std::string> errors;  // module id -> pytest's longrepr
  {
    std::lock_guard<std::mutex> lock(root.engines->job_mutex);
    std::string error;
    std::shared_ptr<ExecutionEngine> engine = engine_for(root, &error);
    if (!engine) return;
    struct Collector : RunObserver {
      std::vector<std::string>& ids;
      std::map<std::string, std::string>& errors;
      Collector(std::vector<std::string>& i, std::map<std::string, std::string>& e) : ids(i), errors(e) {}
      void on_collected(const std::vector<std::string>& collected) override {
        ids.insert(ids.end(), collected.begin(), collected.end());
      }
      void on_collection_error(const std::string& id, const std::string& longrepr) override { errors[id] = longrepr; }
    } collector(real, errors);
    RunRequest request;
    request.ids = targets;
    request.collect_only = true;
    RunSummary summary = engine->run(request, collector);
    if (summary.cancelled) return;  // root removed or server stopping: nothing to apply
  }
  asio::post(io, [this, key = root.root_key, real = std::move(real), errors = std::move(errors), targets] {
    std::shared_ptr<Root> r = find_root(key);
    if (!r) return;  // removed meanwhile
    for (const std::string& target : targets) {
      const std::string module = target.substr(0, target.find("::"));
      if (auto it = errors.find(module); it != errors.end()) record_collection_error(*r, module, it->second);
      else clear_collection_error(*r, module);
    }
    apply_settled(*r, real);
  });
}

void LspServer::State::apply_settled(Root& root, const std::vector<std::string>& real) {
  std::set<std::string> touched;
  for (const std::string& id : real) {
    std::string module = id.substr(0, id.find("::"));
    auto it = root.file_items.find(module);
    if (it == root.file_items.end()) continue;
    auto& items = it->second;
    bool exists = false;
    for (const TestItem& item : items) exists |= item.id == id;
    if (exists) continue;
    // Its parent: the longest existing id that is a prefix (the function of a case, the class...).
    const TestItem* parent = nullptr;
    for (const TestItem& item : items)
      if ((id.rfind(item.id + "[", 0) == 0 || id.rfind(item.id + "::", 0) == 0) &&
          (!parent || item.id.size() > parent->id.size()))
        parent = &item;
    if (!parent) continue;
    TestItem settled;
    settled.id = id;
    settled.parent_id = parent->id;
    settled.path = parent->path;
    settled.range = parent->range;
    settled.name_range = parent->name_range;
    settled.marks = parent->marks;
    bool is_case = id.rfind(parent->id + "[", 0) == 0;
    settled.kind = is_case ? ItemKind::Case : ItemKind::Function;
    std::string tail = id.substr(id.rfind("::") == std::string::npos ? 0 : id.rfind("::") + 2);
    settled.label = tail;
    items.push_back(std::move(settled));
    touched.insert(module);
  }
  for (const std::string& module : touched) publish_file(root, module);
}

void LspServer::State::watched_files_changed(const json& params) {
  std::set<std::shared_ptr<Root>> affected;
  for (const json& change : params.at("changes")) {
    auto path = uri_to_path(change.at("uri"));
    if (!path) continue;
    if (auto r = root_for(*path)) affected.insert(r);
  }
  for (const auto& r : affected) {
    collect_root(*r);
    publish_root(*r);
  }
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
        it = roots.erase(it);
        removed_any = true;
      }
    }
  std::vector<std::shared_ptr<Root>> added;
  for (const json& folder : event.value("added", json::array()))
    if (auto path = uri_to_path(folder.value("uri", ""))) added.push_back(add_root(*path));
  for (auto& r : added) collect_root(*r);
  if (removed_any || !added.empty()) rehome_documents();
  for (auto& r : added) {
    publish_root(*r);
    settle_in_background(*r);
  }
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
  snap.engine_key = s.python_path.value_or("") + "|" + std::to_string(s.workers) + "|" + snap.rootdir.string();
  for (auto& a : s.extra_args) snap.engine_key += "|" + a;
  for (auto& [k, v] : s.env) snap.engine_key += "|" + k + "=" + v;
  return snap;
}

}  // namespace fastest::lsp
