// pytest's session header for `fastest run`: the banner, rootdir, configfile, testpaths, the
// interpreter, and `collected N items / K errors / D deselected / S skipped / M selected`.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "server/workspace/project.h"

namespace fastest::cli {

struct CollectedCounts {
  size_t selected = 0;
  size_t deselected = 0;
  size_t errors = 0;           // modules that failed to collect
  size_t skipped_modules = 0;  // modules skipped at import
};

// `verbose`: pytest -v says "collecting ... collected"; `extra_lines`: what plugins add under
// it (pytest's cacheprovider: "run-last-failure: ...").
void print_session_header(const Collection& c, const CollectedCounts& counts, int verbose,
                          const std::vector<std::string>& extra_lines);

}  // namespace fastest::cli
