// TOML 1.0 allows non-ASCII text only inside strings and comments. Debian's toml++ 3.3.0
// reaches `__builtin_unreachable()` (undefined behaviour: a crash or a wrong parse) when it
// classifies many non-ASCII characters (Latin-1 letters, Greek, Cyrillic, kana...) met outside
// them, as in `[tool.café]` (found by fuzz_config). Such a file is invalid TOML anyway: it is
// refused with pytest's kind of error before toml++ sees it.
#pragma once

#include <optional>
#include <string_view>

namespace fastest {

// The 1-based line of the first non-ASCII byte outside a string or comment, if any.
std::optional<size_t> non_ascii_outside_strings(std::string_view toml);

}  // namespace fastest
