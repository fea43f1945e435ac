#include "server/lsp/positions.h"

#include <algorithm>

namespace fastest::lsp {

int utf8_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead & 0xE0) == 0xC0) return 2;
  if ((lead & 0xF0) == 0xE0) return 3;
  if ((lead & 0xF8) == 0xF0) return 4;
  return 1;  // invalid byte: count it alone
}

LineIndex::LineIndex(std::string_view text) : text_(text) {
  starts_.push_back(0);
  // LSP's line breaks: LF, CRLF, and a lone CR.
  for (uint32_t i = 0; i < text.size(); ++i)
    if (text[i] == '\n' || (text[i] == '\r' && (i + 1 == text.size() || text[i + 1] != '\n'))) starts_.push_back(i + 1);
}

uint32_t LineIndex::offset(uint32_t line, uint32_t character, Encoding encoding) const {
  if (line >= starts_.size()) return static_cast<uint32_t>(text_.size());
  uint32_t pos = starts_[line];
  uint32_t end = line + 1 < starts_.size() ? starts_[line + 1] - 1 : static_cast<uint32_t>(text_.size());
  uint32_t units = 0;
  while (pos < end && units < character) {
    int len = utf8_length(static_cast<unsigned char>(text_[pos]));
    if (pos + len > end) len = static_cast<int>(end - pos);
    uint32_t cost = encoding == Encoding::Utf8 ? static_cast<uint32_t>(len) : (len == 4 ? 2u : 1u);
    if (units + cost > character) break;  // inside a surrogate pair or a multi-byte char
    units += cost;
    pos += static_cast<uint32_t>(len);
  }
  return pos;
}

uint32_t LineIndex::character(uint32_t line, uint32_t byte_column, Encoding encoding) const {
  if (encoding == Encoding::Utf8) return byte_column;
  if (line >= starts_.size()) return byte_column;
  uint32_t pos = starts_[line];
  uint32_t end = std::min<uint32_t>(pos + byte_column, static_cast<uint32_t>(text_.size()));
  uint32_t units = 0;
  while (pos < end) {
    int len = utf8_length(static_cast<unsigned char>(text_[pos]));
    units += len == 4 ? 2 : 1;
    pos += static_cast<uint32_t>(len);
  }
  return units;
}

}  // namespace fastest::lsp
