// `fastest discover --json`'s document for a collection that was not settled by pytest (its
// collection errors are the static syntax errors). The command prints the same writer's text.
#pragma once

#include <string>

#include "server/workspace/project.h"

namespace fastest::cli {

std::string discover_json(const Collection& c);

}  // namespace fastest::cli
