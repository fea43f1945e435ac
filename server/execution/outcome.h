// What happened to one test, as pytest judges it, plus the engine's own verdicts.
#pragma once

#include <optional>
#include <string>

namespace fastest {

enum class Outcome { Passed, Failed, Skipped, XFailed, XPassed, Errored, Crashed, Timeout };

const char* to_string(Outcome outcome);
std::optional<Outcome> parse_outcome(const std::string& text);
// Failed, errored, crashed, timeout (and strict xpass reported as failed by pytest).
bool is_failure(Outcome outcome);

}  // namespace fastest
