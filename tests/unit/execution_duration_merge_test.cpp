#include <catch2/catch.hpp>

#include <fstream>

#include "server/execution/duration_history.h"
#include "tests/support/scoped_temp_dir.h"

using namespace fastest;

TEST_CASE("shards' histories merge into their base: each shard's changes and additions") {
  Durations base = {{"a.py::t", 1.0}, {"b.py::t", 2.0}, {"c.py::t", 3.0}};
  Durations shard1 = base, shard2 = base;
  shard1["a.py::t"] = 1.5;   // shard 1 ran a
  shard1["new.py::t"] = 0.25;
  shard2["b.py::t"] = 2.5;   // shard 2 ran b
  Durations merged = merge_shard_durations(base, {shard1, shard2});
  CHECK(merged == Durations{{"a.py::t", 1.5}, {"b.py::t", 2.5}, {"c.py::t", 3.0}, {"new.py::t", 0.25}});
  // No base (a first run): the union.
  CHECK(merge_shard_durations({}, {{{"x", 1.0}}, {{"y", 2.0}}}) == Durations{{"x", 1.0}, {"y", 2.0}});
}

TEST_CASE("a written history reads back") {
  test::ScopedTempDir dir("fastest_duration_merge_");
  auto file = dir.path() / "h.json";
  REQUIRE(write_durations(file, {{"a.py::t", 0.5}}, nullptr));
  DurationHistory history(file);
  std::string warning;
  history.load(&warning);
  CHECK(warning.empty());
  CHECK(history.durations() == Durations{{"a.py::t", 0.5}});
  std::string why;
  CHECK_FALSE(write_durations(dir.path() / "missing" / "h.json", {}, &why));
  CHECK_FALSE(why.empty());
}
