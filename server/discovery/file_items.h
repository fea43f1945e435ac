// The items of one file as pytest lists them, from the collectors pytest_collect_file gives it:
// the Module item, the doctest collector's items (the doctest plugin answers first), then the
// python Module's classes, functions and cases. Shared by collect() and the editor's Document.
#pragma once

#include <string_view>
#include <vector>

#include "server/core/model.h"
#include "server/discovery/doctest_discovery.h"
#include "server/discovery/module_discovery.h"

namespace fastest {

// `python` and `doctests` are null when the file has no such collector. A file that only has
// doctests gets a Module item of its own; dynamic doctests make the Module dynamic (a real
// collection of the whole file then replaces its items).
std::vector<TestItem> merge_file_items(std::string_view module_id, std::string_view file_name,
                                       const ModuleResult* python, const DoctestResult* doctests);
// The same, moving the items out of `python` and `doctests` (left empty): for a caller that
// keeps the file's items only once (collect()).
std::vector<TestItem> take_file_items(std::string_view module_id, std::string_view file_name,
                                      ModuleResult* python, DoctestResult* doctests);

}  // namespace fastest
