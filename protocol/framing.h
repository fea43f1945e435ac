// LSP base protocol framing: "Content-Length: N\r\n\r\n<N bytes of JSON>".
// An incremental decoder that never throws and never loses sync for long: a malformed frame
// becomes one error frame (the caller answers with a JSON-RPC error) and decoding resumes at
// the next Content-Length header line. The rules are in docs/protocol.md ("Framing").
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace fastest::protocol {

// The largest body accepted (an editor's biggest didOpen is far below it); larger bodies are
// discarded as they arrive, so memory stays bounded by a small multiple of it.
inline constexpr size_t kMaxBodyBytes = 64 * 1024 * 1024;
// The largest header block; LSP headers are two short lines.
inline constexpr size_t kMaxHeaderBytes = 8 * 1024;

struct Frame {
  std::string body;   // the JSON text (valid only when error is empty)
  std::string error;  // a framing error: bad header, missing or bad Content-Length, short body
};

class FrameDecoder {
 public:
  explicit FrameDecoder(size_t max_body = kMaxBodyBytes) : max_body_(max_body) {}
  void feed(std::string_view bytes) { buffer_.append(bytes.data(), bytes.size()); }
  // The next complete frame or error, if any.
  std::optional<Frame> next();

 private:
  enum class State { Header, Body, Skip, Resync };
  std::optional<Frame> next_header();
  std::optional<Frame> next_body();
  void next_skip();
  void next_resync();
  // A malformed frame starts at buffer_[0]: drop its first byte and look for the next header.
  Frame bad_frame(std::string error);

  std::string buffer_;
  size_t max_body_;
  State state_ = State::Header;
  size_t length_ = 0;   // Body: the announced length; Skip: bytes still to discard
  size_t scanned_ = 0;  // Body: bytes already searched for a header line
};

std::string encode_frame(std::string_view body);

}  // namespace fastest::protocol
