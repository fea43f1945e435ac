// The language server's real method table, in process: each input is a byte stream sent to a
// fresh server after a fixed `initialize`/`initialized` handshake on a small project at
// kRoot (the stream may be given as JSON lines, see fuzz::lsp_stream). Frames are decoded and parsed as protocol::Reader does, `$/cancelRequest` is noted
// as LspServer::run's reader callback does, and each message is dispatched on this thread
// with the io_context polled after it (what the server's main loop does).
//
// Messages that would start Python workers or walk folders outside kRoot are not dispatched:
// `initialized` (its settle step), `fastest/runTests`, `workspace/executeCommand`, and the
// `added` folders of `workspace/didChangeWorkspaceFolders` (removals are dispatched).
#include <cstdint>
#include <cstdlib>
#include <string>

#include "fuzz/fuzz_util.h"
#include "protocol/framing.h"
#include "protocol/jsonrpc.h"
#include "server/lsp/server_state.h"

using fastest::lsp::LspServer;
using fastest::protocol::FrameDecoder;
using fastest::protocol::json;

namespace {

// A fixed path, so the seed corpus can name its files in URIs.
const char* const kRoot = "/tmp/fastest-fuzz-lsp";

const char* const kTestFile = R"(import pytest


@pytest.fixture
def number():
    return 3


class TestMath:
    def test_add(self, number):
        assert number + 1 == 4

    @pytest.mark.parametrize("a,b", [(1, 2), ("x", "y"), (None, 3.5)])
    def test_pairs(self, a, b):
        pass


@pytest.mark.skip(reason="later")
def test_skipped():
    """Docstring.

    >>> 1 + 1
    2
    """


def test_unicode_é():
    assert "ü" != "u"
)";

// FASTEST_FUZZ_LSP_SKIP="m1,m2": methods a long campaign leaves out, to get past a known crash.
bool skipped_by_env(const std::string& method) {
  static const std::string skip = [] {
    const char* env = std::getenv("FASTEST_FUZZ_LSP_SKIP");
    return env ? "," + std::string(env) + "," : std::string();
  }();
  return !skip.empty() && skip.find("," + method + ",") != std::string::npos;
}

bool dispatchable(json& message) {
  if (!message.is_object() || !message.contains("method") || !message["method"].is_string()) return true;
  const std::string method = message["method"];
  if (method == "initialized" || method == "fastest/runTests" || method == "workspace/executeCommand") return false;
  if (skipped_by_env(method)) return false;
  if (method == "workspace/didChangeWorkspaceFolders" && message.contains("params") && message["params"].is_object()) {
    json& params = message["params"];
    if (params.contains("event") && params["event"].is_object() && params["event"].contains("added") &&
        params["event"]["added"].is_array())
      params["event"].erase("added");
  }
  return true;
}

void poll(LspServer::State& s) {
  s.io.restart();
  s.io.poll();
  s.reap_finished_runs();
}

void dispatch(LspServer::State& s, json message) {
  s.dispatcher.dispatch(std::move(message));
  poll(s);
}

json initialize_params(uint64_t hash) {
  json capabilities = {{"window", {{"workDoneProgress", true}}},
                       {"workspace", {{"didChangeWatchedFiles", {{"dynamicRegistration", true}}}}},
                       {"experimental", {{"fastestTestsMoved", (hash & 2) != 0}}}};
  if (hash & 1) capabilities["general"] = {{"positionEncodings", {"utf-8"}}};
  return {{"processId", nullptr},
          {"rootUri", std::string("file://") + kRoot},
          {"capabilities", capabilities},
          // No interpreter: nothing is read from site-packages, nothing is started.
          {"initializationOptions", {{"pythonPath", "/nonexistent/python"}}}};
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fastest::fuzz::write_file(std::string(kRoot) + "/pytest.ini", "[pytest]\npython_files = test_*.py check_*.py\n");
  fastest::fuzz::write_file(std::string(kRoot) + "/tests/test_sample.py", kTestFile);
  fastest::fuzz::write_file(std::string(kRoot) + "/tests/helper.py", "def helper():\n    return 1\n");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  LspServer::State s(/*in=*/-1, fastest::fuzz::dev_null_fd());
  s.register_handlers();
  const uint64_t hash = fastest::fuzz::input_hash(data, size);
  dispatch(s, {{"jsonrpc", "2.0"}, {"id", 0}, {"method", "initialize"}, {"params", initialize_params(hash)}});
  dispatch(s, {{"jsonrpc", "2.0"}, {"method", "initialized"}, {"params", json::object()}});

  FrameDecoder decoder;
  decoder.feed(fastest::fuzz::lsp_stream(data, size));
  while (auto frame = decoder.next()) {
    if (!frame->error.empty()) {
      s.writer.reply_error(nullptr, fastest::protocol::kParseError, frame->error);
      continue;
    }
    fastest::protocol::decode_body(
        frame->body,
        [&](json message) {
          if (!dispatchable(message)) return;
          // As LspServer::run's reader callback.
          s.dispatcher.note_arrival(message);
          dispatch(s, std::move(message));
        },
        [&](int code, const std::string& error, const json& id) { s.writer.reply_error(id, code, error); });
    if (s.exit_requested) break;
  }
  s.shutdown_everything();
  return 0;
}
