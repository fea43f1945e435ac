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

ParsedMessage parse_message(std::string_view body) {
  ParsedMessage parsed;
  // The callback sees each container as it opens; refusing one past the limit means it and
  // everything inside it are never built (the parser itself is iterative).
  auto limit_depth = [&parsed](int depth, json::parse_event_t event, json&) {
    if ((event == json::parse_event_t::object_start || event == json::parse_event_t::array_start) &&
        depth >= kMaxNestingDepth) {
      parsed.too_deep = true;
      return false;
    }
    return true;
  };
  parsed.message = json::parse(body, limit_depth, /*allow_exceptions=*/false);
  return parsed;
}

json request_id(const json& message) {
  if (!message.is_object()) return nullptr;
  auto id = message.find("id");
  if (id == message.end() || !(id->is_string() || id->is_number_integer())) return nullptr;
  return *id;
}

Reader::Reader(int fd, std::function<void(json)> on_message, ErrorHandler on_error, std::function<void()> on_eof)
    : fd_(fd), on_message_(std::move(on_message)), on_error_(std::move(on_error)), on_eof_(std::move(on_eof)) {}

Reader::~Reader() {
  if (thread_.joinable()) thread_.detach();  // blocked in read(); the process is exiting
}

void Reader::start() { thread_ = std::thread([this] { loop(); }); }

void Reader::detach() {
  if (thread_.joinable()) thread_.detach();
}

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
      // Last resort: whatever one message does, the reader keeps reading.
      try {
        if (!frame->error.empty()) on_error_(kParseError, frame->error, nullptr);
        else handle(std::move(frame->body));
      } catch (const std::exception& e) {
        spdlog::error("reader: a message could not be handled: {}", e.what());
      } catch (...) {
        spdlog::error("reader: a message could not be handled");
      }
    }
  }
  on_eof_();
}

void Reader::handle(std::string body) { decode_body(std::move(body), on_message_, on_error_); }

void decode_body(std::string body, const std::function<void(json)>& on_message, const Reader::ErrorHandler& on_error) {
  ParsedMessage parsed = parse_message(body);
  std::string().swap(body);  // a large body is freed before the message is handled
  if (parsed.message.is_discarded()) {
    on_error(kParseError, "invalid JSON (or invalid UTF-8) in message body", nullptr);
  } else if (parsed.too_deep) {
    on_error(kInvalidRequest, "message nested deeper than " + std::to_string(kMaxNestingDepth) + " levels",
             request_id(parsed.message));
  } else {
    on_message(std::move(parsed.message));
  }
}

namespace {
std::string id_key(const json& id) { return id.dump(); }

bool is_request_id(const json& id) { return id.is_string() || id.is_number_integer(); }

// The method of a message, or "" when it has none of the right type.
std::string method_of(const json& message) {
  auto method = message.find("method");
  return method != message.end() && method->is_string() ? method->get<std::string>() : std::string();
}
}  // namespace

void Dispatcher::note_arrival(const json& message) {
  if (!message.is_object()) return;
  std::string method = method_of(message);
  if (method.empty()) return;
  std::lock_guard<std::mutex> lock(queued_mutex_);
  if (method != "$/cancelRequest") {
    json id = request_id(message);
    if (!id.is_null() && (queued_.size() < kMaxQueuedIds || queued_.count(id_key(id)))) queued_[id_key(id)].count++;
    return;
  }
  auto params = message.find("params");
  if (params == message.end() || !params->is_object()) return;
  auto id = params->find("id");
  if (id == params->end() || !is_request_id(*id)) return;
  auto queued = queued_.find(id_key(*id));
  if (queued != queued_.end()) queued->second.cancelled = true;
}

size_t Dispatcher::queued_ids() const {
  std::lock_guard<std::mutex> lock(queued_mutex_);
  return queued_.size();
}

bool Dispatcher::take_cancelled(const json& id) {
  std::lock_guard<std::mutex> lock(queued_mutex_);
  auto queued = queued_.find(id_key(id));
  if (queued == queued_.end()) return false;
  bool cancelled = queued->second.cancelled;
  if (--queued->second.count <= 0) queued_.erase(queued);
  return cancelled;
}

void Dispatcher::dispatch(json message) {
  if (!message.is_object()) {
    writer_.reply_error(nullptr, kInvalidRequest, "a JSON-RPC message must be an object");
    return;
  }
  bool has_id = message.contains("id");
  json id = request_id(message);
  // Forget the id note_arrival remembered (same condition), whatever the answer is.
  std::string tracked = method_of(message);
  bool cancelled = !id.is_null() && !tracked.empty() && tracked != "$/cancelRequest" && take_cancelled(id);
  auto jsonrpc = message.find("jsonrpc");
  if (jsonrpc == message.end() || !jsonrpc->is_string() || *jsonrpc != "2.0") {
    writer_.reply_error(id, kInvalidRequest, "not a JSON-RPC 2.0 message (jsonrpc must be \"2.0\")");
    return;
  }
  auto method = message.find("method");
  if (method == message.end()) {
    if (has_id && (message.contains("result") || message.contains("error"))) return;  // a response to us
    writer_.reply_error(id, kInvalidRequest, "missing method");
    return;
  }
  if (!method->is_string()) {
    writer_.reply_error(id, kInvalidRequest, "method must be a string");
    return;
  }
  if (has_id && id.is_null()) {
    writer_.reply_error(nullptr, kInvalidRequest, "request id must be a string or an integer");
    return;
  }
  // params is moved out, never copied: it can be most of a 64 MiB message.
  json params = json::object();
  if (auto p = message.find("params"); p != message.end() && !p->is_null()) params = std::move(*p);
  if (!params.is_object() && !params.is_array()) {
    if (has_id) {
      writer_.reply_error(id, kInvalidParams, "params must be an object or an array");
    }
    return;
  }
  std::string name = method->get<std::string>();
  if (has_id) dispatch_request(name, id, params, cancelled);
  else dispatch_notification(name, params);
}

void Dispatcher::dispatch_notification(const std::string& method, const json& params) {
  if (notification_gate && !notification_gate(method)) return;
  auto it = notifications_.find(method);
  if (it == notifications_.end()) return;  // unknown notifications are ignored
  try {
    it->second(params);
  } catch (const std::exception& e) {
    spdlog::warn("notification {} failed: {}", method, e.what());
  }
}

void Dispatcher::dispatch_request(const std::string& method, const json& id, const json& params, bool cancelled) {
  if (cancelled) {
    writer_.reply_error(id, kRequestCancelled, "request cancelled");
    return;
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
