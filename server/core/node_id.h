// pytest node ids as strings: "tests/sub/test_a.py::TestX::test_y[1-a]".
#pragma once

#include <cstddef>
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

namespace fastest {

// Where an id's last name starts: after the last "::" before its parameters (which may hold
// "::"); 0 for a path alone.
inline size_t node_id_name_start(std::string_view id) {
  const size_t bracket = id.find('[', id.find("::"));
  const size_t colons = id.rfind("::", bracket == std::string_view::npos ? std::string_view::npos : bracket);
  return colons == std::string_view::npos ? 0 : colons + 2;
}

// The id an id hangs under in pytest's tree: `f[x]` -> `f`, `C::f` -> `C`, `m.py::f` -> `m.py`,
// and a path's folder: `a/b/m.py` -> `a/b`, `a` -> "".
inline std::string_view node_id_parent(std::string_view id) {
  const size_t colons = id.find("::");
  if (colons == std::string_view::npos) {
    const size_t slash = id.rfind('/');
    return slash == std::string_view::npos ? std::string_view() : id.substr(0, slash);
  }
  const size_t bracket = id.find('[', colons);
  if (bracket != std::string_view::npos) return id.substr(0, bracket);
  return id.substr(0, node_id_name_start(id) - 2);
}

// The last name: a case's with its parameters (`f[x]`), a path's file or folder name.
inline std::string_view node_id_label(std::string_view id) {
  if (id.find("::") == std::string_view::npos) {
    const size_t slash = id.rfind('/');
    return slash == std::string_view::npos ? id : id.substr(slash + 1);
  }
  return id.substr(node_id_name_start(id));
}

// The file (or folder) an id lives in: what comes before its first "::".
inline std::string_view node_id_path(std::string_view id) { return id.substr(0, id.find("::")); }

}  // namespace fastest
