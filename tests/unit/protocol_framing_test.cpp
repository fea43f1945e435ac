// Framing: every malformed frame is one error, and the valid frame right after it decodes.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "protocol/framing.h"

using fastest::protocol::encode_frame;
using fastest::protocol::Frame;
using fastest::protocol::FrameDecoder;

namespace {

const std::string kValid = R"({"jsonrpc":"2.0","id":1,"method":"probe"})";

// Everything the decoder yields for `stream`, fed whole or byte by byte.
std::vector<Frame> decode(const std::string& stream, bool bytewise, size_t max_body = 1 << 20) {
  FrameDecoder decoder(max_body);
  std::vector<Frame> frames;
  auto drain = [&] {
    while (auto f = decoder.next()) frames.push_back(*f);
  };
  if (bytewise) {
    for (char c : stream) {
      decoder.feed(std::string_view(&c, 1));
      drain();
    }
  } else {
    decoder.feed(stream);
    drain();
  }
  return frames;
}

// The bad bytes give at least one error (a framing error, or a body that is not JSON, which
// the reader answers as a parse error), and the valid frame after them decodes.
void check_resynchronises(const std::string& bad, size_t max_body = 1 << 20) {
  for (bool bytewise : {false, true}) {
    INFO("bytewise " << bytewise);
    auto frames = decode(bad + encode_frame(kValid), bytewise, max_body);
    REQUIRE(frames.size() >= 2);
    for (size_t i = 0; i + 1 < frames.size(); ++i)
      CHECK((!frames[i].error.empty() || nlohmann::json::parse(frames[i].body, nullptr, false).is_discarded()));
    CHECK(frames.back().error.empty());
    CHECK(frames.back().body == kValid);
  }
}

}  // namespace

TEST_CASE("valid frames decode back to back, whole or byte by byte") {
  std::string a = R"({"a":"Content-Length: 5"})";
  for (bool bytewise : {false, true}) {
    auto frames = decode(encode_frame(kValid) + encode_frame(a) + "content-length: 2\r\nContent-Type: x\r\n\r\n{}", bytewise);
    REQUIRE(frames.size() == 3);
    CHECK(frames[0].body == kValid);
    CHECK(frames[1].body == a);
    CHECK(frames[2].body == "{}");
  }
}

TEST_CASE("a bad Content-Length value is one error and the next frame is read") {
  for (std::string value : {"abc", "-2", "+2", "18446744073709551617", "99999999999999999999999999", "", "1 2", "0x10"}) {
    INFO(value);
    check_resynchronises("Content-Length: " + value + "\r\n\r\n" + kValid);
  }
}

TEST_CASE("a missing Content-Length, an LF-only header or a junk line is one error and the next frame is read") {
  check_resynchronises("X-Header: 1\r\n\r\n" + kValid);
  check_resynchronises("Content-Length: " + std::to_string(kValid.size()) + "\n\n" + kValid);
  check_resynchronises("garbage without a colon\r\n\r\n");
  check_resynchronises("{\"jsonrpc\":\"2.0\"}");
  check_resynchronises("Content-Length: 2\r\nContent-Length: 2\r\n\r\n{x");
}

TEST_CASE("a header that never ends is an error once it passes the limit, and the next frame is read") {
  check_resynchronises("Content-Length: 10\r\nX-Junk: " + std::string(70 * 1024, 'a'));
  check_resynchronises(std::string(70 * 1024, 'a'));
  // Shorter than the limit: the header line glued after the junk is still found.
  check_resynchronises("Content-Length: 10\r\nX-Junk: " + std::string(100, 'a'));
}

TEST_CASE("a body shorter than its Content-Length does not swallow the frame after it") {
  check_resynchronises("Content-Length: 500\r\n\r\n{\"jsonrpc\":\"2.0\"");
  check_resynchronises("Content-Length: 30\r\n\r\n{\"a\":");  // ends inside the next header
  // The body that is too long leaves a tail before the next header.
  check_resynchronises("Content-Length: 2\r\n\r\n{\"jsonrpc\":\"2.0\"}");
}

TEST_CASE("a body too large is skipped as it arrives, with one error, and the next frame is read") {
  std::string big(5000, ' ');
  check_resynchronises("Content-Length: 5000\r\n\r\n" + big, /*max_body=*/1000);
  // Announced too large but short: the next header ends the skipping.
  check_resynchronises("Content-Length: 999999999999\r\n\r\n{}", 1000);
  FrameDecoder decoder(1000);
  decoder.feed("Content-Length: 5000\r\n\r\n");
  auto error = decoder.next();
  REQUIRE(error);
  CHECK(error->error.find("too large") != std::string::npos);
}

TEST_CASE("the default frame limit is 64 MiB") {
  CHECK(fastest::protocol::kMaxBodyBytes == 64u * 1024 * 1024);
}
