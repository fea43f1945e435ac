// The engine's plain data: what discovery produces and every other layer consumes.
// No JSON, no LSP, no I/O here (see docs/ARCHITECTURE.md).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/core/rare_text.h"

namespace fastest {

// Zero-based line and *byte* column (UTF-8), as tree-sitter reports them.
// The LSP layer converts to the client's position encoding.
struct Point {
  uint32_t line = 0;
  uint32_t column = 0;
  friend bool operator==(const Point&, const Point&) = default;
};

struct Range {
  Point start;
  Point end;
  friend bool operator==(const Range&, const Range&) = default;
};

enum class ItemKind { Folder, Module, Class, Function, Case };
const char* to_string(ItemKind kind);

// A mark as written on the test: `skip`, `xfail`, a custom name. Args are kept as
// source text for display; selection (-m) only needs the name.
struct Mark {
  std::string name;
  std::string args;  // source text between the parentheses, empty if none
  friend bool operator==(const Mark&, const Mark&) = default;
};

// One node of the test tree. Its label, parent and file path are parts of its id in every tree
// pytest makes ("pkg/test_a.py::TestX::test_y[1-a]": label "test_y[1-a]", parent
// "pkg/test_a.py::TestX", path "pkg/test_a.py"), so they are read from the id, not stored: an
// item is half its former size (issue 15: 100,000 items). A value that is not what the id
// says (a plugin's own node ids) is kept beside it.
struct TestItem {
  std::string id;         // pytest node id relative to rootdir: "pkg/test_a.py::TestX::test_y[1-a]"
  ItemKind kind = ItemKind::Function;
  bool dynamic = false;   // statically unknowable: a worker's real collection settles it
  // A dynamic module whose import may end its collection, as static analysis saw it (the typed
  // facts behind the prose of dynamic_reason; run_plan's import_suspects acts on them): an
  // error (an import not found, a mark pytest rejects, pytest.fail at import) stops a session
  // before any test; a skip (importorskip, pytest.skip at module level) is reported even then.
  bool import_may_fail = false;
  bool import_may_skip = false;
  // Kept from an earlier state of its file: an open buffer that no longer parses (the item as
  // last read while it parsed), or pytest's settled answer from before an edit that may change
  // it (kept until the module is re-settled).
  bool stale = false;
  // (The small fields first: no padding between them.)
  Range range;            // the whole definition (decorators included) or, for a case, its values
  Range name_range;       // the name after `def`/`class`; for a case, its own values
  std::vector<Mark> marks;  // own marks plus those inherited from class/module pytestmark
  RareText dynamic_reason;  // why, for the tree's tooltip and for logs (mostly empty)

  // What a tree shows: "test_y[1-a]", "TestX", "test_a.py".
  std::string_view label() const;
  // The containing item's id; empty for top-level items.
  std::string_view parent_id() const;
  // The file (or folder) path relative to rootdir, '/'-separated.
  std::string_view path() const;
  // Set after `id`: a value the id already says is not stored (set before it, it is kept as given).
  void set_label(std::string_view label);
  void set_parent_id(std::string_view parent_id);
  void set_path(std::string_view path);

  friend bool operator==(const TestItem& a, const TestItem& b);

 private:
  struct Overrides {
    std::optional<std::string> label, parent_id, path;
  };
  void set_part(std::optional<std::string> Overrides::*part, std::string_view value, std::string_view derived);
  std::shared_ptr<const Overrides> overrides_;  // shared, never changed in place: items copy cheaply
};

// A problem found while reading a file: a syntax error, a file that cannot be read.
// Discovery never fails; it returns what it could read plus these.
struct Diagnostic {
  std::string path;  // relative to rootdir
  Range range;
  std::string message;
  friend bool operator==(const Diagnostic&, const Diagnostic&) = default;
};

}  // namespace fastest
