// Reading a cache entry stored as CBOR (fastest's caches on disk): nlohmann's reader recurses
// once per nesting level, so a damaged or hostile entry nested thousands deep would overflow
// the stack. Entries are a few levels deep; a first pass that builds nothing refuses deeper ones.
#pragma once

#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

namespace fastest {

// The value, or nullopt when the bytes are not one CBOR value at most `max_depth` deep.
std::optional<nlohmann::json> parse_shallow_cbor(std::string_view bytes, int max_depth = 32);

}  // namespace fastest
