// What `fastest discover` prints as pytest's `--collect-only -q` listing (ids, collection
// errors and skips, warnings, the closing line, the exit code), as one value: computed from a
// collection and pytest's settled answer, or read back whole from the listing cache
// (listing_cache.h). Printing it is the only step that depends on the moment (the closing
// line's seconds) and on the terminal (colour).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/cli/settle_answer.h"

namespace fastest::cli {

struct Listing {
  std::vector<std::string> fastest_warnings;  // "fastest: warning: ..." lines on stderr
  std::vector<std::string> usage_errors;      // pytest would stop before listing: exit 4
  int verbosity = -1;                         // -1 ids, -2 and below counts per file
  std::vector<std::string> selected;
  size_t deselected = 0;
  std::vector<CollectionError> errors;
  std::vector<CollectionSkip> skips;
  std::vector<std::pair<std::string, std::string>> warnings;  // pytest's warnings summary
  std::string internal_error;                 // pytest's INTERNALERROR lines: exit 3
  std::vector<std::string> late_usage_errors;  // raised after collecting: exit 4 after the listing
  std::vector<std::string> dynamic_notes;     // --no-settle: "<id> is dynamic (<why>)"
  std::string reportchars = "fE";
  std::string color = "auto";
  bool continue_on_errors = false;
  // Dynamic items pytest could not settle: the listing holds their static form (never cached).
  std::string settle_failure;
  size_t unsettled = 0;
  bool pytest_missing = false;
};

// Prints the listing as pytest would, `seconds` in its closing line; returns the exit code.
int print_listing(const Listing& listing, double seconds);

// All but the selected ids (100,000 of them as JSON strings were 11 MB): the listing cache
// writes those as lines after it.
nlohmann::json to_json(const Listing& listing);
std::optional<Listing> listing_from_json(const nlohmann::json& j);

}  // namespace fastest::cli
