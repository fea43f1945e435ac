#include "server/workspace/mapped_file.h"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <fcntl.h>
#include <mutex>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace fastest {
namespace {

// The live mappings, read by the SIGBUS handler: atomics only (no lock is safe in a handler).
// A slot is claimed by compare-exchange on `begin`. One live mapping per reading thread is the
// norm; with every slot taken, open() reads the file into memory instead of mapping it.
constexpr int kSlots = 512;
struct Slot {
  std::atomic<uintptr_t> begin{0};
  std::atomic<uintptr_t> end{0};
  std::atomic<bool> faulted{false};
};
Slot g_slots[kSlots];
uintptr_t g_page_size = 4096;
struct sigaction g_previous_sigbus {};
std::once_flag g_install_once;

void forward_sigbus(int sig, siginfo_t* info, void* context) {
  if (g_previous_sigbus.sa_flags & SA_SIGINFO) {
    if (g_previous_sigbus.sa_sigaction) return g_previous_sigbus.sa_sigaction(sig, info, context);
  } else if (g_previous_sigbus.sa_handler != SIG_DFL && g_previous_sigbus.sa_handler != SIG_IGN) {
    return g_previous_sigbus.sa_handler(sig);
  }
  signal(sig, SIG_DFL);  // not ours and no one else's: die of it, as without the handler
  raise(sig);
}

void on_sigbus(int sig, siginfo_t* info, void* context) {
  const auto address = reinterpret_cast<uintptr_t>(info->si_addr);
  for (Slot& slot : g_slots) {
    const uintptr_t begin = slot.begin.load(std::memory_order_acquire);
    if (begin == 0 || address < begin || address >= slot.end.load(std::memory_order_acquire)) continue;
    void* page = reinterpret_cast<void*>(address & ~(g_page_size - 1));
    if (mmap(page, g_page_size, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED) break;
    slot.faulted.store(true, std::memory_order_release);
    return;
  }
  forward_sigbus(sig, info, context);
}

void install_sigbus_handler() {
  std::call_once(g_install_once, [] {
    g_page_size = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
    struct sigaction action {};
    action.sa_sigaction = on_sigbus;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    sigaction(SIGBUS, &action, &g_previous_sigbus);
  });
}

int claim_slot(void* data, size_t size) {
  const auto begin = reinterpret_cast<uintptr_t>(data);
  for (int i = 0; i < kSlots; ++i) {
    uintptr_t expected = 0;
    if (g_slots[i].begin.compare_exchange_strong(expected, begin, std::memory_order_acq_rel)) {
      g_slots[i].faulted.store(false, std::memory_order_relaxed);
      g_slots[i].end.store(begin + size, std::memory_order_release);
      return i;
    }
  }
  return -1;
}

void release_slot(int slot) {
  g_slots[slot].end.store(0, std::memory_order_release);
  g_slots[slot].begin.store(0, std::memory_order_release);
}

}  // namespace

MappedFile::MappedFile(MappedFile&& other) noexcept { *this = std::move(other); }

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this != &other) {
    reset();
    const bool copied = other.data_ != nullptr && other.data_ == other.copy_.data();
    copy_ = std::move(other.copy_);
    data_ = copied ? copy_.data() : other.data_;
    size_ = other.size_;
    slot_ = other.slot_;
    other.data_ = nullptr;
    other.size_ = 0;
    other.slot_ = -1;
    other.copy_.clear();
  }
  return *this;
}

MappedFile::~MappedFile() { reset(); }

void MappedFile::reset() {
  if (slot_ >= 0) release_slot(slot_);  // before munmap: the range may be reused at once
  if (data_ && size_ && data_ != copy_.data()) munmap(data_, size_);
  copy_.clear();
  data_ = nullptr;
  size_ = 0;
  slot_ = -1;
}

bool MappedFile::changed_while_read() const {
  return slot_ >= 0 && g_slots[slot_].faulted.load(std::memory_order_acquire);
}

bool MappedFile::open(const std::filesystem::path& path, std::string* error) {
  reset();
  install_sigbus_handler();
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (error) *error = std::strerror(errno);
    return false;
  }
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    if (error) *error = S_ISREG(st.st_mode) ? std::strerror(errno) : "not a regular file";
    ::close(fd);
    return false;
  }
  if (st.st_size == 0) {  // mmap of length 0 fails; an empty file is empty text
    ::close(fd);
    return true;
  }
  void* data = mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
  int saved = errno;
  ::close(fd);
  if (data == MAP_FAILED) {
    if (error) *error = std::strerror(saved);
    return false;
  }
  data_ = data;
  size_ = static_cast<size_t>(st.st_size);
  slot_ = claim_slot(data_, size_);
  if (slot_ < 0) {
    reset();
    return read_copy(path, error);
  }
  return true;
}

bool MappedFile::read_copy(const std::filesystem::path& path, std::string* error) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (error) *error = std::strerror(errno);
    return false;
  }
  char buffer[65536];
  ssize_t n;
  while ((n = ::read(fd, buffer, sizeof buffer)) > 0 || (n < 0 && errno == EINTR))
    if (n > 0) copy_.append(buffer, static_cast<size_t>(n));
  int saved = errno;
  ::close(fd);
  if (n < 0) {
    if (error) *error = std::strerror(saved);
    return false;
  }
  data_ = copy_.data();
  size_ = copy_.size();
  return true;
}

bool read_file_text(const std::filesystem::path& path, std::string* text, std::string* error) {
  for (int attempt = 0; attempt < 3; ++attempt) {
    MappedFile mapped;
    if (!mapped.open(path, error)) return false;
    text->assign(mapped.text());
    if (!mapped.changed_while_read()) return true;
  }
  if (error) *error = "the file kept changing while it was read";
  return false;
}

}  // namespace fastest
