// What the server tells the client about tests: fastest/discoveredTests, fastest/testsMoved,
// textDocument/publishDiagnostics. Ranges go out in the negotiated position encoding.
#include "server/lsp/server_state.h"

#include <cctype>
#include <chrono>
#include <sstream>
#include <set>

#include <spdlog/spdlog.h>

#include "server/lsp/uri.h"

namespace fastest::lsp {

json LspServer::State::lsp_range(const Range& r, const LineIndex& index) const {
  return {{"start", {{"line", r.start.line}, {"character", index.character(r.start.line, r.start.column, encoding)}}},
          {"end", {{"line", r.end.line}, {"character", index.character(r.end.line, r.end.column, encoding)}}}};
}

json LspServer::State::point_json(uint32_t line, uint32_t character) const {
  json p = json::object();
  p["line"] = line;
  p["character"] = character;
  return p;
}

// Built field by field (no initializer lists: they deep-copy), the file's URI computed once.
json LspServer::State::item_json(const TestItem& item, const std::string& item_uri, const LineIndex* index) const {
  json j = json::object();
  j["id"] = item.id;
  j["label"] = item.label();
  j["kind"] = to_string(item.kind);
  if (!item.parent_id().empty()) j["parentId"] = item.parent_id();
  j["uri"] = item_uri;
  json tags = json::array();
  for (const Mark& m : item.marks) tags.push_back(m.name);
  j["tags"] = std::move(tags);
  j["dynamic"] = item.dynamic;
  if (item.dynamic) j["dynamicReason"] = item.dynamic_reason.str();
  if (item.stale) j["stale"] = true;
  if (index && item.kind != ItemKind::Folder) {
    json range = json::object();
    range["start"] = point_json(item.range.start.line, index->character(item.range.start.line, item.range.start.column, encoding));
    range["end"] = point_json(item.range.end.line, index->character(item.range.end.line, item.range.end.column, encoding));
    j["range"] = std::move(range);
  }
  return j;
}

json LspServer::State::item_json(const TestItem& item, const Root& root, const LineIndex* index) const {
  return item_json(item, path_to_uri((root.rootdir() / item.path()).string()), index);
}

json LspServer::State::file_items_json(const Root& root, const std::string& module_id) {
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

// fastest/testsMoved: a few bytes instead of the file's whole item list on every keystroke
// that only moves tests (typing Enter in a test body moves every test below it).
// A rename in a test's name is sent the same way: the old ids removed, the new items whole.
void LspServer::State::publish_moves(const OpenDoc& d, LineShift shift, const ItemUpdate& update) {
  const std::vector<TestItem>& items = d.root->file_items[d.module_id];
  std::string file_uri = path_to_uri((d.root->rootdir() / d.module_id).string());
  LineIndex index(d.text);
  json list = json::array();
  for (size_t i : update.items) list.push_back(item_json(items[i], file_uri, &index));
  json params = {{"uri", file_uri}, {"rootUri", root_uri(*d.root)}, {"afterLine", shift.after_line}, {"lineDelta", shift.line_delta}};
  if (!update.removed.empty()) params["removed"] = update.removed;
  params["items"] = std::move(list);
  writer.notify("fastest/testsMoved", params);
}

void LspServer::State::publish_file(Root& root, const std::string& module_id) {
  auto t0 = std::chrono::steady_clock::now();
  json items = file_items_json(root, module_id);
  auto t1 = std::chrono::steady_clock::now();
  json params = json::object();
  params["scopeUri"] = path_to_uri((root.rootdir() / module_id).string());
  params["rootUri"] = root_uri(root);
  params["items"] = std::move(items);
  writer.notify("fastest/discoveredTests", params);
  auto t2 = std::chrono::steady_clock::now();
  spdlog::debug("publish_file: build {:.3f} ms, send {:.3f} ms", std::chrono::duration<double, std::milli>(t1 - t0).count(),
                std::chrono::duration<double, std::milli>(t2 - t1).count());
}

// The whole tree, serialised item by item: a 100,000-test workspace never exists as one JSON
// document in memory. A client that opted in (experimental.fastestTreeChunks) gets it in
// several messages of at most kTreeChunkItems items: the first replaces the root's tree, the
// next ones carry `append: true`, every one but the last `more: true`; so no message, and no
// buffer of the server's, holds the whole tree.
void LspServer::State::publish_root(Root& root) {
  const std::string head = R"({"jsonrpc":"2.0","method":"fastest/discoveredTests","params":{"scopeUri":)" +
                           json(root_uri(root)).dump() + R"(,"rootUri":)" + json(root_uri(root)).dump();
  const size_t chunk_items = client_takes_tree_chunks ? kTreeChunkItems : SIZE_MAX;
  std::string body;
  size_t in_body = 0;
  bool sent_any = false;
  auto open_body = [&] {
    body = head + (sent_any ? R"(,"append":true,"items":[)" : R"(,"items":[)");
    in_body = 0;
  };
  auto send_body = [&](bool more) {
    body += more ? R"(],"more":true}})" : "]}}";
    writer.send_serialized(body);
    sent_any = true;
  };
  open_body();
  auto append = [&](const json& item) {
    if (in_body == chunk_items) {
      send_body(true);
      open_body();
    }
    if (in_body++ > 0) body += ',';
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
  send_body(false);
}

void LspServer::State::publish_syntax_diagnostics_for_root(Root& root) {
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

void LspServer::State::record_collection_error(const Root& root, const std::string& module_id,
                                               const std::string& longrepr) {
  const fs::path path = root.rootdir() / module_id;
  const std::string uri = path_to_uri(path.string());
  // The traceback's deepest frame in this file (`tests/test_x.py:3: in <module>`), else line 1;
  // pytest's own `E   ` lines say what went wrong.
  uint32_t line = 0;
  const std::string file = path.filename().string() + ":";
  for (size_t at = longrepr.find(file); at != std::string::npos; at = longrepr.find(file, at + 1)) {
    if (at > 0 && longrepr[at - 1] != '/' && longrepr[at - 1] != '\n' && longrepr[at - 1] != ' ') continue;
    size_t digits = at + file.size();
    uint32_t n = 0;
    while (digits < longrepr.size() && std::isdigit(static_cast<unsigned char>(longrepr[digits])))
      n = n * 10 + static_cast<uint32_t>(longrepr[digits++] - '0');
    if (n > 0) line = n - 1;
  }
  std::string reason;
  std::istringstream lines(longrepr);
  for (std::string l; std::getline(lines, l);)
    if (l.rfind("E   ", 0) == 0) reason += (reason.empty() ? "" : "\n") + l.substr(4);
  if (reason.empty()) reason = longrepr.substr(0, longrepr.find('\n'));
  const std::string text = text_of(path);
  LineIndex index(text);
  const Range range{{line, 0}, {line, static_cast<uint32_t>(index.offset(line + 1, 0, Encoding::Utf8) -
                                                          index.offset(line, 0, Encoding::Utf8))}};
  json diag = {{"range", lsp_range(range, index)}, {"severity", 1}, {"source", "fastest"},
               {"message", "pytest could not collect this module: " + reason}};
  collection_diagnostics[uri] = std::move(diag);
  publish_diagnostics(uri);
  // The test explorer shows it on the module's item (VS Code's TestItem.error), typed: not read
  // back out of a diagnostic's prose.
  writer.notify("fastest/collectionError", {{"rootUri", root_uri(root)}, {"id", module_id}, {"message", reason},
                                            {"report", longrepr}});
}

void LspServer::State::clear_collection_error(const Root& root, const std::string& module_id) {
  const std::string uri = path_to_uri((root.rootdir() / module_id).string());
  if (!collection_diagnostics.erase(uri)) return;
  publish_diagnostics(uri);
  writer.notify("fastest/collectionError", {{"rootUri", root_uri(root)}, {"id", module_id}, {"message", nullptr}});
}

void LspServer::State::publish_diagnostics(const std::string& uri) {
  json list = json::array();
  for (auto& d : syntax_diagnostics[uri]) list.push_back(d);
  for (auto& [id, d] : failure_diagnostics[uri]) list.push_back(d);
  if (auto it = collection_diagnostics.find(uri); it != collection_diagnostics.end()) list.push_back(it->second);
  writer.notify("textDocument/publishDiagnostics", {{"uri", uri}, {"diagnostics", list}});
}

}  // namespace fastest::lsp
