#include "server/execution/outcome.h"

namespace fastest {

const char* to_string(Outcome outcome) {
  switch (outcome) {
    case Outcome::Passed: return "passed";
    case Outcome::Failed: return "failed";
    case Outcome::Skipped: return "skipped";
    case Outcome::XFailed: return "xfailed";
    case Outcome::XPassed: return "xpassed";
    case Outcome::Errored: return "errored";
    case Outcome::Crashed: return "crashed";
    case Outcome::Timeout: return "timeout";
  }
  return "errored";
}

std::optional<Outcome> parse_outcome(const std::string& text) {
  for (Outcome o : {Outcome::Passed, Outcome::Failed, Outcome::Skipped, Outcome::XFailed, Outcome::XPassed,
                    Outcome::Errored, Outcome::Crashed, Outcome::Timeout})
    if (text == to_string(o)) return o;
  return std::nullopt;
}

bool is_failure(Outcome outcome) {
  return outcome == Outcome::Failed || outcome == Outcome::Errored || outcome == Outcome::Crashed ||
         outcome == Outcome::Timeout;
}

}  // namespace fastest
