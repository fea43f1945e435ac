#include "server/core/file_text.h"

#include <fstream>
#include <sstream>

namespace fastest {

std::optional<std::string> read_file_if_readable(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return std::move(text).str();
}

std::string read_file_text(const std::filesystem::path& path) {
  return read_file_if_readable(path).value_or(std::string());
}

}  // namespace fastest
