// Keyword scans over a whole module's text, run again on every keystroke: glibc's memmem skips
// ahead where std::string_view::find stops at every occurrence of the needle's first letter
// (`s` of `setattr(`, `e` of `exec(`: most lines of Python) and compares from there.
#pragma once

#include <string.h>

#include <string_view>

namespace fastest {

// The first place of `needle` in `text` at or after `from`, or npos.
inline size_t find_in_source(std::string_view text, std::string_view needle, size_t from = 0) {
  if (from > text.size()) return std::string_view::npos;
  if (needle.empty()) return from;
  // A window too short for the needle (an empty view's data() is null: UB for memmem).
  if (text.size() - from < needle.size()) return std::string_view::npos;
  const void* found = memmem(text.data() + from, text.size() - from, needle.data(), needle.size());
  return found ? static_cast<size_t>(static_cast<const char*>(found) - text.data()) : std::string_view::npos;
}

}  // namespace fastest
