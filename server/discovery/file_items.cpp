#include "server/discovery/file_items.h"

#include <iterator>

namespace fastest {

std::vector<TestItem> merge_file_items(std::string_view module_id, std::string_view file_name,
                                       const ModuleResult* python, const DoctestResult* doctests) {
  std::vector<TestItem> items;
  const bool has_python = python && !python->items.empty();
  if (has_python) {
    items.push_back(python->items.front());
  } else {
    TestItem module;
    module.id = std::string(module_id);
    module.set_label(std::string(file_name));
    module.kind = ItemKind::Module;
    module.set_path(std::string(module_id));
    items.push_back(module);
  }
  if (doctests) {
    items.insert(items.end(), doctests->items.begin(), doctests->items.end());
    if (doctests->dynamic) {
      TestItem& module = items.front();
      module.dynamic_reason += (module.dynamic ? "; " : "") + doctests->dynamic_reason;
      module.dynamic = true;
    }
  }
  if (has_python) items.insert(items.end(), python->items.begin() + 1, python->items.end());
  return items;
}

std::vector<TestItem> take_file_items(std::string_view module_id, std::string_view file_name,
                                      ModuleResult* python, DoctestResult* doctests) {
  std::vector<TestItem> items;
  const bool has_python = python && !python->items.empty();
  items.reserve(1 + (has_python ? python->items.size() : 0) + (doctests ? doctests->items.size() : 0));
  if (has_python) {
    items.push_back(std::move(python->items.front()));
  } else {
    TestItem module;
    module.id = std::string(module_id);
    module.set_label(std::string(file_name));
    module.kind = ItemKind::Module;
    module.set_path(std::string(module_id));
    items.push_back(std::move(module));
  }
  if (doctests) {
    std::move(doctests->items.begin(), doctests->items.end(), std::back_inserter(items));
    doctests->items = {};
    if (doctests->dynamic) {
      TestItem& module = items.front();
      module.dynamic_reason += (module.dynamic ? "; " : "") + doctests->dynamic_reason;
      module.dynamic = true;
    }
  }
  if (has_python) {
    std::move(python->items.begin() + 1, python->items.end(), std::back_inserter(items));
    python->items = {};
  }
  return items;
}

}  // namespace fastest
