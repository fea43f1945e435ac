// Read-only memory mapping of a file: discovery reads source text without copying it.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace fastest {

class MappedFile {
 public:
  MappedFile() = default;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  ~MappedFile();

  // Maps `path`; on failure returns false and sets `error` (strerror text).
  bool open(const std::filesystem::path& path, std::string* error);
  std::string_view text() const { return {static_cast<const char*>(data_), size_}; }

 private:
  void reset();
  void* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace fastest
