// Lifecycle and the method table: which handler answers which LSP message. The handlers
// themselves live in the other files of server/lsp (see server_state.h).
#include "server/lsp/lsp_server.h"

#include <memory>
#include <mutex>

#include <asio/executor_work_guard.hpp>
#include <asio/post.hpp>
#include <spdlog/spdlog.h>

#include "server/lsp/server_state.h"
#include "server/lsp/uri.h"

namespace fastest::lsp {

using protocol::RpcError;

namespace {

// Runs the io thread's handlers until io.stop(). Last resort: a handler that throws is
// logged and the server keeps serving (run() resumes with the next handler).
void serve(asio::io_context& io) {
  while (true) {
    try {
      io.run();
      return;
    } catch (const std::exception& e) {
      spdlog::error("a handler failed: {}", e.what());
    } catch (...) {
      spdlog::error("a handler failed");
    }
  }
}

}  // namespace

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
    static const json kNoCapabilities = json::object();
    auto found = params.find("capabilities");
    const json& caps = found != params.end() && found->is_object() ? *found : kNoCapabilities;  // not copied
    json encodings = caps.contains("general") ? caps["general"].value("positionEncodings", json::array()) : json::array();
    for (const json& e : encodings)
      if (e == "utf-8") encoding = Encoding::Utf8;
    client_progress = caps.contains("window") && caps["window"].value("workDoneProgress", false);
    client_applies_moves = caps.contains("experimental") && caps["experimental"].is_object() &&
                           caps["experimental"].value("fastestTestsMoved", false);
    client_takes_tree_chunks = caps.contains("experimental") && caps["experimental"].is_object() &&
                               caps["experimental"].value("fastestTreeChunks", false);
    // A client with its own test explorer (VS Code's Testing view) shows run controls there: lenses
    // would be a second set on every test.
    client_has_test_explorer = caps.contains("experimental") && caps["experimental"].is_object() &&
                               caps["experimental"].value("fastestTestExplorer", false);
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
    for (const fs::path& f : folders) add_root(f);
    initialized = true;
    json capabilities = {
        {"positionEncoding", encoding == Encoding::Utf8 ? "utf-8" : "utf-16"},
        {"textDocumentSync", {{"openClose", true}, {"change", 2}, {"save", {{"includeText", false}}}}},
        {"executeCommandProvider",
         {{"commands", {"fastest.runTest", "fastest.debugTest", "fastest.runFile", "fastest.runAll", "fastest.rerunFailed",
                       "fastest.cancelRun"}}}},
        {"workspace", {{"workspaceFolders", {{"supported", true}, {"changeNotifications", true}}}}},
        {"experimental", {{"fastestTestExplorer", true}}}};
    if (!client_has_test_explorer) capabilities["codeLensProvider"] = {{"resolveProvider", false}};
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
  dispatcher.on_notification("textDocument/didSave",
                             [this](const json& p) { save_document(p.at("textDocument").at("uri")); });
  dispatcher.on_notification("textDocument/didClose",
                             [this](const json& p) { close_document(p.at("textDocument").at("uri")); });
  dispatcher.on_notification("workspace/didChangeWatchedFiles", [this](const json& p) { watched_files_changed(p); });
  dispatcher.on_notification("workspace/didChangeConfiguration", [this](const json& p) {
    if (p.contains("settings")) settings.update(p["settings"]);
  });
  dispatcher.on_notification("workspace/didChangeWorkspaceFolders",
                             [this](const json& p) { change_workspace_folders(p); });

  dispatcher.on_request("textDocument/codeLens", [this](const json& p) { return code_lenses(p); });
  dispatcher.on_request("workspace/executeCommand", [this](const json& p) { return execute_command(p); });
  dispatcher.on_request("fastest/runTests", [this](const json& p) -> json {
    if (!p.is_object() || !p.contains("include") || !p["include"].is_array())
      throw RpcError(protocol::kInvalidParams, "fastest/runTests needs {include: (string | {id, rootUri})[]}");
    std::vector<TestRef> include, exclude;
    for (const json& entry : p["include"]) include.push_back(test_ref(entry));
    if (auto it = p.find("exclude"); it != p.end() && it->is_array())
      for (const json& entry : *it) exclude.push_back(test_ref(entry));
    std::string kind = p.value("kind", "run");
    RunKind k = kind == "debug" ? RunKind::Debug : kind == "coverage" ? RunKind::Coverage : RunKind::Run;
    if (kind != "run" && kind != "debug" && kind != "coverage") throw RpcError(protocol::kInvalidParams, "kind must be run, debug or coverage");
    if (p.value("continuous", false)) {
      if (k != RunKind::Run) throw RpcError(protocol::kInvalidParams, "a continuous run is of kind run");
      return arm_continuous(include, exclude, p.value("onType", false));
    }
    return start_run(include, exclude, k);
  });
  dispatcher.on_request("fastest/cancelRun", [this](const json& p) -> json {
    if (disarm_continuous(p.value("runId", ""))) return nullptr;
    cancel_run(p.value("runId", ""));
    return nullptr;
  });
  dispatcher.on_request("fastest/discoverTests", [this](const json&) -> json {
    for (auto& root : roots) start_collection(*root);
    await_collections();  // answered once the tree is published, as before
    return nullptr;
  });
}

LspServer::LspServer(int in_fd, int out_fd) : state_(std::make_unique<State>(in_fd, out_fd)) {
  state_->register_handlers();
}

LspServer::~LspServer() = default;

namespace {
// The reader thread blocks in read() until stdin ends, which can be long after run() returned
// and the State was freed (a client sends `exit` and closes stdin later): its callbacks reach
// the State only through this gate, closed when the io loop ends.
struct ReaderGate {
  std::mutex mutex;
  LspServer::State* state = nullptr;
  bool eof = false;  // the reader's last callback ran: it is done with its Reader
  template <class F>
  void with(F&& f) {
    std::lock_guard<std::mutex> lock(mutex);
    if (state) f(*state);
  }
  void end_of_input() {
    std::lock_guard<std::mutex> lock(mutex);
    eof = true;
    if (state) asio::post(state->io, [s = state] { s->io.stop(); });
  }
  // True when the reader thread is done with its Reader (stdin ended).
  bool close() {
    std::lock_guard<std::mutex> lock(mutex);
    state = nullptr;
    return eof;
  }
};
}  // namespace

int LspServer::run() {
  State& s = *state_;
  auto guard = asio::make_work_guard(s.io);
  auto gate = std::make_shared<ReaderGate>();
  gate->state = &s;
  // Kept for the whole process unless stdin ended: its thread may still be inside it after
  // run() returns (a thread blocked in read() cannot be joined).
  static protocol::Reader* reader = nullptr;
  reader = new protocol::Reader(
      s.in_fd,
      [gate](json message) {
        gate->with([&](State& s) {
          // Noted at once, so a request still queued is answered as cancelled.
          s.dispatcher.note_arrival(message);
          asio::post(s.io, [&s, m = std::move(message)]() mutable {
            s.dispatcher.dispatch(std::move(m));
            s.reap_finished_runs();
          });
        });
      },
      [gate](int code, const std::string& error, const json& id) {
        gate->with([&](State& s) {
          spdlog::warn("malformed message: {}", error);
          s.writer.reply_error(id, code, error);
        });
      },
      [gate] { gate->end_of_input(); });
  reader->start();
  serve(s.io);
  if (gate->close()) {
    delete reader;  // stdin ended: its thread is past every use of it (detached, not leaked)
    reader = nullptr;
  } else {
    reader->detach();  // stdin still open (`exit` came first): the thread ends with the input
  }
  s.shutdown_everything();
  return s.exit_requested ? (s.shutdown_requested ? 0 : 1) : 0;
}

}  // namespace fastest::lsp
