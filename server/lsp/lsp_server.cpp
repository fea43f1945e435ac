#include "server/lsp/lsp_server.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <spdlog/spdlog.h>

#include "protocol/jsonrpc.h"
#include "server/discovery/document.h"
#include "server/discovery/doctest_discovery.h"
#include "server/workspace/import_name.h"
#include "server/execution/engine.h"
#include "server/lsp/positions.h"
#include "server/lsp/uri.h"
#include "server/workspace/config.h"
#include "server/workspace/interpreter.h"
#include "server/workspace/project.h"

namespace fs = std::filesystem;
using fastest::protocol::json;
using fastest::protocol::RpcError;

namespace fastest::lsp {
namespace {

struct Settings {
  std::optional<std::string> python_path;
  int workers = 0;
  double timeout_s = 0;
  std::vector<std::string> extra_args;
  std::map<std::string, std::string> env;

  void update(const json& j) {
    if (!j.is_object()) return;
    const json& s = j.contains("fastest") && j["fastest"].is_object() ? j["fastest"] : j;
    if (s.contains("pythonPath") && s["pythonPath"].is_string() && !s["pythonPath"].get<std::string>().empty())
      python_path = s["pythonPath"].get<std::string>();
    if (s.contains("workers") && s["workers"].is_number_integer()) workers = s["workers"].get<int>();
    if (s.contains("timeout") && s["timeout"].is_number()) timeout_s = s["timeout"].get<double>();
    if (s.contains("extraArgs") && s["extraArgs"].is_array()) extra_args = s["extraArgs"].get<std::vector<std::string>>();
    if (s.contains("env") && s["env"].is_object())
      for (auto& [k, v] : s["env"].items())
        if (v.is_string()) env[k] = v.get<std::string>();
  }
};

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

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

// How an edit moved the lines below it: every position on a line after `after_line` moves by
// `line_delta` lines (its column stays: that line's text did not change).
struct LineShift {
  uint32_t after_line = 0;
  int32_t line_delta = 0;
};

struct Root {
  fs::path folder;                       // the workspace folder
  Collection collection;                 // the last full collection
  std::map<std::string, std::vector<TestItem>> file_items;  // module id -> its items
  std::vector<TestItem> folders;
  size_t test_count = 0;                 // runnable tests at the last collection
  std::mutex engine_mutex;               // one run at a time per root
  std::unique_ptr<ExecutionEngine> engine;
  std::string engine_key;                // settings the engine was built with

  fs::path rootdir() const { return collection.config.rootdir; }
};

struct OpenDoc {
  std::string uri;
  fs::path path;
  std::string text;
  Root* root = nullptr;
  std::string module_id;
  std::unique_ptr<Document> doc;  // only for test modules
  bool dirty = false;
};

struct RunInfo {
  std::string id;
  Root* root = nullptr;
  std::thread thread;
  std::atomic<bool> finished{false};
  std::atomic<bool> cancelled{false};
};

struct LspServer::State {
  protocol::Writer writer;
  protocol::Dispatcher dispatcher;
  asio::io_context io;
  int in_fd;
  bool initialized = false;
  bool shutdown_requested = false;
  bool exit_requested = false;
  Encoding encoding = Encoding::Utf16;
  bool client_progress = false;
  bool watch_registration = false;
  bool client_applies_moves = false;  // the client handles fastest/testsMoved (opted in)
  Settings settings;
  std::vector<std::unique_ptr<Root>> roots;
  std::map<std::string, OpenDoc> docs;  // by uri
  std::map<std::string, std::map<std::string, json>> failure_diagnostics;  // uri -> test id -> diag
  std::map<std::string, std::vector<json>> syntax_diagnostics;            // uri -> diags
  std::mutex runs_mutex;
  std::map<std::string, std::unique_ptr<RunInfo>> runs;
  std::atomic<int> next_run{1};

  State(int in, int out) : writer(out), dispatcher(writer), in_fd(in) {}

  // --- paths and ranges ----------------------------------------------------------------
  Root* root_for(const fs::path& path) {
    Root* best = nullptr;
    size_t best_len = 0;
    for (auto& r : roots) {
      std::string base = r->folder.string();
      std::string p = path.string();
      if (p == base || (p.rfind(base + "/", 0) == 0)) {
        if (base.size() >= best_len) { best = r.get(); best_len = base.size(); }
      }
    }
    return best;
  }

  std::string text_of(const fs::path& path) {
    for (auto& [uri, d] : docs)
      if (d.path == path) return d.text;
    return read_file(path);
  }

  json lsp_range(const Range& r, const LineIndex& index) const {
    return {{"start", {{"line", r.start.line}, {"character", index.character(r.start.line, r.start.column, encoding)}}},
            {"end", {{"line", r.end.line}, {"character", index.character(r.end.line, r.end.column, encoding)}}}};
  }

  json point_json(uint32_t line, uint32_t character) const {
    json p = json::object();
    p["line"] = line;
    p["character"] = character;
    return p;
  }

  // Built field by field (no initializer lists: they deep-copy), the file's URI computed once.
  json item_json(const TestItem& item, const std::string& item_uri, const LineIndex* index) const {
    json j = json::object();
    j["id"] = item.id;
    j["label"] = item.label;
    j["kind"] = to_string(item.kind);
    if (!item.parent_id.empty()) j["parentId"] = item.parent_id;
    j["uri"] = item_uri;
    json tags = json::array();
    for (const Mark& m : item.marks) tags.push_back(m.name);
    j["tags"] = std::move(tags);
    j["dynamic"] = item.dynamic;
    if (item.dynamic) j["dynamicReason"] = item.dynamic_reason;
    if (index && item.kind != ItemKind::Folder) {
      json range = json::object();
      range["start"] = point_json(item.range.start.line, index->character(item.range.start.line, item.range.start.column, encoding));
      range["end"] = point_json(item.range.end.line, index->character(item.range.end.line, item.range.end.column, encoding));
      j["range"] = std::move(range);
    }
    return j;
  }

  json item_json(const TestItem& item, const Root& root, const LineIndex* index) const {
    return item_json(item, path_to_uri((root.rootdir() / item.path).string()), index);
  }

  json file_items_json(const Root& root, const std::string& module_id) {
    json items = json::array();
    auto it = root.file_items.find(module_id);
    if (it == root.file_items.end()) return items;
    fs::path path = root.rootdir() / module_id;
    std::string file_uri = path_to_uri(path.string());
    const std::string* text = nullptr;
    std::string disk;
    for (auto& [uri, d] : docs)
      if (d.path == path) text = &d.text;
    if (!text) {
      disk = read_file(path);
      text = &disk;
    }
    LineIndex index(*text);
    items.get_ref<json::array_t&>().reserve(it->second.size());
    for (const TestItem& item : it->second) items.push_back(item_json(item, file_uri, &index));
    return items;
  }

  // An edit that only moved a file's items: ids, labels, marks unchanged. Returns the indexes
  // of items whose new range is not their old one moved by `shift` (those are sent whole);
  // nullopt when anything else changed.
  static std::optional<std::vector<size_t>> items_only_moved(const std::vector<TestItem>& before,
                                                              const std::vector<TestItem>& after, LineShift shift) {
    if (before.size() != after.size()) return std::nullopt;
    auto moved = [&shift](Point p) {
      if (p.line > shift.after_line) p.line = static_cast<uint32_t>(static_cast<int64_t>(p.line) + shift.line_delta);
      return p;
    };
    std::vector<size_t> touched;
    for (size_t i = 0; i < before.size(); ++i) {
      const TestItem& a = before[i];
      const TestItem& b = after[i];
      if (a.id != b.id || a.label != b.label || a.kind != b.kind || a.parent_id != b.parent_id || a.marks != b.marks ||
          a.dynamic != b.dynamic || a.path != b.path)
        return std::nullopt;
      if (b.range != Range{moved(a.range.start), moved(a.range.end)}) touched.push_back(i);
    }
    return touched;
  }

  // fastest/testsMoved: a few bytes instead of the file's whole item list on every keystroke
  // that only moves tests (typing Enter in a test body moves every test below it).
  void publish_moves(const OpenDoc& d, LineShift shift, const std::vector<size_t>& touched) {
    const std::vector<TestItem>& items = d.root->file_items[d.module_id];
    std::string file_uri = path_to_uri((d.root->rootdir() / d.module_id).string());
    LineIndex index(d.text);
    json list = json::array();
    for (size_t i : touched) list.push_back(item_json(items[i], file_uri, &index));
    writer.notify("fastest/testsMoved", {{"uri", file_uri},
                                         {"afterLine", shift.after_line},
                                         {"lineDelta", shift.line_delta},
                                         {"items", std::move(list)}});
  }

  void publish_file(Root& root, const std::string& module_id) {
    auto t0 = std::chrono::steady_clock::now();
    json items = file_items_json(root, module_id);
    auto t1 = std::chrono::steady_clock::now();
    json params = json::object();
    params["scopeUri"] = path_to_uri((root.rootdir() / module_id).string());
    params["items"] = std::move(items);
    writer.notify("fastest/discoveredTests", params);
    auto t2 = std::chrono::steady_clock::now();
    spdlog::debug("publish_file: build {:.3f} ms, send {:.3f} ms", std::chrono::duration<double, std::milli>(t1 - t0).count(),
                  std::chrono::duration<double, std::milli>(t2 - t1).count());
  }

  // The whole tree, serialised item by item: a 10,000-test workspace never exists as one
  // JSON document in memory.
  void publish_root(Root& root) {
    std::string body = R"({"jsonrpc":"2.0","method":"fastest/discoveredTests","params":{"scopeUri":)" +
                       json(path_to_uri(root.folder.string())).dump() + R"(,"items":[)";
    bool first = true;
    auto append = [&](const json& item) {
      if (!first) body += ',';
      first = false;
      body += item.dump(-1, ' ', false, json::error_handler_t::replace);
    };
    for (const TestItem& f : root.folders) append(item_json(f, root, nullptr));
    for (auto& [module_id, list] : root.file_items) {
      fs::path path = root.rootdir() / module_id;
      std::string file_uri = path_to_uri(path.string());
      std::string text = text_of(path);
      LineIndex index(text);
      for (const TestItem& item : list) append(item_json(item, file_uri, &index));
    }
    body += "]}}";
    writer.send_serialized(body);
  }

  // --- collection ----------------------------------------------------------------------
  void collect_root(Root& root) {
    Invocation inv;
    inv.invocation_dir = root.folder;
    inv.python = settings.python_path;
    for (auto& [uri, d] : docs)
      if (d.dirty && d.root == &root) inv.overlays.emplace_back(d.path, d.text);
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
      if (d.root == &root && d.doc) root.file_items[d.module_id] = module_items(d);
    publish_syntax_diagnostics_for_root(root);
  }

  std::vector<TestItem> module_items(const OpenDoc& d) {
    std::vector<TestItem> items = d.doc->items();
    // The module's parent is its folder in the tree.
    std::string parent = fs::path(d.module_id).parent_path().generic_string();
    if (!items.empty()) items.front().parent_id = parent;
    return items;
  }

  void publish_syntax_diagnostics_for_root(Root& root) {
    std::map<std::string, std::vector<json>> by_uri;
    for (const Diagnostic& d : root.collection.diagnostics) {
      fs::path path = root.rootdir() / d.path;
      std::string text = text_of(path);
      LineIndex index(text);
      by_uri[path_to_uri(path.string())].push_back(
          {{"range", lsp_range(d.range, index)}, {"severity", 1}, {"source", "fastest"}, {"message", d.message}});
    }
    std::set<std::string> uris;
    for (auto& [uri, _] : syntax_diagnostics) uris.insert(uri);
    for (auto& [uri, _] : by_uri) uris.insert(uri);
    for (const std::string& uri : uris) {
      if (docs.count(uri)) continue;  // open documents report their own
      syntax_diagnostics[uri] = by_uri[uri];
      publish_diagnostics(uri);
    }
  }

  void publish_diagnostics(const std::string& uri) {
    json list = json::array();
    for (auto& d : syntax_diagnostics[uri]) list.push_back(d);
    for (auto& [id, d] : failure_diagnostics[uri]) list.push_back(d);
    writer.notify("textDocument/publishDiagnostics", {{"uri", uri}, {"diagnostics", list}});
  }

  void index_workspace() {
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
  void settle_in_background(Root& root) {
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
    if (targets.empty()) return;
    Settings s = settings;
    Root* r = &root;
    std::thread([this, r, targets, s] {
     try {
      std::vector<std::string> real;
      {
        std::lock_guard<std::mutex> lock(r->engine_mutex);
        std::string error;
        ExecutionEngine* engine = ensure_engine(*r, s, &error);
        if (!engine) return;
        struct Collector : RunObserver {
          std::vector<std::string>& out;
          explicit Collector(std::vector<std::string>& o) : out(o) {}
          void on_collected(const std::vector<std::string>& ids) override { out.insert(out.end(), ids.begin(), ids.end()); }
        } collector(real);
        RunRequest request;
        request.ids = targets;
        request.collect_only = true;
        engine->run(request, collector);
      }
      asio::post(io, [this, r, targets, real] { apply_settled(*r, targets, real); });
     } catch (const std::exception& e) {
      spdlog::warn("settling dynamic tests failed: {}", e.what());
     }
    }).detach();
  }

  void apply_settled(Root& root, const std::vector<std::string>& targets, const std::vector<std::string>& real) {
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
    (void)targets;
  }

  // --- documents -----------------------------------------------------------------------
  // The collectors pytest gives a .py file of this root (nullopt: none, or not Python).
  std::optional<FileCollectors> collectors_for(Root& root, const fs::path& path, const std::string& text) {
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

  void open_document(const std::string& uri, std::string text) {
    auto path = uri_to_path(uri);
    if (!path) return;
    OpenDoc d;
    d.uri = uri;
    d.path = fs::path(*path).lexically_normal();
    d.text = std::move(text);
    d.root = root_for(d.path);
    d.dirty = d.text != read_file(d.path);
    if (d.root) {
      d.module_id = d.path.lexically_relative(d.root->rootdir()).generic_string();
      auto collectors = collectors_for(*d.root, d.path, d.text);
      if (collectors && d.module_id.rfind("..", 0) != 0) {
        CollectRules rules = d.root->collection.config.rules;
        d.doc = std::make_unique<Document>(d.module_id, d.text, rules, *collectors);
      }
    }
    auto& slot = docs[uri] = std::move(d);
    after_document_change(slot, /*items_changed=*/true, /*diagnostics_changed=*/true, std::nullopt);
  }

  void after_document_change(OpenDoc& d, bool items_changed, bool diagnostics_changed,
                             std::optional<LineShift> shift) {
    if (!d.doc || !d.root) return;
    if (items_changed) {
      std::vector<TestItem> items = module_items(d);
      std::vector<TestItem>& published = d.root->file_items[d.module_id];
      std::optional<std::vector<size_t>> touched;
      if (shift && client_applies_moves) touched = items_only_moved(published, items, *shift);
      published = std::move(items);
      if (touched) publish_moves(d, *shift, *touched);
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

  void change_document(const json& params) {
    auto started = std::chrono::steady_clock::now();
    struct Timer {
      std::chrono::steady_clock::time_point t0;
      ~Timer() {
        spdlog::debug("didChange handled in {:.3f} ms",
                      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
      }
    } timer{started};
    std::string uri = params.at("textDocument").at("uri");
    auto it = docs.find(uri);
    if (it == docs.end()) return;
    OpenDoc& d = it->second;
    bool items_changed = false, diags_changed = false;
    const json& changes = params.at("contentChanges");
    std::optional<LineShift> shift;
    for (const json& change : changes) {
      std::string new_text = change.at("text");
      if (change.contains("range")) {
        LineIndex index(d.text);
        const json& r = change["range"];
        uint32_t start = index.offset(r["start"]["line"], r["start"]["character"], encoding);
        uint32_t end = index.offset(r["end"]["line"], r["end"]["character"], encoding);
        if (end < start) std::swap(start, end);
        if (changes.size() == 1) {
          // Lines after the edit's end move by the line breaks it added or removed.
          const uint32_t last_line = index.line_count() - 1;
          uint32_t start_line = std::min(r["start"]["line"].get<uint32_t>(), last_line);
          uint32_t end_line = std::min(r["end"]["line"].get<uint32_t>(), last_line);
          if (end_line < start_line) std::swap(start_line, end_line);
          const auto added = static_cast<int64_t>(std::count(new_text.begin(), new_text.end(), '\n'));
          shift = LineShift{end_line, static_cast<int32_t>(static_cast<int64_t>(start_line) + added - end_line)};
        }
        d.text.replace(start, end - start, new_text);
        if (d.doc) {
          ItemDelta delta = d.doc->apply_edit(start, end, new_text);
          items_changed |= !delta.added.empty() || !delta.changed.empty() || !delta.removed.empty();
          diags_changed |= delta.diagnostics_changed;
        }
      } else {
        d.text = new_text;
        if (d.doc) {
          ItemDelta delta = d.doc->replace_text(d.text);
          items_changed |= !delta.added.empty() || !delta.changed.empty() || !delta.removed.empty();
          diags_changed |= delta.diagnostics_changed;
        }
      }
    }
    d.dirty = true;
    auto edited = std::chrono::steady_clock::now();
    after_document_change(d, items_changed, diags_changed, shift);
    spdlog::debug("didChange: edit+discovery {:.3f} ms, publish {:.3f} ms",
                  std::chrono::duration<double, std::milli>(edited - started).count(),
                  std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - edited).count());
  }

  // --- runs ----------------------------------------------------------------------------
  struct Target {
    Root* root;
    std::vector<std::string> ids;  // leaves to run
  };

  std::vector<std::string> leaves_under(Root& root, const std::string& id) {
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
        if (item.kind == ItemKind::Case) parents_with_cases.insert(item.parent_id);
      for (const TestItem& item : items) {
        bool leaf = item.kind == ItemKind::Case || (item.kind == ItemKind::Function && !parents_with_cases.count(item.id));
        if (leaf && under(item.id)) out.push_back(item.id);
      }
    }
    if (id.empty()) {
      for (auto& [module, items] : root.file_items) {
        std::set<std::string> with_cases;
        for (const TestItem& item : items) if (item.kind == ItemKind::Case) with_cases.insert(item.parent_id);
        for (const TestItem& item : items)
          if (item.kind == ItemKind::Case || (item.kind == ItemKind::Function && !with_cases.count(item.id)))
            out.push_back(item.id);
      }
    }
    return out;
  }

  std::vector<Target> resolve_targets(const std::vector<std::string>& include, const std::vector<std::string>& exclude) {
    std::vector<Target> targets;
    for (auto& root : roots) {
      Target t{root.get(), {}};
      std::set<std::string> seen;
      for (const std::string& id : include) {
        for (const std::string& leaf : leaves_under(*root, id))
          if (seen.insert(leaf).second) t.ids.push_back(leaf);
      }
      std::vector<std::string> kept;
      for (const std::string& leaf : t.ids) {
        bool excluded = false;
        for (const std::string& ex : exclude)
          excluded |= leaf == ex || leaf.rfind(ex + "::", 0) == 0 || leaf.rfind(ex + "[", 0) == 0 || leaf.rfind(ex + "/", 0) == 0;
        if (!excluded) kept.push_back(leaf);
      }
      t.ids = kept;
      if (!t.ids.empty()) targets.push_back(std::move(t));
    }
    return targets;
  }

  json start_run(const std::vector<std::string>& include, const std::vector<std::string>& exclude, RunKind kind) {
    for (const std::string& id : include)
      if (!id.empty() && !is_safe_id(id)) throw RpcError(protocol::kInvalidParams, "test id outside the workspace: " + id);
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
      Root& root = *targets.front().root;
      auto python = root.collection.config.python;
      if (settings.python_path) python = *settings.python_path;
      const char* package = kind == RunKind::Debug ? "debugpy" : "coverage";
      for (auto& t : targets) {
        auto p = settings.python_path ? std::optional<fs::path>(*settings.python_path) : t.root->collection.config.python;
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
    for (const auto& id : enqueued)
      writer.notify("fastest/testStateChanged", {{"runId", run_id}, {"id", id}, {"state", "enqueued"}});

    auto info = std::make_unique<RunInfo>();
    info->id = run_id;
    RunInfo* raw = info.get();
    Settings settings_copy = settings;
    bool progress = client_progress;
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
    std::lock_guard<std::mutex> lock(runs_mutex);
    runs[run_id] = std::move(info);
    return reply;
  }

  class RunReporter : public RunObserver {
   public:
    RunReporter(State& s, std::string run_id, Root& root, size_t total, bool progress)
        : s_(s), run_id_(std::move(run_id)), root_(root), total_(total), progress_(progress) {}
    void on_started(const std::string& id) override {
      s_.writer.notify("fastest/testStateChanged", {{"runId", run_id_}, {"id", id}, {"state", "started"}});
    }
    void on_result(const TestResult& r) override {
      json msg = {{"runId", run_id_}, {"id", r.id}, {"state", to_string(r.outcome)},
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
      ++done_;
      counts_[to_string(r.outcome)]++;
      if (progress_) {
        std::string text = std::to_string(done_) + "/" + std::to_string(std::max(total_, done_));
        for (auto& [k, v] : counts_) text += " " + std::to_string(v) + " " + k;
        s_.writer.notify("$/progress", {{"token", run_id_}, {"value", {{"kind", "report"}, {"message", text},
                                         {"percentage", 100 * done_ / std::max<size_t>(1, std::max(total_, done_))}}}});
      }
      asio::post(s_.io, [&s = s_, r, root = &root_] { s.record_failure_diagnostic(*root, r); });
    }
    json location_json(const FailureLocation& loc) const {
      return {{"uri", path_to_uri(loc.path)},
              {"range", {{"start", {{"line", std::max(0, loc.line - 1)}, {"character", 0}}},
                         {"end", {{"line", std::max(0, loc.line - 1)}, {"character", 0}}}}}};
    }

   private:
    State& s_;
    std::string run_id_;
    Root& root_;
    size_t total_;
    bool progress_;
    size_t done_ = 0;
    std::map<std::string, size_t> counts_;
  };

  void record_failure_diagnostic(Root& root, const TestResult& r) {
    // Clear this test's old diagnostic wherever it was.
    for (auto& [uri, per_test] : failure_diagnostics) {
      if (per_test.erase(r.id)) publish_diagnostics(uri);
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
    failure_diagnostics[uri][r.id] = diag;
    publish_diagnostics(uri);
    (void)root;
  }

  static std::string engine_key_for(const Settings& s, const Root& root) {
    std::string key = s.python_path.value_or("") + "|" + std::to_string(s.workers) + "|" + root.rootdir().string();
    for (auto& a : s.extra_args) key += "|" + a;
    for (auto& [k, v] : s.env) key += "|" + k + "=" + v;
    return key;
  }

  // Starts (or reuses) the root's warm engine; the caller holds engine_mutex.
  ExecutionEngine* ensure_engine(Root& root, const Settings& s, std::string* error) {
    std::string key = engine_key_for(s, root);
    if (root.engine && root.engine_key == key) return root.engine.get();
    root.engine.reset();
    EngineOptions o;
    auto python = s.python_path ? std::optional<fs::path>(*s.python_path) : root.collection.config.python;
    if (!python) {
      *error = "no Python interpreter found: set fastest.pythonPath, activate a virtualenv, or create .venv";
      return nullptr;
    }
    o.python = *python;
    o.rootdir = root.rootdir();
    o.inifile = root.collection.config.inifile;
    o.workers = s.workers;
    o.pytest_args = s.extra_args;
    o.env = s.env;
    auto engine = std::make_unique<ExecutionEngine>(o);
    if (!engine->start(error)) return nullptr;
    root.engine = std::move(engine);
    root.engine_key = key;
    return root.engine.get();
  }

  void execute_run(RunInfo& info, std::vector<Target> targets, std::map<std::string, std::string> overlays,
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
      std::lock_guard<std::mutex> lock(t.root->engine_mutex);
      std::string error;
      ExecutionEngine* engine = ensure_engine(*t.root, s, &error);
      if (!engine) {
        error_text = error;
        for (auto& id : t.ids)
          writer.notify("fastest/testStateChanged", {{"runId", info.id}, {"id", id}, {"state", "errored"},
                                                     {"messages", json::array({{{"message", error}}})}});
        counts["errored"] += t.ids.size();
        continue;
      }
      {
        std::lock_guard<std::mutex> rl(runs_mutex);
        info.root = t.root;
        if (info.cancelled) engine->cancel();
      }
      RunRequest request;
      request.ids = t.ids;
      request.kind = kind;
      request.timeout_s = s.timeout_s;
      request.overlays = overlays;
      request.debug_port = debug_port;
      RunReporter reporter(*this, info.id, *t.root, total, progress);
      RunSummary summary = engine->run(request, reporter);
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

  void cancel_run(const std::string& run_id) {
    std::lock_guard<std::mutex> lock(runs_mutex);
    for (auto& [id, info] : runs) {
      if (!run_id.empty() && id != run_id) continue;
      info->cancelled = true;
      if (info->finished || !info->root) continue;
      if (info->root->engine) info->root->engine->cancel();
    }
  }

  void reap_finished_runs() {
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

  // The innermost item at a position: a case, else its function, else the class, else the module.
  std::string item_at(const std::string& uri, const json& position) {
    auto it = docs.find(uri);
    auto path = uri_to_path(uri);
    if (!path) throw RpcError(protocol::kInvalidParams, "not a file URI: " + uri);
    Root* root = root_for(*path);
    if (!root) throw RpcError(protocol::kInvalidParams, "file outside the workspace: " + uri);
    std::string module_id = fs::path(*path).lexically_normal().lexically_relative(root->rootdir()).generic_string();
    std::string text = it != docs.end() ? it->second.text : read_file(*path);
    LineIndex index(text);
    uint32_t line = position.at("line"), character = position.at("character");
    uint32_t offset = index.offset(line, character, encoding);
    uint32_t col = offset - index.offset(line, 0, Encoding::Utf8);
    auto items_it = root->file_items.find(module_id);
    if (items_it == root->file_items.end()) throw RpcError(protocol::kInvalidParams, "no tests in " + uri);
    const TestItem* best = nullptr;
    auto contains = [&](const Range& r) {
      Point p{line, col};
      auto before = [](Point a, Point b) { return a.line < b.line || (a.line == b.line && a.column <= b.column); };
      return before(r.start, p) && before(p, r.end);
    };
    int best_rank = -1;
    for (const TestItem& item : items_it->second) {
      int rank = item.kind == ItemKind::Case ? 4 : item.kind == ItemKind::Function ? 3 : item.kind == ItemKind::Class ? 2 : 1;
      if (!contains(item.range) && item.kind != ItemKind::Module) continue;
      // Deeper (later in pre-order) items at the same rank win: nested classes.
      if (rank >= best_rank) { best = &item; best_rank = rank; }
    }
    if (!best) throw RpcError(protocol::kInvalidParams, "no test at that position");
    return best->id;
  }

  json execute_command(const json& params) {
    std::string command = params.at("command");
    json args = params.value("arguments", json::array());
    json arg = args.is_array() && !args.empty() ? args[0] : json::object();
    auto id_from = [&]() -> std::string {
      if (arg.is_string()) return arg.get<std::string>();
      if (arg.contains("id")) return arg["id"].get<std::string>();
      if (arg.contains("uri") && arg.contains("position")) return item_at(arg["uri"], arg["position"]);
      throw RpcError(protocol::kInvalidParams, command + " needs {id} or {uri, position}");
    };
    if (command == "fastest.runTest") return start_run({id_from()}, {}, RunKind::Run);
    if (command == "fastest.debugTest") return start_run({id_from()}, {}, RunKind::Debug);
    if (command == "fastest.runFile") {
      std::string uri = arg.is_string() ? arg.get<std::string>() : arg.at("uri").get<std::string>();
      auto path = uri_to_path(uri);
      Root* root = path ? root_for(*path) : nullptr;
      if (!root) throw RpcError(protocol::kInvalidParams, "file outside the workspace: " + uri);
      return start_run({fs::path(*path).lexically_normal().lexically_relative(root->rootdir()).generic_string()}, {}, RunKind::Run);
    }
    if (command == "fastest.runAll") return start_run({""}, {}, RunKind::Run);
    if (command == "fastest.cancelRun") {
      cancel_run(arg.is_object() ? arg.value("runId", "") : "");
      return nullptr;
    }
    throw RpcError(protocol::kInvalidParams, "unknown command: " + command);
  }

  json code_lenses(const json& params) {
    std::string uri = params.at("textDocument").at("uri");
    auto path = uri_to_path(uri);
    json lenses = json::array();
    if (!path) return lenses;
    Root* root = root_for(*path);
    if (!root) return lenses;
    std::string module_id = fs::path(*path).lexically_normal().lexically_relative(root->rootdir()).generic_string();
    auto it = root->file_items.find(module_id);
    if (it == root->file_items.end()) return lenses;
    LineIndex index(text_of(*path));
    for (const TestItem& item : it->second) {
      if (item.kind == ItemKind::Module || item.kind == ItemKind::Folder) continue;
      json range = lsp_range(item.name_range, index);
      json arg = {{"id", item.id}, {"uri", uri}};
      lenses.push_back({{"range", range}, {"command", {{"title", "▶ Run"}, {"command", "fastest.runTest"}, {"arguments", json::array({arg})}}}});
      lenses.push_back({{"range", range}, {"command", {{"title", "Debug"}, {"command", "fastest.debugTest"}, {"arguments", json::array({arg})}}}});
    }
    return lenses;
  }

  void watched_files_changed(const json& params) {
    std::set<Root*> affected;
    for (const json& change : params.at("changes")) {
      auto path = uri_to_path(change.at("uri"));
      if (!path) continue;
      if (Root* r = root_for(*path)) affected.insert(r);
    }
    for (Root* r : affected) {
      collect_root(*r);
      publish_root(*r);
    }
  }

  void register_handlers();
  void shutdown_everything() {
    {
      std::lock_guard<std::mutex> lock(runs_mutex);
      for (auto& [id, info] : runs)
        if (info->root && info->root->engine) info->root->engine->cancel();
    }
    std::vector<std::unique_ptr<RunInfo>> pending;
    {
      std::lock_guard<std::mutex> lock(runs_mutex);
      for (auto& [id, info] : runs) pending.push_back(std::move(info));
      runs.clear();
    }
    for (auto& info : pending)
      if (info->thread.joinable()) info->thread.join();
    for (auto& root : roots) {
      std::lock_guard<std::mutex> lock(root->engine_mutex);
      root->engine.reset();  // kills and reaps every worker
    }
  }
};

void LspServer::State::register_handlers() {
  dispatcher.request_gate = [this](const std::string& method) -> int {
    if (method == "initialize") return initialized ? protocol::kInvalidRequest : 0;
    if (!initialized) return protocol::kServerNotInitialized;
    if (shutdown_requested) return protocol::kInvalidRequest;
    return 0;
  };
  dispatcher.notification_gate = [this](const std::string& method) {
    return initialized || method == "exit";
  };

  dispatcher.on_request("initialize", [this](const json& params) -> json {
    if (!params.is_object()) throw RpcError(protocol::kInvalidParams, "initialize needs an object");
    const json caps = params.value("capabilities", json::object());
    json encodings = caps.contains("general") ? caps["general"].value("positionEncodings", json::array()) : json::array();
    for (const json& e : encodings)
      if (e == "utf-8") encoding = Encoding::Utf8;
    client_progress = caps.contains("window") && caps["window"].value("workDoneProgress", false);
    client_applies_moves = caps.contains("experimental") && caps["experimental"].is_object() &&
                           caps["experimental"].value("fastestTestsMoved", false);
    watch_registration = caps.contains("workspace") && caps["workspace"].contains("didChangeWatchedFiles") &&
                         caps["workspace"]["didChangeWatchedFiles"].value("dynamicRegistration", false);
    if (params.contains("initializationOptions")) settings.update(params["initializationOptions"]);
    std::vector<fs::path> folders;
    if (params.contains("workspaceFolders") && params["workspaceFolders"].is_array())
      for (const json& f : params["workspaceFolders"])
        if (auto p = uri_to_path(f.value("uri", ""))) folders.push_back(*p);
    if (folders.empty() && params.contains("rootUri") && params["rootUri"].is_string())
      if (auto p = uri_to_path(params["rootUri"])) folders.push_back(*p);
    if (folders.empty() && params.contains("rootPath") && params["rootPath"].is_string())
      folders.push_back(params["rootPath"].get<std::string>());
    for (const fs::path& f : folders) {
      auto root = std::make_unique<Root>();
      root->folder = fs::path(f).lexically_normal();
      if (root->folder.filename().empty()) root->folder = root->folder.parent_path();
      roots.push_back(std::move(root));
    }
    initialized = true;
    json capabilities = {
        {"positionEncoding", encoding == Encoding::Utf8 ? "utf-8" : "utf-16"},
        {"textDocumentSync", {{"openClose", true}, {"change", 2}, {"save", {{"includeText", false}}}}},
        {"codeLensProvider", {{"resolveProvider", false}}},
        {"executeCommandProvider",
         {{"commands", {"fastest.runTest", "fastest.debugTest", "fastest.runFile", "fastest.runAll", "fastest.cancelRun"}}}},
        {"workspace", {{"workspaceFolders", {{"supported", true}, {"changeNotifications", true}}}}},
        {"experimental", {{"fastestTestExplorer", true}}}};
    return {{"capabilities", capabilities}, {"serverInfo", {{"name", "fastest"}, {"version", "0.1.0"}}}};
  });

  dispatcher.on_notification("initialized", [this](const json&) {
    if (watch_registration) {
      json watchers = json::array({{{"globPattern", "**/*.py"}},
                                   {{"globPattern", "**/{pytest.ini,.pytest.ini,pyproject.toml,tox.ini,setup.cfg,pytest.toml}"}}});
      writer.request("client/registerCapability",
                     {{"registrations", json::array({{{"id", "fastest-watch"}, {"method", "workspace/didChangeWatchedFiles"},
                                                      {"registerOptions", {{"watchers", watchers}}}}})}});
    }
    index_workspace();
  });

  dispatcher.on_request("shutdown", [this](const json&) -> json {
    shutdown_requested = true;
    shutdown_everything();
    return nullptr;
  });
  dispatcher.on_notification("exit", [this](const json&) {
    exit_requested = true;
    io.stop();
  });

  dispatcher.on_notification("textDocument/didOpen", [this](const json& p) {
    const json& td = p.at("textDocument");
    open_document(td.at("uri"), td.at("text"));
  });
  dispatcher.on_notification("textDocument/didChange", [this](const json& p) { change_document(p); });
  dispatcher.on_notification("textDocument/didSave", [this](const json& p) {
    auto it = docs.find(p.at("textDocument").at("uri"));
    if (it != docs.end()) it->second.dirty = it->second.text != read_file(it->second.path);
  });
  dispatcher.on_notification("textDocument/didClose", [this](const json& p) {
    std::string uri = p.at("textDocument").at("uri");
    auto it = docs.find(uri);
    if (it == docs.end()) return;
    Root* root = it->second.root;
    std::string module_id = it->second.module_id;
    bool was_test = it->second.doc != nullptr;
    docs.erase(it);
    syntax_diagnostics.erase(uri);
    publish_diagnostics(uri);
    if (root && was_test) {
      // Back to what is on disk.
      CollectRules rules = root->collection.config.rules;
      Document disk(module_id, read_file(root->rootdir() / module_id), rules);
      std::vector<TestItem> items = disk.items();
      if (!items.empty()) items.front().parent_id = fs::path(module_id).parent_path().generic_string();
      root->file_items[module_id] = items;
      publish_file(*root, module_id);
    }
  });
  dispatcher.on_notification("workspace/didChangeWatchedFiles", [this](const json& p) { watched_files_changed(p); });
  dispatcher.on_notification("workspace/didChangeConfiguration", [this](const json& p) {
    if (p.contains("settings")) settings.update(p["settings"]);
  });
  dispatcher.on_notification("workspace/didChangeWorkspaceFolders", [this](const json& p) {
    const json& event = p.at("event");
    for (const json& removed : event.value("removed", json::array()))
      if (auto path = uri_to_path(removed.value("uri", "")))
        roots.erase(std::remove_if(roots.begin(), roots.end(), [&](auto& r) { return r->folder == fs::path(*path); }), roots.end());
    for (const json& added : event.value("added", json::array()))
      if (auto path = uri_to_path(added.value("uri", ""))) {
        auto root = std::make_unique<Root>();
        root->folder = *path;
        roots.push_back(std::move(root));
        collect_root(*roots.back());
        publish_root(*roots.back());
      }
  });

  dispatcher.on_request("textDocument/codeLens", [this](const json& p) { return code_lenses(p); });
  dispatcher.on_request("workspace/executeCommand", [this](const json& p) { return execute_command(p); });
  dispatcher.on_request("fastest/runTests", [this](const json& p) -> json {
    if (!p.is_object() || !p.contains("include") || !p["include"].is_array())
      throw RpcError(protocol::kInvalidParams, "fastest/runTests needs {include: string[]}");
    std::vector<std::string> include = p["include"].get<std::vector<std::string>>();
    std::vector<std::string> exclude = p.value("exclude", std::vector<std::string>{});
    std::string kind = p.value("kind", "run");
    RunKind k = kind == "debug" ? RunKind::Debug : kind == "coverage" ? RunKind::Coverage : RunKind::Run;
    if (kind != "run" && kind != "debug" && kind != "coverage") throw RpcError(protocol::kInvalidParams, "kind must be run, debug or coverage");
    return start_run(include, exclude, k);
  });
  dispatcher.on_request("fastest/cancelRun", [this](const json& p) -> json {
    cancel_run(p.value("runId", ""));
    return nullptr;
  });
  dispatcher.on_request("fastest/discoverTests", [this](const json&) -> json {
    for (auto& root : roots) {
      collect_root(*root);
      publish_root(*root);
    }
    return nullptr;
  });
}

LspServer::LspServer(int in_fd, int out_fd) : state_(std::make_unique<State>(in_fd, out_fd)) {
  state_->register_handlers();
}

LspServer::~LspServer() = default;

int LspServer::run() {
  State& s = *state_;
  auto guard = asio::make_work_guard(s.io);
  protocol::Reader reader(
      s.in_fd,
      [&s](json message) {
        // $/cancelRequest is noted at once, so a request still queued is answered as cancelled.
        if (message.is_object() && message.value("method", "") == "$/cancelRequest" && message.contains("params"))
          s.dispatcher.note_cancelled(message["params"].value("id", json(nullptr)));
        asio::post(s.io, [&s, m = std::move(message)] {
          s.dispatcher.dispatch(m);
          s.reap_finished_runs();
        });
      },
      [&s](std::string error) {
        spdlog::warn("malformed message: {}", error);
        s.writer.reply_error(nullptr, protocol::kParseError, error);
      },
      [&s] {
        asio::post(s.io, [&s] { s.io.stop(); });
      });
  reader.start();
  s.io.run();
  s.shutdown_everything();
  return s.exit_requested ? (s.shutdown_requested ? 0 : 1) : 0;
}

}  // namespace fastest::lsp
