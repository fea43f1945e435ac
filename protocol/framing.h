// LSP base protocol framing: "Content-Length: N\r\n\r\n<N bytes of JSON>".
// An incremental decoder that never throws: malformed headers become error frames so the
// caller can answer with a JSON-RPC error and go on.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace fastest::protocol {

struct Frame {
  std::string body;   // the JSON text (valid only when error is empty)
  std::string error;  // a framing error: bad header, missing or bad Content-Length
};

class FrameDecoder {
 public:
  // Largest body accepted; larger ones are skipped with an error (the stream stays in sync).
  explicit FrameDecoder(size_t max_body = 256 * 1024 * 1024) : max_body_(max_body) {}
  void feed(std::string_view bytes) { buffer_.append(bytes.data(), bytes.size()); }
  // The next complete frame, if any.
  std::optional<Frame> next();

 private:
  std::string buffer_;
  size_t max_body_;
  size_t skip_ = 0;  // bytes of an oversized body still to discard
};

std::string encode_frame(std::string_view body);

}  // namespace fastest::protocol
