// workspace/executeCommand ("run test at cursor", run file, run all, rerun failed, debug, cancel) and the
// code lenses that call those commands.
#include "server/lsp/server_state.h"

#include "server/lsp/uri.h"

namespace fastest::lsp {

using protocol::RpcError;

// The innermost item at a position: a case, else its function, else the class, else the module.
LspServer::State::TestRef LspServer::State::item_at(const std::string& uri, const json& position) {
  auto it = docs.find(uri);
  auto path = uri_to_path(uri);
  if (!path) throw RpcError(protocol::kInvalidParams, "not a file URI: " + uri);
  std::shared_ptr<Root> root = root_for(*path);
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
  return {best->id, root->key};
}

json LspServer::State::execute_command(const json& params) {
  std::string command = params.at("command");
  json args = params.value("arguments", json::array());
  json arg = args.is_array() && !args.empty() ? args[0] : json::object();
  auto id_from = [&]() -> TestRef {
    if (arg.is_string() || (arg.is_object() && arg.contains("id"))) return test_ref(arg);  // a lens: {id, uri}
    if (arg.is_object() && arg.contains("uri") && arg.contains("position")) return item_at(arg["uri"], arg["position"]);
    throw RpcError(protocol::kInvalidParams, command + " needs {id} or {uri, position}");
  };
  if (command == "fastest.runTest") return start_run({id_from()}, {}, RunKind::Run);
  if (command == "fastest.debugTest") return start_run({id_from()}, {}, RunKind::Debug);
  if (command == "fastest.runFile") {
    std::string uri = arg.is_string() ? arg.get<std::string>() : arg.at("uri").get<std::string>();
    auto path = uri_to_path(uri);
    std::shared_ptr<Root> root = path ? root_for(*path) : nullptr;
    if (!root) throw RpcError(protocol::kInvalidParams, "file outside the workspace: " + uri);
    TestRef file{fs::path(*path).lexically_normal().lexically_relative(root->rootdir()).generic_string(), root->key};
    return start_run({file}, {}, RunKind::Run);
  }
  if (command == "fastest.runAll") return start_run({TestRef{}}, {}, RunKind::Run);
  if (command == "fastest.rerunFailed") return rerun_failed(arg);
  if (command == "fastest.cancelRun") {
    cancel_run(arg.is_object() ? arg.value("runId", "") : "");
    return nullptr;
  }
  throw RpcError(protocol::kInvalidParams, "unknown command: " + command);
}

json LspServer::State::code_lenses(const json& params) {
  std::string uri = params.at("textDocument").at("uri");
  auto path = uri_to_path(uri);
  json lenses = json::array();
  if (!path || client_has_test_explorer) return lenses;
  std::shared_ptr<Root> root = root_for(*path);
  if (!root) return lenses;
  std::string module_id = fs::path(*path).lexically_normal().lexically_relative(root->rootdir()).generic_string();
  auto it = root->file_items.find(module_id);
  if (it == root->file_items.end() && root->collecting) {  // a file not open: its items come with the tree
    await_collections();
    it = root->file_items.find(module_id);
  }
  if (it == root->file_items.end()) return lenses;
  const std::string text = text_of(*path);  // outlives the index, which views it
  LineIndex index(text);
  for (const TestItem& item : it->second) {
    if (item.kind == ItemKind::Module || item.kind == ItemKind::Folder) continue;
    json range = lsp_range(item.name_range, index);
    json arg = {{"id", item.id}, {"uri", uri}};
    // Several cases' lenses may share a line (a parametrize list on one line): each names its case.
    size_t bracket = item.kind == ItemKind::Case ? item.label().find('[') : std::string::npos;
    std::string suffix = bracket == std::string::npos ? "" : " " + std::string(item.label().substr(bracket));
    lenses.push_back({{"range", range}, {"command", {{"title", "▶ Run" + suffix}, {"command", "fastest.runTest"}, {"arguments", json::array({arg})}}}});
    lenses.push_back({{"range", range}, {"command", {{"title", "Debug" + suffix}, {"command", "fastest.debugTest"}, {"arguments", json::array({arg})}}}});
  }
  return lenses;
}

}  // namespace fastest::lsp
