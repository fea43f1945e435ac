// Framing + dispatch: the input is the byte stream a client sends on stdin (or JSON lines,
// see fuzz::lsp_stream). It is decoded with
// protocol::FrameDecoder, each frame parsed as protocol::Reader parses it, and dispatched
// through a protocol::Dispatcher holding a few handlers of each kind (answering, failing,
// reading params wrongly), with a lifecycle gate like the server's. Replies go to /dev/null.
//
// Also checked: the frames do not depend on how the stream is split into reads (the decoder
// sees whole input, then chunks of a size taken from the input's hash).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "fuzz/fuzz_util.h"
#include "protocol/framing.h"
#include "protocol/jsonrpc.h"

using fastest::protocol::Dispatcher;
using fastest::protocol::Frame;
using fastest::protocol::FrameDecoder;
using fastest::protocol::json;
using fastest::protocol::RpcError;
using fastest::protocol::Writer;

namespace {

// The frames of `stream` when it arrives in reads of `chunk` bytes.
std::vector<Frame> decode(std::string_view stream, size_t chunk, size_t max_body) {
  FrameDecoder decoder(max_body);
  std::vector<Frame> frames;
  for (size_t off = 0; off < stream.size(); off += chunk) {
    decoder.feed(stream.substr(off, chunk));
    while (auto frame = decoder.next()) frames.push_back(std::move(*frame));
  }
  return frames;
}

void register_handlers(Dispatcher& dispatcher, bool& initialized) {
  dispatcher.request_gate = [&initialized](const std::string& method) -> int {
    if (method == "initialize") return initialized ? fastest::protocol::kInvalidRequest : 0;
    return initialized ? 0 : fastest::protocol::kServerNotInitialized;
  };
  dispatcher.notification_gate = [&initialized](const std::string& method) { return initialized || method == "exit"; };
  dispatcher.on_request("initialize", [&initialized](const json& params) -> json {
    initialized = true;
    return {{"capabilities", params.value("capabilities", json::object())}};
  });
  dispatcher.on_request("echo", [](const json& params) -> json { return params; });
  dispatcher.on_request("shutdown", [](const json&) -> json { return nullptr; });
  dispatcher.on_request("fail", [](const json& params) -> json {
    throw RpcError(fastest::protocol::kRequestFailed, params.dump(-1, ' ', false, json::error_handler_t::replace));
  });
  // Handlers read params as LSP handlers do: typed access that throws on the wrong shape.
  dispatcher.on_request("textDocument/codeLens", [](const json& params) -> json {
    return params.at("textDocument").at("uri").get<std::string>();
  });
  dispatcher.on_notification("textDocument/didOpen", [](const json& params) {
    (void)params.at("textDocument").at("text").get<std::string>();
  });
  dispatcher.on_notification("exit", [](const json&) {});
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes = fastest::fuzz::lsp_stream(data, size);
  std::string_view stream(bytes);
  const uint64_t hash = fastest::fuzz::input_hash(data, size);
  // A small frame limit sometimes, so the oversized-body skip is reached by small inputs.
  const size_t max_body = hash & 1 ? 256 * 1024 * 1024 : 64;
  std::vector<Frame> frames = decode(stream, stream.size() ? stream.size() : 1, max_body);
  std::vector<Frame> chunked = decode(stream, 1 + (hash >> 8) % 17, max_body);
  if (frames.size() != chunked.size()) std::abort();  // the stream's meaning changed with read sizes
  for (size_t i = 0; i < frames.size(); ++i)
    if (frames[i].body != chunked[i].body || frames[i].error.empty() != chunked[i].error.empty()) std::abort();

  Writer writer(fastest::fuzz::dev_null_fd());
  Dispatcher dispatcher(writer);
  bool initialized = false;
  register_handlers(dispatcher, initialized);
  for (const Frame& frame : frames) {
    // As protocol::Reader and LspServer::run do with each frame.
    if (!frame.error.empty()) {
      writer.reply_error(nullptr, fastest::protocol::kParseError, frame.error);
      continue;
    }
    fastest::protocol::decode_body(
        frame.body,
        [&](json message) {
          dispatcher.note_arrival(message);
          dispatcher.dispatch(std::move(message));
        },
        [&](int code, const std::string& error, const json& id) { writer.reply_error(id, code, error); });
  }
  return 0;
}
