#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "server/execution/worker_wire.h"

using namespace fastest;
using namespace fastest::wire;

TEST_CASE("a result event decodes into a typed TestResult", "[wire]") {
  auto event = decode_event(
      R"({"event":"result","batch":4,"id":"t.py::test_x","outcome":"failed","duration":0.5,"message":"boom",)"
      R"("location":{"path":"/p/t.py","line":7},"phases":[["setup",0.1],["call",0.4]],)"
      R"("subtests":[{"outcome":"failed","description":" [a]","message":"m","longrepr":"l"}],"counted_as":"passed"})");
  REQUIRE(event);
  auto* finished = std::get_if<TestFinished>(&*event);
  REQUIRE(finished);
  CHECK(finished->batch == 4);
  CHECK(finished->result.id == "t.py::test_x");
  CHECK(finished->result.outcome == Outcome::Failed);
  CHECK(finished->result.duration_s == Approx(0.5));
  CHECK(finished->result.message == "boom");
  REQUIRE(finished->result.location);
  CHECK(finished->result.location->line == 7);
  CHECK(finished->result.phase_durations.size() == 2);
  REQUIRE(finished->result.subtests.size() == 1);
  CHECK(finished->result.subtests[0].description == " [a]");
  CHECK(finished->result.counted_as == Outcome::Passed);
  CHECK(batch_of(*event) == 4);
}

TEST_CASE("a field of the wrong type reads as absent, never throws", "[wire]") {
  auto event = decode_event(R"({"event":"result","batch":1,"id":5,"outcome":"passed","duration":"slow",)"
                            R"("location":"here","phases":[["call","x"],"y"],"subtests":[3]})");
  REQUIRE(event);
  const TestResult& r = std::get<TestFinished>(*event).result;
  CHECK(r.id.empty());
  CHECK(r.duration_s == 0);
  CHECK_FALSE(r.location);
  CHECK(r.phase_durations.empty());
  CHECK(r.subtests.empty());
  // An outcome nobody knows is an error, not a pass.
  auto odd = decode_event(R"({"event":"result","batch":1,"id":"t","outcome":"green"})");
  CHECK(std::get<TestFinished>(*odd).result.outcome == Outcome::Errored);
}

TEST_CASE("lines that are not events are refused with a reason", "[wire]") {
  std::string why;
  CHECK_FALSE(decode_event("not json", &why));
  CHECK(why == "not a JSON object");
  CHECK_FALSE(decode_event(R"({"event":"start","id":"t"})", &why));
  CHECK(why == "event 'start' without a batch");
  CHECK_FALSE(decode_event(R"({"event":"teleport","batch":1})", &why));
  CHECK(why == "unknown event 'teleport'");
  CHECK_FALSE(decode_event(R"([1,2])"));
}

TEST_CASE("ready carries the protocol version; batch-less events have no batch", "[wire]") {
  auto ready = decode_event(R"({"event":"ready","protocol":1,"pid":42,"pytest":"9.0","prepared":true})");
  REQUIRE(ready);
  CHECK(std::get<Ready>(*ready).protocol == kWorkerProtocolVersion);
  CHECK(std::get<Ready>(*ready).pid == 42);
  CHECK_FALSE(batch_of(*ready));
  auto old = decode_event(R"({"event":"ready","pid":42})");
  CHECK(std::get<Ready>(*old).protocol == 0);
  auto fatal = decode_event(R"({"event":"fatal","message":"no pytest"})");
  CHECK(std::get<Fatal>(*fatal).message == "no pytest");
  auto image = decode_event(R"({"event":"image","state":"unsafe","message":"app.poller is not pre-imported"})");
  REQUIRE(image);
  CHECK(std::get<ImageStatus>(*image).state == "unsafe");
  CHECK(std::get<ImageStatus>(*image).message == "app.poller is not pre-imported");
  CHECK_FALSE(batch_of(*image));
}

TEST_CASE("the other batch events decode", "[wire]") {
  auto done = decode_event(R"({"event":"batch_done","batch":2,"signal":9})");
  CHECK(std::get<BatchDone>(*done).signal == 9);
  auto error = decode_event(R"({"event":"batch_error","batch":2,"message":"m","usage_error":"bad","after_collection":true})");
  CHECK(std::get<BatchError>(*error).usage_error == "bad");
  CHECK(std::get<BatchError>(*error).after_collection);
  CHECK_FALSE(std::get<BatchError>(*error).internal_error);
  CHECK(std::get<BatchError>(*error).summary == "internal error");
  auto interrupted = decode_event(R"({"event":"interrupted","batch":2,"id":"t","message":"bye","returncode":3})");
  CHECK(std::get<Interrupted>(*interrupted).what.exit_code == 3);
  auto cov = decode_event(R"({"event":"coverage","batch":2,"files":{"/p/a.py":{"covered":[1,2],"missed":[3]}}})");
  REQUIRE(std::get<CoverageData>(*cov).files.size() == 1);
  CHECK(std::get<CoverageData>(*cov).files[0].missed == std::vector<int>{3});
  auto skip = decode_event(R"({"event":"collect_skip","batch":2,"id":"m.py","path":"/p/m.py","line":null,"reason":"r"})");
  CHECK(std::get<CollectSkip>(*skip).line == 0);
}

TEST_CASE("a run command encodes every field, invalid UTF-8 replaced", "[wire]") {
  RunCommand c;
  c.batch = 7;
  c.rootdir = "/p";
  c.inifile = "/p/pytest.ini";
  c.ids = {"t.py::test_\xff"};
  c.overlays = {{"/p/t.py", "x = 1\n"}};
  c.debug_port = 5678;
  auto j = nlohmann::json::parse(encode(c));
  CHECK(j["cmd"] == "run");
  CHECK(j["batch"] == 7);
  CHECK(j["inifile"] == "/p/pytest.ini");
  CHECK(j["ids"][0] == "t.py::test_\xEF\xBF\xBD");
  CHECK(j["overlays"]["/p/t.py"] == "x = 1\n");
  CHECK(j["debug_port"] == 5678);
  CHECK(j["collect_only"] == false);
}
