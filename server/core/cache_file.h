// The files of fastest's caches on disk (`<rootdir>/.fastest_cache/`: the settled and listing
// caches): written whole or not at all, in a folder git never commits.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <ostream>
#include <string>
#include <string_view>

namespace fastest {

// 16 hex digits: cache entries are named by a hash of their slot.
std::string hex64(uint64_t value);

// Writes `bytes` to a temp file renamed over `target`: readers see the old file or the new one,
// whole; concurrent writers leave one of theirs. False when it could not be written.
bool write_file_atomically(const std::filesystem::path& target, std::string_view bytes);
// The same, the bytes written into the file's stream by `write`: a big entry (100,000 ids) is
// never a string of its own.
bool write_file_atomically(const std::filesystem::path& target, const std::function<void(std::ostream&)>& write);

// Creates `folder` (a cache under `.fastest_cache/`) and, as pytest does for its own cache, a
// `.gitignore` of `*` in `.fastest_cache/`. Failing is not an error: the cache is only skipped.
void make_cache_folder(const std::filesystem::path& folder);

}  // namespace fastest
