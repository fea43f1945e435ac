// A test's files: written whole, their folders made first.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>

namespace fastest::test {

inline void write_file(const std::filesystem::path& path, const std::string& text = "") {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

}  // namespace fastest::test
