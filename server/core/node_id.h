// pytest node ids as strings: "tests/sub/test_a.py::TestX::test_y[1-a]".
#pragma once

#include <string_view>

namespace fastest {

// Whether `id` is `container` or under it: a folder's files ('/'), a module's or class's members
// ("::"), a function's cases ('['). "" and "." are the rootdir, which holds everything.
inline bool node_id_covers(std::string_view container, std::string_view id) {
  if (container.empty() || container == "." || id == container) return true;
  if (id.size() <= container.size() || id.compare(0, container.size(), container) != 0) return false;
  char next = id[container.size()];
  return next == '[' || next == ':' || next == '/';
}

}  // namespace fastest
