// JSON-RPC 2.0 over a byte stream: a thread-safe writer, a reader thread that decodes
// frames, and a dispatcher from method names to handlers. Knows nothing of tests or Python.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
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

// Reads frames from `fd` on its own thread. For each message calls on_message; for framing
// or JSON errors calls on_error with a description (and the writer is told to answer);
// on EOF calls on_eof once.
class Reader {
 public:
  Reader(int fd, std::function<void(json)> on_message, std::function<void(std::string)> on_error,
         std::function<void()> on_eof);
  ~Reader();
  void start();

 private:
  void loop();
  int fd_;
  std::function<void(json)> on_message_;
  std::function<void(std::string)> on_error_;
  std::function<void()> on_eof_;
  std::thread thread_;
};

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
  // Called from the reader thread as soon as `$/cancelRequest` arrives, before the queue.
  void note_cancelled(const json& id);
  // Gate for requests: returns an error code to answer with instead of running the handler
  // (e.g. ServerNotInitialized), or 0 to proceed.
  std::function<int(const std::string& method)> request_gate;
  std::function<bool(const std::string& method)> notification_gate;
  void dispatch(const json& message);

 private:
  Writer& writer_;
  std::map<std::string, RequestHandler> requests_;
  std::map<std::string, NotificationHandler> notifications_;
  std::mutex cancelled_mutex_;
  std::set<std::string> cancelled_;
};

}  // namespace fastest::protocol
