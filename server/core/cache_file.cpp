#include "server/core/cache_file.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <random>

namespace fs = std::filesystem;

namespace fastest {

std::string hex64(uint64_t value) {
  char buffer[17];
  std::snprintf(buffer, sizeof buffer, "%016llx", static_cast<unsigned long long>(value));
  return buffer;
}

bool write_file_atomically(const fs::path& target, std::string_view bytes) {
  return write_file_atomically(
      target, [&](std::ostream& out) { out.write(bytes.data(), static_cast<std::streamsize>(bytes.size())); });
}

bool write_file_atomically(const fs::path& target, const std::function<void(std::ostream&)>& write) {
  std::error_code ec;
  const fs::path temp = target.string() + "." + std::to_string(::getpid()) + "." + hex64(std::random_device{}()) + ".tmp";
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    write(out);
    out.flush();
    if (!out) {
      fs::remove(temp, ec);
      return false;
    }
  }
  fs::rename(temp, target, ec);
  if (ec) fs::remove(temp, ec);
  return !ec;
}

void make_cache_folder(const fs::path& folder) {
  std::error_code ec;
  fs::create_directories(folder, ec);
  const fs::path ignore = folder.parent_path() / ".gitignore";
  if (!fs::exists(ignore, ec)) std::ofstream(ignore) << "# Created by fastest automatically.\n*\n";
}

}  // namespace fastest
