#include "protocol/framing.h"

#include <cctype>
#include <charconv>

namespace fastest::protocol {

std::optional<Frame> FrameDecoder::next() {
  if (skip_) {
    size_t n = std::min(skip_, buffer_.size());
    buffer_.erase(0, n);
    skip_ -= n;
    if (skip_) return std::nullopt;
  }
  size_t header_end = buffer_.find("\r\n\r\n");
  if (header_end == std::string::npos) {
    // A header that never ends: resynchronise instead of buffering forever.
    if (buffer_.size() > 64 * 1024) {
      buffer_.clear();
      return Frame{"", "header too long or not terminated by \\r\\n\\r\\n"};
    }
    return std::nullopt;
  }
  std::string_view headers(buffer_.data(), header_end);
  std::optional<size_t> length;
  std::string error;
  size_t pos = 0;
  while (pos <= headers.size()) {
    size_t eol = headers.find("\r\n", pos);
    std::string_view line = headers.substr(pos, eol == std::string::npos ? std::string::npos : eol - pos);
    pos = eol == std::string::npos ? headers.size() + 1 : eol + 2;
    if (line.empty()) continue;
    size_t colon = line.find(':');
    if (colon == std::string::npos) {
      error = "malformed header line";
      continue;
    }
    std::string name(line.substr(0, colon));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
    if (name == "content-length") {
      size_t n = 0;
      auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc() || ptr != value.data() + value.size()) error = "invalid Content-Length";
      else length = n;
    }
  }
  if (!length) {
    buffer_.erase(0, header_end + 4);
    return Frame{"", error.empty() ? "missing Content-Length header" : error};
  }
  if (*length > max_body_) {
    buffer_.erase(0, header_end + 4);
    skip_ = *length;
    return Frame{"", "message too large"};
  }
  if (buffer_.size() < header_end + 4 + *length) return std::nullopt;
  // Unknown or odd header lines are ignored, as LSP only defines Content-Length/Type.
  Frame frame{buffer_.substr(header_end + 4, *length), ""};
  buffer_.erase(0, header_end + 4 + *length);
  return frame;
}

std::string encode_frame(std::string_view body) {
  std::string out = "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  out.append(body.data(), body.size());
  return out;
}

}  // namespace fastest::protocol
