// `fastest discover --json`'s document for a collection that was not settled by pytest (its
// collection errors are the static syntax errors). The command prints the same writer's text.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "server/cli/settle_answer.h"
#include "server/workspace/project.h"

namespace fastest::cli {

std::string discover_json(const Collection& c);

// The same document written to `out` as it is made (what `fastest discover --json` prints).
void write_json(std::ostream& out, const Collection& c, const std::vector<CollectionError>& collection_errors);

}  // namespace fastest::cli
