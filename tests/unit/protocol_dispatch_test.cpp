// Dispatch: a message of any shape gets its error code (or nothing), never an exception.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "protocol/framing.h"
#include "protocol/jsonrpc.h"

using namespace fastest::protocol;

namespace {

// A Dispatcher writing into a pipe, and the replies read back.
struct Harness {
  int fds[2];
  Writer* writer;
  Dispatcher* dispatcher;
  FrameDecoder decoder;

  Harness() {
    REQUIRE(pipe(fds) == 0);
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    writer = new Writer(fds[1]);
    dispatcher = new Dispatcher(*writer);
    dispatcher->on_request("echo", [](const json& p) { return p; });
    dispatcher->on_request("needs_uri", [](const json& p) { return p.at("uri").get<std::string>(); });
    dispatcher->on_notification("note", [](const json& p) { (void)p.at("x").get<int>(); });
  }
  ~Harness() {
    delete dispatcher;
    delete writer;
    close(fds[0]);
    close(fds[1]);
  }
  // Dispatches the raw text as the reader would; returns the replies.
  std::vector<json> send(const std::string& text) {
    ParsedMessage parsed = parse_message(text);
    REQUIRE_FALSE(parsed.message.is_discarded());
    REQUIRE_FALSE(parsed.too_deep);
    dispatcher->note_arrival(parsed.message);
    dispatcher->dispatch(std::move(parsed.message));
    return replies();
  }
  std::vector<json> replies() {
    char buf[65536];
    ssize_t n;
    while ((n = read(fds[0], buf, sizeof buf)) > 0) decoder.feed(std::string_view(buf, static_cast<size_t>(n)));
    std::vector<json> out;
    while (auto f = decoder.next()) out.push_back(json::parse(f->body));
    return out;
  }
};

int error_code(const json& reply) { return reply.at("error").at("code").get<int>(); }

}  // namespace

TEST_CASE("method of the wrong type is InvalidRequest with the id") {
  Harness h;
  for (std::string method : {"1", "[]", "{}", "true", "null", "[\"echo\"]", "{\"a\":1}"}) {
    INFO(method);
    auto replies = h.send(R"({"jsonrpc":"2.0","id":5,"method":)" + method + "}");
    REQUIRE(replies.size() == 1);
    CHECK(error_code(replies[0]) == kInvalidRequest);
    CHECK(replies[0]["id"] == 5);
  }
  // The same as a notification (no id): answered with id null, still no exception.
  auto replies = h.send(R"({"jsonrpc":"2.0","method":7})");
  REQUIRE(replies.size() == 1);
  CHECK(replies[0]["id"].is_null());
}

TEST_CASE("jsonrpc of the wrong type or value is InvalidRequest") {
  Harness h;
  for (std::string version : {"2", "2.0", "null", "[]", "{}", "\"1.0\""}) {
    INFO(version);
    auto replies = h.send(R"({"jsonrpc":)" + version + R"(,"id":5,"method":"echo"})");
    REQUIRE(replies.size() == 1);
    CHECK(error_code(replies[0]) == kInvalidRequest);
    CHECK(replies[0]["id"] == 5);
  }
  auto missing = h.send(R"({"id":"x","method":"echo"})");
  REQUIRE(missing.size() == 1);
  CHECK(error_code(missing[0]) == kInvalidRequest);
}

TEST_CASE("an id of the wrong type is InvalidRequest with id null; non-objects too") {
  Harness h;
  for (std::string id : {"1.5", "[1]", "{}", "true", "null"}) {
    INFO(id);
    auto replies = h.send(R"({"jsonrpc":"2.0","id":)" + id + R"(,"method":"echo"})");
    REQUIRE(replies.size() == 1);
    CHECK(error_code(replies[0]) == kInvalidRequest);
    CHECK(replies[0]["id"].is_null());
  }
  for (std::string message : {"[]", "1", "\"x\"", "null", "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\"}]"}) {
    auto replies = h.send(message);
    REQUIRE(replies.size() == 1);
    CHECK(error_code(replies[0]) == kInvalidRequest);
  }
}

TEST_CASE("params of the wrong type is InvalidParams; a handler's missing field too") {
  Harness h;
  for (std::string params : {"1", "\"x\"", "true"}) {
    auto replies = h.send(R"({"jsonrpc":"2.0","id":3,"method":"echo","params":)" + params + "}");
    REQUIRE(replies.size() == 1);
    CHECK(error_code(replies[0]) == kInvalidParams);
  }
  auto null_params = h.send(R"({"jsonrpc":"2.0","id":3,"method":"echo","params":null})");
  REQUIRE(null_params.size() == 1);
  CHECK(null_params[0]["result"] == json::object());
  for (std::string params : {"{}", "[]", "{\"uri\":1}"}) {
    auto replies = h.send(R"({"jsonrpc":"2.0","id":4,"method":"needs_uri","params":)" + params + "}");
    REQUIRE(replies.size() == 1);
    CHECK(error_code(replies[0]) == kInvalidParams);
  }
  // Notifications are never answered, whatever their params.
  CHECK(h.send(R"({"jsonrpc":"2.0","method":"note","params":1})").empty());
  CHECK(h.send(R"({"jsonrpc":"2.0","method":"note","params":{"x":"no"}})").empty());
}

TEST_CASE("$/cancelRequest of any shape is harmless; a queued request is answered as cancelled") {
  Harness h;
  for (std::string params : {"[1]", "1", "null", "\"x\"", "{}", "{\"id\":[1]}", "{\"id\":{}}", "{\"id\":1.5}"})
    CHECK(h.send(R"({"jsonrpc":"2.0","method":"$/cancelRequest","params":)" + params + "}").empty());
  // Queued, then cancelled before it is dispatched.
  json request = json::parse(R"({"jsonrpc":"2.0","id":9,"method":"echo","params":{}})");
  h.dispatcher->note_arrival(request);
  h.dispatcher->note_arrival(json::parse(R"({"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":9}})"));
  h.dispatcher->dispatch(request);
  auto replies = h.replies();
  REQUIRE(replies.size() == 1);
  CHECK(error_code(replies[0]) == kRequestCancelled);
}

TEST_CASE("cancels of answered requests are not remembered") {
  Harness h;
  for (int i = 0; i < 1000; ++i) {
    h.send(R"({"jsonrpc":"2.0","id":)" + std::to_string(i) + R"(,"method":"echo"})");
    h.send(R"({"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":)" + std::to_string(i) + "}}");
  }
  CHECK(h.dispatcher->queued_ids() == 0);
  // A $/cancelRequest sent as a request (with an id) neither counts nor uncounts a queued id.
  json queued = json::parse(R"({"jsonrpc":"2.0","id":3000,"method":"echo"})");
  h.dispatcher->note_arrival(queued);
  h.send(R"({"jsonrpc":"2.0","id":3000,"method":"$/cancelRequest","params":{"id":3000}})");
  CHECK(h.dispatcher->queued_ids() == 1);
  h.dispatcher->dispatch(queued);
  auto cancelled = h.replies();
  REQUIRE(cancelled.size() == 1);
  CHECK(error_code(cancelled[0]) == kRequestCancelled);
  CHECK(h.dispatcher->queued_ids() == 0);
  // A later request reusing an id of a cancelled-after-the-fact one is answered normally.
  auto replies = h.send(R"({"jsonrpc":"2.0","id":5,"method":"echo","params":{"a":1}})");
  REQUIRE(replies.size() == 1);
  CHECK(replies[0]["result"]["a"] == 1);
}

TEST_CASE("nesting past the limit is refused at parse time, keeping a shallow id") {
  std::string deep = std::string(100000, '[') + std::string(100000, ']');
  ParsedMessage parsed = parse_message(R"({"jsonrpc":"2.0","id":7,"method":"echo","params":)" + deep + "}");
  CHECK(parsed.too_deep);
  CHECK(request_id(parsed.message) == 7);
  std::string deep_object;
  for (int i = 0; i < 100000; ++i) deep_object += "{\"a\":";
  deep_object += "1" + std::string(100000, '}');
  parsed = parse_message(R"({"jsonrpc":"2.0","id":)" + deep_object + R"(,"method":"echo"})");
  CHECK(parsed.too_deep);
  CHECK(request_id(parsed.message).is_null());
  // Exactly at the limit is fine.
  std::string ok = std::string(kMaxNestingDepth - 1, '[') + std::string(kMaxNestingDepth - 1, ']');
  parsed = parse_message(R"({"params":)" + ok + "}");
  CHECK_FALSE(parsed.too_deep);
  CHECK_FALSE(parsed.message.is_discarded());
  std::string over = std::string(kMaxNestingDepth, '[') + std::string(kMaxNestingDepth, ']');
  CHECK(parse_message(R"({"params":)" + over + "}").too_deep);
}
