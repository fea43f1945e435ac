// JSON-RPC 2.0 over a byte stream: a thread-safe writer, a reader thread that decodes
// frames, and a dispatcher from method names to handlers. Knows nothing of tests or Python.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>

#include <nlohmann/json.hpp>

namespace fastest::protocol {

using json = nlohmann::json;

enum ErrorCode : int {
  kParseError = -32700,
  kInvalidRequest = -32600,
  kMethodNotFound = -32601,
  kInvalidParams = -32602,
  kInternalError = -32603,
  kServerNotInitialized = -32002,
  kRequestFailed = -32803,
  kRequestCancelled = -32800,
};

// Thrown by handlers; becomes an error response.
struct RpcError : std::runtime_error {
  RpcError(int c, const std::string& message) : std::runtime_error(message), code(c) {}
  int code;
};

// Writes framed messages to a file descriptor; safe to call from any thread.
class Writer {
 public:
  explicit Writer(int fd) : fd_(fd) {}
  void send(const json& message);
  // An already serialised message body (for large notifications built piece by piece).
  void send_serialized(const std::string& body);
  void notify(const std::string& method, const json& params);
  void reply(const json& id, const json& result);
  void reply_error(const json& id, int code, const std::string& message);
  // A server -> client request; the response is delivered to on_response (may be empty).
  json request(const std::string& method, const json& params);
  bool closed() const { return closed_; }

 private:
  int fd_;
  std::mutex mutex_;
  std::atomic<bool> closed_{false};
  std::atomic<int> next_id_{1};
};

// The deepest nesting of arrays and objects accepted in a message; deeper ones are refused
// at parse time (InvalidRequest), before anything recursive (copy, dump) can touch them.
inline constexpr int kMaxNestingDepth = 512;

// A parsed message body: `message` is discarded on invalid JSON; `too_deep` when it nested
// past kMaxNestingDepth (then `message` keeps only its shallow parts, e.g. a plain id).
struct ParsedMessage {
  json message;
  bool too_deep = false;
};
ParsedMessage parse_message(std::string_view body);

// The id of a request as JSON-RPC allows it (a string or an integer), else null.
json request_id(const json& message);

// Reads frames from `fd` on its own thread. For each message calls on_message; for framing
// or JSON errors calls on_error with the code, a description and the id to answer (null when
// unknown); on EOF calls on_eof once. An exception thrown by a callback is logged, not fatal.
class Reader {
 public:
  using ErrorHandler = std::function<void(int code, const std::string& message, const json& id)>;
  Reader(int fd, std::function<void(json)> on_message, ErrorHandler on_error, std::function<void()> on_eof);
  ~Reader();
  void start();
  // Lets the reading thread run on unjoined (it blocks in read() until the input ends): the
  // caller keeps this Reader alive for as long as the thread may use it.
  void detach();

 private:
  void loop();
  void handle(std::string body);
  int fd_;
  std::function<void(json)> on_message_;
  ErrorHandler on_error_;
  std::function<void()> on_eof_;
  std::thread thread_;
};

// What the Reader does with one frame's body: a message to on_message, or an error (invalid
// JSON, nesting past kMaxNestingDepth) to on_error. Also called by the fuzz harnesses.
void decode_body(std::string body, const std::function<void(json)>& on_message, const Reader::ErrorHandler& on_error);

// Routes messages to handlers. Call dispatch() from one thread (the server's main loop).
class Dispatcher {
 public:
  using RequestHandler = std::function<json(const json& params)>;
  using NotificationHandler = std::function<void(const json& params)>;

  explicit Dispatcher(Writer& writer) : writer_(writer) {}
  void on_request(const std::string& method, RequestHandler handler) { requests_[method] = std::move(handler); }
  void on_notification(const std::string& method, NotificationHandler handler) {
    notifications_[method] = std::move(handler);
  }
  // Called from the reader thread for every message before it is queued: remembers the ids
  // of queued requests, and marks one cancelled when a `$/cancelRequest` names it (the
  // cancel of a request already answered, or unknown, is forgotten at once).
  void note_arrival(const json& message);
  // Gate for requests: returns an error code to answer with instead of running the handler
  // (e.g. ServerNotInitialized), or 0 to proceed.
  std::function<int(const std::string& method)> request_gate;
  std::function<bool(const std::string& method)> notification_gate;
  // Answers or routes one message; malformed fields are InvalidRequest/InvalidParams.
  void dispatch(json message);
  // How many queued requests are remembered (bounded by kMaxQueuedIds).
  size_t queued_ids() const;
  static constexpr size_t kMaxQueuedIds = 100000;

 private:
  // Forgets a request's id as it is dispatched; true when it was cancelled while queued.
  bool take_cancelled(const json& id);
  void dispatch_request(const std::string& method, const json& id, const json& params, bool cancelled);
  void dispatch_notification(const std::string& method, const json& params);

  Writer& writer_;
  std::map<std::string, RequestHandler> requests_;
  std::map<std::string, NotificationHandler> notifications_;
  struct Queued {
    int count = 0;  // requests with this id still queued
    bool cancelled = false;
  };
  mutable std::mutex queued_mutex_;
  std::map<std::string, Queued> queued_;  // by the id's JSON text
};

}  // namespace fastest::protocol
