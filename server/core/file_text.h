// Whole-file reads of small text files (configs, caches, Python sources the import graph and
// the LSP read): one place, so every reader treats an unreadable file the same way.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace fastest {

// The file's bytes; "" when it cannot be opened (a missing file reads as empty).
std::string read_file_text(const std::filesystem::path& path);

// The file's bytes, or nullopt when it cannot be opened or a read fails.
std::optional<std::string> read_file_if_readable(const std::filesystem::path& path);

}  // namespace fastest
