#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <string>

#include "server/core/tree_fingerprint.h"
#include "tests/support/scoped_temp_dir.h"
#include "tests/support/write_file.h"

using namespace fastest;
namespace fs = std::filesystem;
using fastest::test::write_file;

namespace {
// A run that started an hour from now: every file written by the test predates it.
const auto kLater = std::chrono::system_clock::now() + std::chrono::hours(1);

TreeFingerprint take(const fs::path& root, const std::vector<fs::path>& paths = {}) {
  std::string why;
  auto fingerprint = TreeFingerprint::take({root}, paths, kLater, &why);
  INFO(why);
  REQUIRE(fingerprint);
  return *fingerprint;
}
}  // namespace

TEST_CASE("tree fingerprint: what changes a tree, and what does not", "[tree_fingerprint]") {
  test::ScopedTempDir dir("tree_fingerprint_");
  const fs::path root = dir.path();
  write_file(root / "tests/test_a.py", "def test_a(): pass\n");
  write_file(root / "tests/data/cases.txt", "a b\n");
  write_file(root / "tests/__pycache__/test_a.cpython-311.pyc", "x");
  write_file(root / ".git/HEAD", "ref\n");
  const TreeFingerprint before = take(root, {root.parent_path() / "pytest.ini"});
  CHECK(before.unchanged());

  SECTION("a file rewritten to the same size") {
    write_file(root / "tests/data/cases.txt", "c d\n");
    CHECK_FALSE(before.unchanged());
  }
  SECTION("a file created in a nested folder") {
    write_file(root / "tests/data/more/new.txt", "");
    CHECK_FALSE(before.unchanged());
  }
  SECTION("a file removed") {
    fs::remove(root / "tests/test_a.py");
    CHECK_FALSE(before.unchanged());
  }
  SECTION("a file renamed over another") {
    write_file(root / "tests/other.py", "def test_a(): pass\n");
    fs::rename(root / "tests/other.py", root / "tests/test_a.py");
    CHECK_FALSE(before.unchanged());
  }
  SECTION("an absent probed path created") {
    write_file(root.parent_path() / "pytest.ini", "[pytest]\n");
    const bool unchanged = before.unchanged();
    fs::remove(root.parent_path() / "pytest.ini");
    CHECK_FALSE(unchanged);
  }
  SECTION("caches and version control are not watched") {
    write_file(root / "tests/__pycache__/test_a.cpython-311.pyc", "yy");
    write_file(root / ".git/HEAD", "other ref\n");
    CHECK(before.unchanged());
  }
}

TEST_CASE("tree fingerprint: an entry changed while the answer was computed is refused", "[tree_fingerprint]") {
  test::ScopedTempDir dir("tree_fingerprint_");
  const fs::path root = dir.path();
  const auto started = std::chrono::system_clock::now();
  write_file(root / "test_a.py", "def test_a(): pass\n");
  std::string why;
  CHECK_FALSE(TreeFingerprint::take({root}, {}, started, &why));
  CHECK(why.find("changed while the answer was computed") != std::string::npos);
}

TEST_CASE("tree fingerprint: too many entries is refused", "[tree_fingerprint]") {
  test::ScopedTempDir dir("tree_fingerprint_");
  for (int i = 0; i < 10; ++i) write_file(dir.path() / ("f" + std::to_string(i)), "");
  std::string why;
  CHECK_FALSE(TreeFingerprint::take({dir.path()}, {}, kLater, &why, 5));
  CHECK(why.find("more than 5") != std::string::npos);
}

TEST_CASE("tree fingerprint: symbolic links to folders are followed once", "[tree_fingerprint]") {
  test::ScopedTempDir dir("tree_fingerprint_");
  const fs::path root = dir.path() / "root";
  write_file(dir.path() / "elsewhere/test_far.py", "def test_far(): pass\n");
  fs::create_directories(root);
  fs::create_directory_symlink(dir.path() / "elsewhere", root / "linked");
  fs::create_directory_symlink(root, root / "loop");  // a cycle: walked once
  const TreeFingerprint before = take(root);
  CHECK(before.unchanged());
  write_file(dir.path() / "elsewhere/test_far.py", "def test_far(): pass\ndef test_b(): pass\n");
  CHECK_FALSE(before.unchanged());
}

TEST_CASE("tree fingerprint: text round trip, and damaged text is refused", "[tree_fingerprint]") {
  test::ScopedTempDir dir("tree_fingerprint_");
  write_file(dir.path() / "a b.py", "x\n");  // a space in a name
  const TreeFingerprint before = take(dir.path());
  auto text = before.to_text();
  REQUIRE(text);
  auto back = TreeFingerprint::from_text(*text);
  REQUIRE(back);
  CHECK(back->paths() == before.paths());
  CHECK(back->unchanged());
  CHECK_FALSE(TreeFingerprint::from_text("12 3 4\n"));
  CHECK_FALSE(TreeFingerprint::from_text("x 1 2 3 /a\n"));
  CHECK_FALSE(TreeFingerprint::from_text("1 2 3 4 /a"));  // no final newline: truncated
  CHECK_FALSE(TreeFingerprint::from_text("1 2 3 4 \n"));   // no path
}
