// Open documents: each test file the editor has open is a Document kept incrementally;
// every change is applied to it and only what changed is published.
#include "server/lsp/server_state.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <set>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include <spdlog/spdlog.h>

#include "server/core/file_text.h"
#include "server/discovery/doctest_discovery.h"
#include "server/discovery/line_breaks.h"
#include "server/lsp/text_changes.h"
#include "server/lsp/uri.h"
#include "server/workspace/config.h"
#include "server/workspace/import_name.h"
#include "server/workspace/module_finder.h"

namespace fastest::lsp {

std::string read_file(const fs::path& path) { return read_file_text(path); }

// --- paths and ranges ----------------------------------------------------------------
std::shared_ptr<Root> LspServer::State::root_for(const fs::path& path) {
  std::shared_ptr<Root> best;
  size_t best_len = 0;
  for (auto& r : roots) {
    std::string base = r->folder.string();
    std::string p = path.string();
    if (p == base || (p.rfind(base + "/", 0) == 0)) {
      if (base.size() >= best_len) { best = r; best_len = base.size(); }
    }
  }
  return best;
}

std::shared_ptr<Root> LspServer::State::find_root(uint64_t key) {
  for (auto& r : roots)
    if (r->key == key) return r;
  return nullptr;
}

std::string LspServer::State::text_of(const fs::path& path) {
  for (auto& [uri, d] : docs)
    if (d.path == path) return d.text;
  return read_file(path);
}

// Ids, order of what stays, and what changed: an edit in a test's name removes its items and
// adds the renamed ones; Enter in a body only moves what follows.
std::optional<ItemUpdate> LspServer::State::incremental_update(const std::vector<TestItem>& before,
                                                               const std::vector<TestItem>& after, LineShift shift) {
  auto moved = [&shift](Point p) {
    if (p.line > shift.after_line) p.line = static_cast<uint32_t>(static_cast<int64_t>(p.line) + shift.line_delta);
    return p;
  };
  std::unordered_map<std::string_view, size_t> old_index;
  old_index.reserve(before.size());
  for (size_t i = 0; i < before.size(); ++i) old_index.emplace(before[i].id, i);
  std::unordered_set<std::string_view> kept;
  kept.reserve(after.size());
  ItemUpdate update;
  size_t previous = 0;  // kept items must keep their order: the client cannot reorder
  bool first_kept = true;
  for (size_t i = 0; i < after.size(); ++i) {
    const TestItem& b = after[i];
    auto it = old_index.find(b.id);
    if (it == old_index.end()) {
      update.items.push_back(i);
      continue;
    }
    if (!first_kept && it->second <= previous) return std::nullopt;
    previous = it->second;
    first_kept = false;
    kept.insert(b.id);
    const TestItem& a = before[it->second];
    if (a.label() != b.label() || a.kind != b.kind || a.parent_id() != b.parent_id() || a.marks != b.marks ||
        a.dynamic != b.dynamic || a.dynamic_reason != b.dynamic_reason || a.path() != b.path() || a.stale != b.stale ||
        b.range != Range{moved(a.range.start), moved(a.range.end)})
      update.items.push_back(i);
  }
  for (const TestItem& a : before)
    if (!kept.count(a.id)) update.removed.push_back(a.id);
  if (update.items.size() + update.removed.size() >= after.size()) return std::nullopt;
  return update;
}

// --- documents -----------------------------------------------------------------------
// The collectors pytest gives a .py file of this root (nullopt: none, or not Python).
std::optional<FileCollectors> LspServer::State::collectors_for(Root& root, const fs::path& path, const std::string& text) {
  if (path.extension() != ".py") return std::nullopt;
  const ProjectConfig& config = root.collection.config;
  FileCollectors collectors;
  collectors.python_module = false;
  for (const std::string& pattern : config.python_files)
    if (fnmatch_ex(pattern, path)) collectors.python_module = true;
  // Collected though python_files does not match: named in testpaths, or by a conftest hook.
  if (!config.doctest_modules && root.file_items.count(path.lexically_relative(config.rootdir).generic_string()))
    collectors.python_module = true;
  const std::string name = path.filename().string();
  collectors.doctest_module = config.doctest_modules && name != "__main__.py" &&
                              !(name == "setup.py" && is_setuptools_script(text));
  if (collectors.doctest_module)
    collectors.import_name = module_import_name(path, config.rootdir, parse_import_mode(config.import_mode));
  if (!collectors.python_module && !collectors.doctest_module) return std::nullopt;
  return collectors;
}

// The text a Document reads: Python's universal newlines, a lone CR as LF (line_breaks.h). The
// same length, so byte offsets into the editor's text stay valid.
static std::string python_text(const std::string& text) { return has_lone_cr(text) ? lone_cr_as_lf(text) : text; }

void LspServer::State::attach_document(OpenDoc& d) {
  d.root = root_for(d.path);
  d.module_id.clear();
  d.doc.reset();
  if (!d.root) return;
  d.module_id = d.path.lexically_relative(d.root->rootdir()).generic_string();
  auto collectors = collectors_for(*d.root, d.path, d.text);
  if (collectors && d.module_id.rfind("..", 0) != 0) {
    CollectRules rules = rules_for(*d.root, d.path);
    d.doc = std::make_unique<Document>(d.module_id, python_text(d.text), rules, *collectors);
  }
}

void LspServer::State::open_document(const std::string& uri, std::string text) {
  auto path = uri_to_path(uri);
  if (!path) return;
  OpenDoc d;
  d.uri = uri;
  d.path = fs::path(*path).lexically_normal();
  d.text = std::move(text);
  d.dirty = d.text != read_file(d.path);
  attach_document(d);
  auto& slot = docs[uri] = std::move(d);
  after_document_change(slot, /*items_changed=*/true, /*diagnostics_changed=*/true, std::nullopt);
  if (slot.root && slot.dirty) rediscover_dependents(*slot.root, slot.path);
}

void LspServer::State::after_document_change(OpenDoc& d, bool items_changed, bool diagnostics_changed,
                           std::optional<LineShift> shift) {
  if (!d.doc || !d.root) return;
  if (items_changed) {
    std::vector<TestItem> items = module_items(d);
    merge_settled(*d.root, d.module_id, items);
    std::vector<TestItem>& published = d.root->file_items[d.module_id];
    std::optional<ItemUpdate> update;
    if (shift && client_applies_moves) update = incremental_update(published, items, *shift);
    published = std::move(items);
    if (update) publish_moves(d, *shift, *update);
    else publish_file(*d.root, d.module_id);
  }
  if (diagnostics_changed) {
    LineIndex index(d.text);
    std::vector<json> list;
    for (const Diagnostic& diag : d.doc->diagnostics())
      list.push_back({{"range", lsp_range(diag.range, index)}, {"severity", 1}, {"source", "fastest"},
                      {"message", diag.message}});
    syntax_diagnostics[d.uri] = list;
    publish_diagnostics(d.uri);
  }
}

void LspServer::State::change_document(const json& params) {
  auto started = std::chrono::steady_clock::now();
  struct Timer {
    std::chrono::steady_clock::time_point t0;
    ~Timer() {
      spdlog::debug("didChange handled in {:.3f} ms",
                    std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
  } timer{started};
  std::string why;
  std::optional<DidChange> change = decode_did_change(params, &why);
  if (!change) {
    // The document stays as it was: applying part of a malformed notification would only
    // desynchronise it further.
    spdlog::error("textDocument/didChange ignored: {}", why);
    writer.notify("window/logMessage", {{"type", 1}, {"message", "fastest: textDocument/didChange ignored: " + why}});
    return;
  }
  auto it = docs.find(change->uri);
  if (it == docs.end()) return;
  OpenDoc& d = it->second;
  bool items_changed = false, diags_changed = false;
  std::optional<LineShift> shift;
  for (const ContentChange& c : change->changes) {
    if (c.range) {
      LineIndex index(d.text);
      const TextRange& r = *c.range;
      uint32_t start = index.offset(r.start.line, r.start.character, encoding);
      uint32_t end = index.offset(r.end.line, r.end.character, encoding);
      if (end < start) std::swap(start, end);
      if (change->changes.size() == 1) {
        // Lines after the edit's end move by the line breaks it added or removed.
        const uint32_t last_line = index.line_count() - 1;
        uint32_t start_line = std::min(r.start.line, last_line);
        uint32_t end_line = std::min(r.end.line, last_line);
        if (end_line < start_line) std::swap(start_line, end_line);
        const auto added = static_cast<int64_t>(std::count(c.text.begin(), c.text.end(), '\n'));
        shift = LineShift{end_line, static_cast<int32_t>(static_cast<int64_t>(start_line) + added - end_line)};
      }
      // A CR inserted, or one whose next byte the edit changes, can make or unmake a line
      // break: the Document then reads the whole text again (python_text).
      const bool cr_in_play = c.text.find('\r') != std::string::npos || (start > 0 && d.text[start - 1] == '\r');
      d.text.replace(start, end - start, c.text);
      if (d.doc && cr_in_play) {
        shift.reset();
        ItemDelta delta = d.doc->replace_text(python_text(d.text));
        items_changed |= !delta.added.empty() || !delta.changed.empty() || !delta.removed.empty();
        diags_changed |= delta.diagnostics_changed;
      } else if (d.doc) {
        ItemDelta delta = d.doc->apply_edit(start, end, c.text);
        items_changed |= !delta.added.empty() || !delta.changed.empty() || !delta.removed.empty();
        diags_changed |= delta.diagnostics_changed;
      }
    } else {
      d.text = c.text;
      if (d.doc) {
        ItemDelta delta = d.doc->replace_text(python_text(d.text));
        items_changed |= !delta.added.empty() || !delta.changed.empty() || !delta.removed.empty();
        diags_changed |= delta.diagnostics_changed;
      }
    }
  }
  d.dirty = true;
  auto edited = std::chrono::steady_clock::now();
  // Any edit may change what pytest makes of the module's dynamic items (a helper's return
  // value, a decorator): its settled items stay, stale, until it is re-settled.
  const bool newly_stale = d.doc && d.root && mark_stale(*d.root, d.module_id);
  after_document_change(d, items_changed || newly_stale, diags_changed, shift);
  if (d.doc && d.root) schedule_resettle(*d.root, {d.module_id});
  if (d.root) rediscover_dependents(*d.root, d.path);
  if (d.root) buffer_typed(d.path);
  spdlog::debug("didChange: edit+discovery {:.3f} ms, publish {:.3f} ms",
                std::chrono::duration<double, std::milli>(edited - started).count(),
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - edited).count());
}

void LspServer::State::save_document(const std::string& uri) {
  auto it = docs.find(uri);
  if (it == docs.end()) return;
  it->second.dirty = it->second.text != read_file(it->second.path);
  continuous_files_changed({it->second.path}, /*saved=*/true);
}

// The file goes back to what is on disk, with the same collectors it had open.
void LspServer::State::close_document(const std::string& uri) {
  auto it = docs.find(uri);
  if (it == docs.end()) return;
  std::shared_ptr<Root> root = it->second.root;
  const std::string module_id = it->second.module_id;
  const fs::path path = it->second.path;
  const bool collected = it->second.doc != nullptr;
  const bool dirty = it->second.dirty;
  docs.erase(it);
  syntax_diagnostics.erase(uri);
  publish_diagnostics(uri);
  if (root && dirty) rediscover_dependents(*root, path);  // its bases are the file's again
  if (!root || !collected) return;
  rediscover_from_disk(*root, module_id, path, dirty);
}

void LspServer::State::rediscover_from_disk(Root& root, const std::string& module_id, const fs::path& path,
                                            bool was_dirty) {
  const std::string text = read_file(path);
  auto collectors = collectors_for(root, path, text);
  if (!collectors) return;
  Document disk(module_id, python_text(text), rules_for(root, path), *collectors);
  std::vector<TestItem> items = disk.items();
  if (!items.empty()) items.front().set_parent_id(fs::path(module_id).parent_path().generic_string());
  if (disk.result().base_files.empty()) root.collection.base_files.erase(module_id);
  else root.collection.base_files[module_id] = disk.result().base_files;
  if (was_dirty) mark_stale(root, module_id);  // back to the file's text: settled for the buffer's
  merge_settled(root, module_id, items);
  root.file_items[module_id] = std::move(items);
  publish_file(root, module_id);
  if (was_dirty) schedule_resettle(root, {module_id});
}

CollectRules LspServer::State::rules_for(Root& root, const fs::path& path) {
  CollectRules rules = rules_for_module(root.collection, path);
  auto finder = std::dynamic_pointer_cast<ModuleFinder>(rules.modules);
  if (!finder) return rules;
  if (!root.live_modules)
    root.live_modules = finder->with_buffers([this](const fs::path& file) -> std::optional<std::string> {
      const fs::path normal = file.lexically_normal();
      for (const auto& [uri, d] : docs)
        if (d.path == normal) return d.text;
      return std::nullopt;
    });
  rules.modules = root.live_modules;
  return rules;
}

void LspServer::State::rediscover_dependents(Root& root, const fs::path& changed) {
  const std::string file = changed.lexically_normal().string();
  auto reads = [&](const std::vector<std::string>& files) {
    return std::find(files.begin(), files.end(), file) != files.end();
  };
  std::set<std::string> open_modules;
  for (auto& [uri, d] : docs) {
    if (d.root.get() != &root || !d.doc) continue;
    open_modules.insert(d.module_id);
    if (d.path == changed || !reads(d.doc->result().base_files)) continue;
    mark_stale(root, d.module_id);
    d.doc->set_rules(rules_for(root, d.path));
    after_document_change(d, /*items_changed=*/true, /*diagnostics_changed=*/false, std::nullopt);
    schedule_resettle(root, {d.module_id});
  }
  std::vector<std::string> closed;
  for (const auto& [module_id, files] : root.collection.base_files)
    if (!open_modules.count(module_id) && reads(files)) closed.push_back(module_id);
  for (const std::string& module_id : closed)
    rediscover_from_disk(root, module_id, root.rootdir() / module_id, /*was_dirty=*/true);
}

}  // namespace fastest::lsp
