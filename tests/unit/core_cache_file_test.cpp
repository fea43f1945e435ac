// The caches' atomic writes: a string, or bytes streamed by a writer (the listing cache's ids).
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "server/core/cache_file.h"
#include "tests/support/scoped_temp_dir.h"

using namespace fastest;

namespace {

std::string read_back(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

TEST_CASE("write_file_atomically: a writer's bytes replace the file whole, as a string's do") {
  fastest::test::ScopedTempDir tmp("fastest_unit_cache_file");
  const auto entry = tmp.path() / "entry";
  REQUIRE(write_file_atomically(entry, "old\n"));
  CHECK(read_back(entry) == "old\n");
  REQUIRE(write_file_atomically(entry, [](std::ostream& out) {
    for (int i = 0; i < 3; ++i) out << "id" << i << "\n";
  }));
  CHECK(read_back(entry) == "id0\nid1\nid2\n");
  // Nothing is left beside it (the temp file was renamed over it).
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(tmp.path())) files += e.is_regular_file();
  CHECK(files == 1);
  // A folder that does not exist: false, nothing written.
  CHECK_FALSE(write_file_atomically(tmp.path() / "missing" / "entry", [](std::ostream& out) { out << "x"; }));
}
