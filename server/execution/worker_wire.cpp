// The worker wire: JSON lines <-> the typed commands and events of worker_wire.h.
#include "server/execution/worker_wire.h"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace fastest::wire {
namespace {

using json = nlohmann::json;

// Tolerant field reads: a field that is absent or of another type reads as the fallback, so a
// worker bug costs one field, never the engine (nlohmann's value() throws on a type mismatch).
std::string text(const json& e, const char* key, std::string fallback = "") {
  auto it = e.find(key);
  return it != e.end() && it->is_string() ? it->get<std::string>() : fallback;
}
std::optional<std::string> optional_text(const json& e, const char* key) {
  auto it = e.find(key);
  if (it == e.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}
int integer(const json& e, const char* key, int fallback = 0) {
  auto it = e.find(key);
  return it != e.end() && it->is_number_integer() ? it->get<int>() : fallback;
}
std::optional<int> optional_integer(const json& e, const char* key) {
  auto it = e.find(key);
  if (it == e.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<int>();
}
double number(const json& e, const char* key) {
  auto it = e.find(key);
  return it != e.end() && it->is_number() ? it->get<double>() : 0.0;
}
bool flag(const json& e, const char* key) {
  auto it = e.find(key);
  return it != e.end() && it->is_boolean() && it->get<bool>();
}
std::vector<std::string> strings(const json& e, const char* key) {
  std::vector<std::string> out;
  auto it = e.find(key);
  if (it == e.end() || !it->is_array()) return out;
  for (const json& v : *it)
    if (v.is_string()) out.push_back(v.get<std::string>());
  return out;
}
std::vector<int> integers(const json& e, const char* key) {
  std::vector<int> out;
  auto it = e.find(key);
  if (it == e.end() || !it->is_array()) return out;
  for (const json& v : *it)
    if (v.is_number_integer()) out.push_back(v.get<int>());
  return out;
}
std::optional<FailureLocation> location(const json& e, const char* key) {
  auto it = e.find(key);
  if (it == e.end() || !it->is_object()) return std::nullopt;
  return FailureLocation{text(*it, "path"), integer(*it, "line")};
}
// [[string, string], ...] or [[string, number], ...]
template <typename Second>
std::vector<std::pair<std::string, Second>> pairs(const json& e, const char* key) {
  std::vector<std::pair<std::string, Second>> out;
  auto it = e.find(key);
  if (it == e.end() || !it->is_array()) return out;
  for (const json& pair : *it) {
    if (!pair.is_array() || pair.size() != 2 || !pair[0].is_string()) continue;
    if constexpr (std::is_same_v<Second, std::string>) {
      if (pair[1].is_string()) out.emplace_back(pair[0].get<std::string>(), pair[1].get<std::string>());
    } else {
      if (pair[1].is_number()) out.emplace_back(pair[0].get<std::string>(), pair[1].get<double>());
    }
  }
  return out;
}

TestResult test_result(const json& e) {
  TestResult r;
  r.id = text(e, "id");
  r.outcome = parse_outcome(text(e, "outcome", "errored")).value_or(Outcome::Errored);
  r.duration_s = number(e, "duration");
  r.message = text(e, "message");
  r.longrepr = text(e, "longrepr");
  r.expected = optional_text(e, "expected");
  r.actual = optional_text(e, "actual");
  r.location = location(e, "location");
  if (auto it = e.find("skip_place"); it != e.end() && it->is_object())
    r.skipped_at = SkipLocation{text(*it, "path"), optional_integer(*it, "line"), flag(*it, "per_file")};
  r.xfail_reason = text(e, "xfail_reason");
  r.error_when = text(e, "when");
  r.longrepr_lead = text(e, "longrepr_lead");
  r.crash_line = text(e, "crash_line");
  r.phase_durations = pairs<double>(e, "phases");
  r.sections = pairs<std::string>(e, "sections");
  r.stdout_text = text(e, "stdout");
  r.stderr_text = text(e, "stderr");
  if (auto counted = optional_text(e, "counted_as")) r.counted_as = parse_outcome(*counted);
  r.subtests_passed = std::max(0, integer(e, "subtests_passed"));
  if (auto it = e.find("subtests"); it != e.end() && it->is_array())
    for (const json& sub : *it)
      if (sub.is_object())
        r.subtests.push_back(SubtestReport{parse_outcome(text(sub, "outcome")).value_or(Outcome::Failed),
                                           text(sub, "description"), text(sub, "message"), text(sub, "longrepr")});
  return r;
}

std::vector<FileCoverage> coverage_files(const json& e) {
  std::vector<FileCoverage> out;
  auto it = e.find("files");
  if (it == e.end() || !it->is_object()) return out;
  for (auto& [path, data] : it->items())
    if (data.is_object()) out.push_back(FileCoverage{path, integers(data, "covered"), integers(data, "missed")});
  return out;
}

Interruption interruption(const json& e) {
  Interruption what;
  what.test_id = text(e, "id");
  what.message = text(e, "message", "KeyboardInterrupt");
  what.crash_line = text(e, "crash_line");
  what.longrepr = text(e, "longrepr");
  what.full_trace = flag(e, "full_trace");
  what.location = location(e, "location");
  what.exit_code = optional_integer(e, "returncode");
  return what;
}

std::optional<Event> batch_event(const std::string& kind, const json& e, int batch) {
  if (kind == "child") return ChildStarted{batch, integer(e, "pid", -1)};
  if (kind == "start") return TestStarted{batch, text(e, "id")};
  if (kind == "result") return TestFinished{batch, test_result(e)};
  if (kind == "collected") return Collected{batch, strings(e, "ids")};
  if (kind == "deselected") return Deselected{batch, strings(e, "ids")};
  if (kind == "imported_files") return ImportedFiles{batch, strings(e, "files")};
  if (kind == "collect_skip") return CollectSkip{batch, text(e, "id"), text(e, "path"), text(e, "reason"), integer(e, "line")};
  if (kind == "collect_error") return CollectError{batch, text(e, "id"), text(e, "longrepr"), text(e, "crash")};
  if (kind == "warning") return WarningRecorded{batch, text(e, "location"), text(e, "message")};
  if (kind == "coverage") return CoverageData{batch, coverage_files(e)};
  if (kind == "debug_listening") return DebugListening{batch, integer(e, "port")};
  if (kind == "batch_error")
    return BatchError{batch,
                      text(e, "message"),
                      text(e, "summary", "internal error"),
                      optional_text(e, "usage_error"),
                      flag(e, "after_collection"),
                      optional_text(e, "internal_error")};
  if (kind == "interrupted") return Interrupted{batch, interruption(e)};
  if (kind == "batch_done") return BatchDone{batch, integer(e, "signal"), integer(e, "exit")};
  return std::nullopt;
}

}  // namespace

std::string encode(const RunCommand& c) {
  json cmd = {{"cmd", "run"},
              {"batch", c.batch},
              {"rootdir", c.rootdir},
              {"ids", c.ids},
              {"pytest_args", c.pytest_args},
              {"overlays", c.overlays},
              {"collect_only", c.collect_only},
              {"coverage", c.coverage},
              {"debug_port", c.debug_port}};
  if (c.inifile) cmd["inifile"] = *c.inifile;
  // Test ids and unsaved text may hold invalid UTF-8: replaced, never a throw.
  return cmd.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::optional<Event> decode_event(std::string_view line, std::string* error) {
  auto fail = [&](std::string why) -> std::optional<Event> {
    if (error) *error = std::move(why);
    return std::nullopt;
  };
  json e = json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
  if (!e.is_object()) return fail("not a JSON object");
  std::string kind = text(e, "event");
  if (kind == "ready")
    return Ready{integer(e, "pid", -1), integer(e, "protocol"), text(e, "pytest"), text(e, "python"),
                 number(e, "warmup"), flag(e, "prepared"), text(e, "not_prepared_because")};
  if (kind == "fatal") return Fatal{text(e, "message", "the worker failed to start")};
  if (kind == "image") return ImageStatus{text(e, "state"), text(e, "message")};
  auto batch = optional_integer(e, "batch");
  if (!batch) return fail("event '" + kind + "' without a batch");
  if (auto event = batch_event(kind, e, *batch)) return event;
  return fail("unknown event '" + kind + "'");
}

std::optional<int> batch_of(const Event& event) {
  return std::visit(
      [](const auto& e) -> std::optional<int> {
        if constexpr (requires { e.batch; }) return e.batch;
        else return std::nullopt;
      },
      event);
}

}  // namespace fastest::wire
