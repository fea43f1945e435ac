#include "protocol/framing.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <functional>

namespace fastest::protocol {

namespace {

// Resynchronisation rests on one fact: a Content-Length header line ("Content-Length:",
// blanks, digits, blanks, CR LF) cannot occur inside valid JSON (outside a string its letters
// are not JSON; inside one, the raw CR LF is not allowed). So wherever such a line appears
// other than at the start of the current frame, what precedes it is a broken frame.
constexpr std::string_view kName = "content-length:";
constexpr size_t kMaxHeaderLineTail = 64;  // blanks and digits after the name

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

struct LowerHash {
  size_t operator()(char c) const { return static_cast<unsigned char>(lower(c)); }
};
struct LowerEqual {
  bool operator()(char a, char b) const { return lower(a) == lower(b); }
};

enum class Match { No, Yes, NeedMore };

// Is there a Content-Length header line at `pos` (whose name is known to match)?
Match header_line_at(std::string_view buf, size_t pos) {
  bool digits = false, trailing = false;
  size_t limit = pos + kName.size() + kMaxHeaderLineTail;
  for (size_t i = pos + kName.size(); i < buf.size(); ++i) {
    if (i >= limit) return Match::No;
    char c = buf[i];
    if (c == '\r') {
      if (!digits) return Match::No;
      if (i + 1 == buf.size()) return Match::NeedMore;
      return buf[i + 1] == '\n' ? Match::Yes : Match::No;
    }
    if (c == ' ' || c == '\t') {
      trailing = digits;
    } else if (c >= '0' && c <= '9') {
      if (trailing) return Match::No;
      digits = true;
    } else {
      return Match::No;
    }
  }
  return Match::NeedMore;
}

struct HeaderLine {
  size_t pos = std::string_view::npos;
  Match match = Match::No;
};

// The first Content-Length header line starting in [from, end); NeedMore when one may start
// there but the bytes to decide have not arrived yet.
HeaderLine find_header_line(std::string_view buf, size_t from, size_t end) {
  static const std::boyer_moore_horspool_searcher<const char*, LowerHash, LowerEqual> searcher(
      kName.data(), kName.data() + kName.size());
  end = std::min(end, buf.size());
  const char* data = buf.data();
  for (size_t at = from; at < end;) {
    const char* hit = searcher(data + at, data + buf.size()).first;
    size_t pos = static_cast<size_t>(hit - data);
    if (pos >= end) break;
    if (Match m = header_line_at(buf, pos); m != Match::No) return {pos, m};
    at = pos + 1;
  }
  // The name itself may be cut at the end of what has arrived.
  size_t tail = buf.size() >= kName.size() ? buf.size() - kName.size() + 1 : 0;
  for (size_t pos = std::max(from, tail); pos < end; ++pos) {
    std::string_view rest = buf.substr(pos);
    if (std::equal(rest.begin(), rest.end(), kName.begin(), LowerEqual{})) return {pos, Match::NeedMore};
  }
  return {};
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Only plain decimal digits: no sign, no blanks inside, no overflow.
std::optional<size_t> parse_length(std::string_view value) {
  value = trim(value);
  if (value.empty() || !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  size_t n = 0;
  auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (ec != std::errc() || ptr != value.data() + value.size()) return std::nullopt;
  return n;
}

bool is_token(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != 0 && std::strchr("-_.!#$%&'*+^`|~", c) != nullptr);
  });
}

}  // namespace

std::optional<Frame> FrameDecoder::next() {
  while (true) {
    State before = state_;
    size_t size = buffer_.size();
    switch (state_) {
      case State::Header: return next_header();
      case State::Body: return next_body();
      case State::Skip: next_skip(); break;
      case State::Resync: next_resync(); break;
    }
    if (state_ == before && buffer_.size() == size) return std::nullopt;  // waiting for bytes
  }
}

Frame FrameDecoder::bad_frame(std::string error) {
  buffer_.erase(0, 1);
  state_ = State::Resync;
  return Frame{"", std::move(error)};
}

std::optional<Frame> FrameDecoder::next_header() {
  std::optional<size_t> length;
  size_t pos = 0;
  while (true) {
    size_t eol = buffer_.find('\n', pos);
    if (eol == std::string::npos || eol >= kMaxHeaderBytes) {
      if (buffer_.size() > kMaxHeaderBytes) return bad_frame("header too long or not terminated by \\r\\n\\r\\n");
      return std::nullopt;
    }
    if (eol == pos || buffer_[eol - 1] != '\r') return bad_frame("header line not terminated by \\r\\n");
    size_t start = pos;
    std::string_view line(buffer_.data() + start, eol - 1 - start);
    pos = eol + 1;
    if (line.empty()) break;
    // A header line glued after other bytes: those bytes are the broken frame.
    if (find_header_line(buffer_, start + 1, eol).match == Match::Yes) return bad_frame("malformed header line");
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || !is_token(line.substr(0, colon))) return bad_frame("malformed header line");
    std::string name(line.substr(0, colon));
    std::transform(name.begin(), name.end(), name.begin(), lower);
    if (name != "content-length") continue;  // LSP only defines Content-Length and Content-Type
    if (length) return bad_frame("duplicate Content-Length");
    length = parse_length(line.substr(colon + 1));
    if (!length) return bad_frame("invalid Content-Length");
  }
  if (!length) return bad_frame("missing Content-Length header");
  buffer_.erase(0, pos);
  length_ = *length;
  if (length_ > max_body_) {
    state_ = State::Skip;
    return Frame{"", "message too large (the limit is " + std::to_string(max_body_) + " bytes)"};
  }
  state_ = State::Body;
  scanned_ = 0;
  if (buffer_.capacity() < length_) buffer_.reserve(length_);
  return next_body();
}

std::optional<Frame> FrameDecoder::next_body() {
  HeaderLine header = find_header_line(buffer_, scanned_, length_);
  if (header.match == Match::Yes) {
    buffer_.erase(0, header.pos);
    if (buffer_.capacity() > 1024 * 1024) buffer_.shrink_to_fit();  // reserved for the announced length
    state_ = State::Header;
    return Frame{"", "body shorter than its Content-Length (a header line came first)"};
  }
  if (header.match == Match::NeedMore) {
    scanned_ = header.pos;
    return std::nullopt;
  }
  scanned_ = std::min(buffer_.size(), length_);
  if (buffer_.size() < length_) return std::nullopt;
  // Hand the buffer itself over as the body (no copy of a large body), keeping what follows.
  std::string rest = buffer_.substr(length_);
  buffer_.resize(length_);
  Frame frame{std::move(buffer_), ""};
  buffer_ = std::move(rest);
  state_ = State::Header;
  return frame;
}

void FrameDecoder::next_skip() {
  HeaderLine header = find_header_line(buffer_, 0, length_);
  if (header.match == Match::Yes) {
    buffer_.erase(0, header.pos);
    state_ = State::Header;
    return;
  }
  size_t drop = header.match == Match::NeedMore ? header.pos : std::min(buffer_.size(), length_);
  buffer_.erase(0, drop);
  length_ -= drop;
  if (length_ == 0) state_ = State::Header;
}

void FrameDecoder::next_resync() {
  HeaderLine header = find_header_line(buffer_, 0, std::string::npos);
  if (header.match == Match::Yes) {
    buffer_.erase(0, header.pos);
    state_ = State::Header;
    return;
  }
  buffer_.erase(0, header.match == Match::NeedMore ? header.pos : buffer_.size());
}

std::string encode_frame(std::string_view body) {
  std::string out = "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  out.append(body.data(), body.size());
  return out;
}

}  // namespace fastest::protocol
