// Small helpers shared by the libFuzzer harnesses (fuzz/*.cpp). Header-only: each harness is
// one translation unit linked against fastest_core.
#pragma once

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace fastest::fuzz {

// Where the harnesses write: replies are serialised (that is under test) and then dropped.
inline int dev_null_fd() {
  static int fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  return fd;
}

// One private directory per fuzzer process, removed at exit.
inline const std::filesystem::path& scratch_dir() {
  static std::filesystem::path dir = [] {
    std::string pattern = (std::filesystem::temp_directory_path() / "fastest-fuzz-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) {
      std::perror("mkdtemp");
      std::abort();
    }
    std::filesystem::path made = pattern;
    static struct Remover {
      std::filesystem::path path;
      ~Remover() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
      }
    } remover{made};
    return made;
  }();
  return dir;
}

// Written aside and renamed into place: another fuzzer process may be reading (mmap) the same
// fixed file, and truncating a mapped file under it is a SIGBUS there.
inline void write_file(const std::filesystem::path& path, std::string_view text) {
  std::filesystem::create_directories(path.parent_path());
  std::filesystem::path aside = path;
  aside += ".tmp" + std::to_string(::getpid());
  {
    std::ofstream out(aside, std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
  }
  std::filesystem::rename(aside, path);
}

// A deterministic choice from the input's bytes (FNV-1a), for harness options that must not
// change the bytes the seeds start with.
inline uint64_t input_hash(const uint8_t* data, size_t size) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < size; ++i) h = (h ^ data[i]) * 1099511628211ull;
  return h;
}

// The client's byte stream for an LSP input. An input starting with '{' or '[' is JSON lines:
// each line is one message body, framed here with its right Content-Length, so mutations
// reach the messages' contents without breaking the framing. Anything else is the raw stream.
inline std::string lsp_stream(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  if (input.empty() || (input.front() != '{' && input.front() != '[')) return std::string(input);
  std::string stream;
  while (!input.empty()) {
    size_t eol = input.find('\n');
    std::string_view body = input.substr(0, eol);
    stream += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
    stream.append(body.data(), body.size());
    input.remove_prefix(eol == std::string_view::npos ? input.size() : eol + 1);
  }
  return stream;
}

}  // namespace fastest::fuzz
