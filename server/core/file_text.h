// Whole-file reads of small text files (configs, caches, Python sources the import graph and
// the LSP read): one place, so every reader treats an unreadable file the same way.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace fastest {

// The file's bytes; "" when it cannot be opened (a missing file reads as empty).
std::string read_file_text(const std::filesystem::path& path);

// The file's bytes, or nullopt when it cannot be opened or a read fails.
std::optional<std::string> read_file_if_readable(const std::filesystem::path& path);

// While on, every path read above is noted (thread-safe): `fastest discover` fingerprints what
// its answer was read from (server/core/tree_fingerprint.h). Off by default: the language
// server reads for its whole life.
void note_files_read(bool on);
// The paths read since note_files_read(true), each once.
std::vector<std::filesystem::path> files_read();

}  // namespace fastest
