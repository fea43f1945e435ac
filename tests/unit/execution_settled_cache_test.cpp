#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>
#include <thread>
#include <vector>

#include "server/execution/settled_cache.h"
#include "tests/support/scoped_temp_dir.h"
#include "tests/support/write_file.h"

using namespace fastest;
namespace fs = std::filesystem;
using fastest::test::write_file;

namespace {
SettledKey key_for(const fs::path& root) {
  SettledKey key;
  key.add("python", "/usr/bin/python3");
  REQUIRE(add_module_files(key, root, "tests/test_x.py"));
  return key;
}

const nlohmann::json kAnswer = {{"ids", {"tests/test_x.py::test_x[1]", "tests/test_x.py::test_x[2]"}}};
const auto kStartedLater = fs::file_time_type::clock::now() + std::chrono::hours(1);
}  // namespace

TEST_CASE("settled cache: an answer comes back under the same key and files", "[settled_cache]") {
  test::ScopedTempDir dir("settled_cache_");
  const fs::path root = dir.path();
  write_file(root / "tests/test_x.py", "def test_x(): pass\n");
  write_file(root / "tests/helpers.py", "def make(): return [1, 2]\n");
  SettledCache cache(root);
  cache.store("lsp\ntests/test_x.py", key_for(root), kAnswer, {(root / "tests/helpers.py").string()}, kStartedLater);
  CHECK(SettledCache(root).load("lsp\ntests/test_x.py", key_for(root)) == kAnswer);
  CHECK(fs::exists(root / ".fastest_cache" / ".gitignore"));

  SECTION("another slot misses") { CHECK_FALSE(SettledCache(root).load("lsp\ntests/test_y.py", key_for(root))); }
  SECTION("the module's text changed: miss") {
    write_file(root / "tests/test_x.py", "def test_x(): pass\ndef test_y(): pass\n");
    CHECK_FALSE(SettledCache(root).load("lsp\ntests/test_x.py", key_for(root)));
  }
  SECTION("a conftest appeared above it: miss") {
    write_file(root / "conftest.py", "\n");
    CHECK_FALSE(SettledCache(root).load("lsp\ntests/test_x.py", key_for(root)));
  }
  SECTION("an imported helper changed or went: miss") {
    write_file(root / "tests/helpers.py", "def make(): return [1, 2, 3]\n");
    CHECK_FALSE(SettledCache(root).load("lsp\ntests/test_x.py", key_for(root)));
    fs::remove(root / "tests/helpers.py");
    CHECK_FALSE(SettledCache(root).load("lsp\ntests/test_x.py", key_for(root)));
  }
  SECTION("another environment line: miss") {
    SettledKey other = key_for(root);
    other.add("site-packages", "pytest-9.0.2.dist-info");
    CHECK_FALSE(SettledCache(root).load("lsp\ntests/test_x.py", other));
  }
  SECTION("cleared: miss") {
    SettledCache(root).clear();
    CHECK_FALSE(SettledCache(root).load("lsp\ntests/test_x.py", key_for(root)));
  }
}

// The one entry a single store wrote (beside its imports record).
fs::path the_entry(const fs::path& root) {
  std::vector<fs::path> entries;
  for (const auto& e : fs::directory_iterator(root / ".fastest_cache" / "settled"))
    if (e.path().filename().string().rfind("imports-", 0) != 0) entries.push_back(e.path());
  REQUIRE(entries.size() == 1);
  return entries[0];
}

TEST_CASE("settled cache: a corrupt or truncated entry is a miss, never an error", "[settled_cache]") {
  test::ScopedTempDir dir("settled_cache_");
  const fs::path root = dir.path();
  write_file(root / "tests/test_x.py", "def test_x(): pass\n");
  SettledCache(root).store("slot", key_for(root), kAnswer, {}, kStartedLater);
  const fs::path entry = the_entry(root);
  std::ifstream in(entry);
  const std::string whole((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (const std::string& damaged : {whole.substr(0, whole.size() / 2), std::string(), std::string("\0\0{", 3),
                                     std::string("{\"format\": 1, \"slot\": \"slot\"}"), std::string("[1, 2]")}) {
    std::ofstream(entry, std::ios::trunc) << damaged;
    CHECK_FALSE(SettledCache(root).load("slot", key_for(root)));
  }
}

TEST_CASE("settled cache: an imported file modified after the collection started is not stored", "[settled_cache]") {
  test::ScopedTempDir dir("settled_cache_");
  const fs::path root = dir.path();
  write_file(root / "tests/test_x.py", "def test_x(): pass\n");
  const auto started = fs::file_time_type::clock::now() - std::chrono::hours(1);
  write_file(root / "tests/helpers.py", "def make(): return [1]\n");  // written "after" started
  SettledCache(root).store("slot", key_for(root), kAnswer, {(root / "tests/helpers.py").string()}, started);
  CHECK_FALSE(SettledCache(root).load("slot", key_for(root)));
}

TEST_CASE("settled cache: concurrent writers of one slot leave one whole entry", "[settled_cache]") {
  test::ScopedTempDir dir("settled_cache_");
  const fs::path root = dir.path();
  write_file(root / "tests/test_x.py", "def test_x(): pass\n");
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w)
    writers.emplace_back([&root] {
      for (int i = 0; i < 50; ++i) SettledCache(root).store("slot", key_for(root), kAnswer, {}, kStartedLater);
    });
  for (int i = 0; i < 100; ++i) {
    auto answer = SettledCache(root).load("slot", key_for(root));
    if (answer) CHECK(*answer == kAnswer);
  }
  for (auto& t : writers) t.join();
  CHECK(SettledCache(root).load("slot", key_for(root)) == kAnswer);
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(root / ".fastest_cache" / "settled")) {
    CHECK(e.path().extension() != ".tmp");  // no temp file left behind
    ++files;
  }
  CHECK(files == 2);  // the entry and its imports record
}

TEST_CASE("settled cache: a damaged imports record is a miss", "[settled_cache]") {
  test::ScopedTempDir dir("settled_cache_");
  const fs::path root = dir.path();
  write_file(root / "tests/test_x.py", "def test_x(): pass\n");
  write_file(root / "tests/helpers.py", "x = 1\n");
  SettledCache(root).store("slot", key_for(root), kAnswer, {(root / "tests/helpers.py").string()}, kStartedLater);
  for (const auto& e : fs::directory_iterator(root / ".fastest_cache" / "settled"))
    if (e.path().filename().string().rfind("imports-", 0) == 0) std::ofstream(e.path(), std::ios::trunc) << "{\"tests/";
  CHECK_FALSE(SettledCache(root).load("slot", key_for(root)));
}

TEST_CASE("settled cache: files outside the rootdir are not part of the entry", "[settled_cache]") {
  test::ScopedTempDir dir("settled_cache_");
  test::ScopedTempDir elsewhere("settled_elsewhere_");
  const fs::path root = dir.path();
  write_file(root / "tests/test_x.py", "def test_x(): pass\n");
  write_file(elsewhere.path() / "lib.py", "x = 1\n");
  SettledCache(root).store("slot", key_for(root), kAnswer, {(elsewhere.path() / "lib.py").string()}, kStartedLater);
  write_file(elsewhere.path() / "lib.py", "x = 2\n");
  CHECK(SettledCache(root).load("slot", key_for(root)) == kAnswer);
}

TEST_CASE("settled cache: an entry nested deeper than any answer is a miss, not a crash", "[settled_cache]") {
  test::ScopedTempDir dir("settled_cache_");
  const fs::path root = dir.path();
  write_file(root / "tests/test_x.py", "def test_x(): pass\n");
  SettledCache(root).store("slot", key_for(root), kAnswer, {}, kStartedLater);
  // A CBOR array of one array of one array ... a million deep (0x81: an array of one item).
  std::ofstream(the_entry(root), std::ios::binary | std::ios::trunc) << std::string(1'000'000, '\x81') << '\xf6';
  CHECK_FALSE(SettledCache(root).load("slot", key_for(root)));
}
