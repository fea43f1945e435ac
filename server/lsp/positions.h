// LSP positions (line + UTF-16 or UTF-8 code units) <-> byte offsets in UTF-8 text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace fastest::lsp {

enum class Encoding { Utf16, Utf8 };

class LineIndex {
 public:
  explicit LineIndex(std::string_view text);
  // Byte offset of an LSP position; clamped to the line's end and the text's end.
  uint32_t offset(uint32_t line, uint32_t character, Encoding encoding) const;
  // LSP character of a byte column on a line.
  uint32_t character(uint32_t line, uint32_t byte_column, Encoding encoding) const;
  uint32_t line_count() const { return static_cast<uint32_t>(starts_.size()); }

 private:
  std::string_view text_;
  std::vector<uint32_t> starts_;
};

// Byte length of the UTF-8 sequence starting with `lead`.
int utf8_length(unsigned char lead);

}  // namespace fastest::lsp
