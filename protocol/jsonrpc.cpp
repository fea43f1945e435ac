#include "protocol/jsonrpc.h"

#include <cerrno>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "protocol/framing.h"

namespace fastest::protocol {

void Writer::send(const json& message) {
  send_serialized(message.dump(-1, ' ', false, json::error_handler_t::replace));
}

void Writer::send_serialized(const std::string& body) {
  std::string frame = encode_frame(body);
  std::lock_guard<std::mutex> lock(mutex_);
  if (closed_) return;
  size_t off = 0;
  while (off < frame.size()) {
    ssize_t n = ::write(fd_, frame.data() + off, frame.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      closed_ = true;  // the client is gone; nothing more can be said
      return;
    }
    off += static_cast<size_t>(n);
  }
}

void Writer::notify(const std::string& method, const json& params) {
  send({{"jsonrpc", "2.0"}, {"method", method}, {"params", params}});
}

void Writer::reply(const json& id, const json& result) {
  send({{"jsonrpc", "2.0"}, {"id", id}, {"result", result}});
}

void Writer::reply_error(const json& id, int code, const std::string& message) {
  send({{"jsonrpc", "2.0"}, {"id", id}, {"error", {{"code", code}, {"message", message}}}});
}

json Writer::request(const std::string& method, const json& params) {
  json id = "fastest-" + std::to_string(next_id_++);
  send({{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", params}});
  return id;
}

Reader::Reader(int fd, std::function<void(json)> on_message, std::function<void(std::string)> on_error,
               std::function<void()> on_eof)
    : fd_(fd), on_message_(std::move(on_message)), on_error_(std::move(on_error)), on_eof_(std::move(on_eof)) {}

Reader::~Reader() {
  if (thread_.joinable()) thread_.detach();  // blocked in read(); the process is exiting
}

void Reader::start() { thread_ = std::thread([this] { loop(); }); }

void Reader::loop() {
  FrameDecoder decoder;
  char chunk[65536];
  while (true) {
    ssize_t n = ::read(fd_, chunk, sizeof chunk);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    decoder.feed(std::string_view(chunk, static_cast<size_t>(n)));
    while (auto frame = decoder.next()) {
      if (!frame->error.empty()) {
        on_error_(frame->error);
        continue;
      }
      json message = json::parse(frame->body, nullptr, /*allow_exceptions=*/false);
      if (message.is_discarded()) {
        on_error_("invalid JSON (or invalid UTF-8) in message body");
        continue;
      }
      on_message_(std::move(message));
    }
  }
  on_eof_();
}

namespace {
std::string id_key(const json& id) { return id.dump(); }
}  // namespace

void Dispatcher::note_cancelled(const json& id) {
  std::lock_guard<std::mutex> lock(cancelled_mutex_);
  cancelled_.insert(id_key(id));
}

void Dispatcher::dispatch(const json& message) {
  if (!message.is_object() || message.value("jsonrpc", "") != "2.0") {
    json id = message.is_object() && message.contains("id") ? message["id"] : json(nullptr);
    writer_.reply_error(id, kInvalidRequest, "not a JSON-RPC 2.0 message");
    return;
  }
  bool has_id = message.contains("id");
  bool has_method = message.contains("method") && message["method"].is_string();
  if (!has_method) {
    if (has_id && (message.contains("result") || message.contains("error"))) return;  // a response to us
    writer_.reply_error(has_id ? message["id"] : json(nullptr), kInvalidRequest, "missing method");
    return;
  }
  std::string method = message["method"];
  json params = message.contains("params") ? message["params"] : json::object();
  if (!has_id) {
    if (notification_gate && !notification_gate(method)) return;
    auto it = notifications_.find(method);
    if (it == notifications_.end()) return;  // unknown notifications are ignored
    try {
      it->second(params);
    } catch (const std::exception& e) {
      spdlog::warn("notification {} failed: {}", method, e.what());
    }
    return;
  }
  const json& id = message["id"];
  if (!id.is_string() && !id.is_number_integer()) {
    writer_.reply_error(nullptr, kInvalidRequest, "request id must be a string or an integer");
    return;
  }
  {
    std::lock_guard<std::mutex> lock(cancelled_mutex_);
    if (cancelled_.erase(id_key(id))) {
      writer_.reply_error(id, kRequestCancelled, "request cancelled");
      return;
    }
  }
  if (request_gate) {
    if (int code = request_gate(method)) {
      writer_.reply_error(id, code, code == kServerNotInitialized ? "server not initialized" : "request refused");
      return;
    }
  }
  auto it = requests_.find(method);
  if (it == requests_.end()) {
    writer_.reply_error(id, kMethodNotFound, "method not found: " + method);
    return;
  }
  try {
    writer_.reply(id, it->second(params));
  } catch (const RpcError& e) {
    writer_.reply_error(id, e.code, e.what());
  } catch (const json::exception& e) {
    writer_.reply_error(id, kInvalidParams, std::string("invalid params: ") + e.what());
  } catch (const std::exception& e) {
    writer_.reply_error(id, kInternalError, e.what());
  }
}

}  // namespace fastest::protocol
