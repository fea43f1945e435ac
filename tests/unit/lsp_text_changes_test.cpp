// didChange is decoded with typed checks: malformed content changes are errors, not UB.
#include <catch2/catch.hpp>

#include "server/lsp/text_changes.h"

using fastest::lsp::decode_did_change;
using nlohmann::json;

namespace {

json did_change(json change) {
  return {{"textDocument", {{"uri", "file:///p/test_a.py"}, {"version", 2}}},
          {"contentChanges", json::array({std::move(change)})}};
}

}  // namespace

TEST_CASE("a ranged change and a whole-text change decode") {
  std::string why;
  auto ranged = decode_did_change(
      did_change({{"range", {{"start", {{"line", 1}, {"character", 2}}}, {"end", {{"line", 3}, {"character", 0}}}}},
                  {"text", "x"}}),
      &why);
  REQUIRE(ranged);
  CHECK(ranged->uri == "file:///p/test_a.py");
  REQUIRE(ranged->changes.size() == 1);
  REQUIRE(ranged->changes[0].range);
  CHECK(ranged->changes[0].range->start.line == 1);
  CHECK(ranged->changes[0].range->start.character == 2);
  CHECK(ranged->changes[0].range->end.line == 3);
  CHECK(ranged->changes[0].text == "x");
  auto whole = decode_did_change(did_change({{"text", "all"}}), &why);
  REQUIRE(whole);
  CHECK_FALSE(whole->changes[0].range);
  CHECK(whole->changes[0].text == "all");
}

TEST_CASE("a malformed content change is an error, never a read of a missing key") {
  const json bad_changes[] = {
      {{"range", json::object()}, {"text", "x"}},
      {{"range", {{"start", {{"line", 0}, {"character", 0}}}}}, {"text", "x"}},
      {{"range", {{"start", {{"line", 0}}}, {"end", {{"line", 0}, {"character", 0}}}}}, {"text", "x"}},
      {{"range", {{"start", {{"line", "0"}, {"character", 0}}}, {"end", {{"line", 0}, {"character", 0}}}}}, {"text", "x"}},
      {{"range", {{"start", {{"line", -1}, {"character", 0}}}, {"end", {{"line", 0}, {"character", 0}}}}}, {"text", "x"}},
      {{"range", {{"start", {{"line", 1.5}, {"character", 0}}}, {"end", {{"line", 0}, {"character", 0}}}}}, {"text", "x"}},
      {{"range", {{"start", {{"line", 1ULL << 40}, {"character", 0}}}, {"end", {{"line", 0}, {"character", 0}}}}}, {"text", "x"}},
      {{"range", {{"start", 5}, {"end", {{"line", 0}, {"character", 0}}}}}, {"text", "x"}},
      {{"range", json::array()}, {"text", "x"}},
      {{"range", {{"start", {{"line", 0}, {"character", 0}}}, {"end", {{"line", 0}, {"character", 0}}}}}},
      {{"text", 5}},
      json::array(),
      "text",
  };
  for (const json& change : bad_changes) {
    INFO(change.dump());
    std::string why;
    CHECK_FALSE(decode_did_change(did_change(change), &why));
    CHECK_FALSE(why.empty());
  }
}

TEST_CASE("didChange params of the wrong shape are errors") {
  std::string why;
  CHECK_FALSE(decode_did_change(json::array(), &why));
  CHECK_FALSE(decode_did_change({{"contentChanges", json::array()}}, &why));
  CHECK_FALSE(decode_did_change({{"textDocument", {{"uri", 3}}}, {"contentChanges", json::array()}}, &why));
  CHECK_FALSE(decode_did_change({{"textDocument", {{"uri", "file:///a.py"}}}, {"contentChanges", json::object()}}, &why));
  CHECK(decode_did_change({{"textDocument", {{"uri", "file:///a.py"}}}, {"contentChanges", json::array()}}, &why));
}
