// Read-only memory mapping of a file: discovery reads source text without copying it.
//
// A file truncated by another process while it is mapped (a `git checkout`, an editor saving
// by truncate-and-write) would raise SIGBUS on the first read past its new end and kill the
// server. A SIGBUS handler, installed once, maps a page of zeros over such a page of a live
// MappedFile and marks it changed: the read completes with NULs, and the caller, asking
// `changed_while_read()`, reads the file again instead of trusting that text.
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
  std::string_view text() const { return {static_cast<const char*>(data_), size_}; }  // valid while open
  // The file shrank while mapped and a read past its new end saw zeros, not its text.
  bool changed_while_read() const;

 private:
  void reset();
  bool read_copy(const std::filesystem::path& path, std::string* error);
  void* data_ = nullptr;
  std::string copy_;  // the text, when read rather than mapped
  size_t size_ = 0;
  int slot_ = -1;  // this mapping's entry in the SIGBUS handler's table, or -1
};

// Reads `path` into `text` through a MappedFile, again when the file changed during the read
// (a few times: a file rewritten continuously is reported as an error).
bool read_file_text(const std::filesystem::path& path, std::string* text, std::string* error);

}  // namespace fastest
