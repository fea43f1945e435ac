#include <catch2/catch.hpp>

#include <fstream>
#include <string>
#include <unistd.h>

#include "server/workspace/mapped_file.h"
#include "tests/support/scoped_temp_dir.h"

using fastest::MappedFile;

TEST_CASE("a mapped file truncated by someone else while it is read: zeros and a flag, not SIGBUS") {
  fastest::test::ScopedTempDir dir("fastest_mapped_");
  const auto path = dir.path() / "test_big.py";
  const std::string text(5 * 4096, 'x');
  std::ofstream(path, std::ios::binary) << text;

  MappedFile mapped;
  std::string error;
  REQUIRE(mapped.open(path, &error));
  REQUIRE(mapped.text().size() == text.size());
  CHECK_FALSE(mapped.changed_while_read());
  REQUIRE(truncate(path.c_str(), 100) == 0);  // as an editor saving by truncate-and-write
  size_t xs = 0;
  for (char c : mapped.text()) xs += c == 'x';  // reads every page: past the end raised SIGBUS
  CHECK(xs < text.size());
  CHECK(mapped.changed_while_read());

  // Read again, the file's new text; a fresh mapping is not marked.
  std::string now;
  REQUIRE(fastest::read_file_text(path, &now, &error));
  CHECK(now == std::string(100, 'x'));
  MappedFile again;
  REQUIRE(again.open(path, &error));
  CHECK_FALSE(again.changed_while_read());
}

TEST_CASE("mapped files beyond the handler's table are read into memory, and move") {
  fastest::test::ScopedTempDir dir("fastest_mapped_");
  const auto path = dir.path() / "m.py";
  std::ofstream(path, std::ios::binary) << "def test_a(): pass\n";
  std::vector<MappedFile> files(600);  // more than the handler's slots
  std::string error;
  for (auto& f : files) REQUIRE(f.open(path, &error));
  for (auto& f : files) CHECK(f.text() == "def test_a(): pass\n");
  MappedFile moved = std::move(files.back());  // a copied (short) text survives the move
  CHECK(moved.text() == "def test_a(): pass\n");
  CHECK(files.back().text().empty());
}
