// Recognises an edit that only renames one def or class, so that Document re-runs pytest's
// rules for the one module-level statement holding it instead of the whole module.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <tree_sitter/api.h>

namespace fastest {

struct RenameEdit {
  uint32_t statement_start = 0;  // the module-level statement holding the def, before the edit
  uint32_t statement_end = 0;
  uint32_t statement_row = 0;    // its first line (0-based)
  std::string entry_before;      // the name that statement binds, before and after the edit
  std::string entry_after;
};

// The edit stays inside the name of a function or class definition, the name stays a plain
// identifier, and nothing outside the module-level statement holding the def can refer to
// what changed: that statement's name is written nowhere else in the file (comments and strings
// included: a conservative test) — no subclass, alias or `TestA.test_x`; and when the
// statement itself is renamed, its new name is not bound or used elsewhere either (no
// duplicate definition, fixture request, `__test__`). Names pytest treats specially at module
// level (`pytest*`, dunders) and fixture statements (an autouse parametrized fixture touches
// every test) are refused. `tree` must match `text`.
std::optional<RenameEdit> find_rename_edit(const TSTree* tree, std::string_view text, uint32_t start_byte,
                                           uint32_t old_end_byte, std::string_view new_text);

// `word` occurs in `text` as a whole identifier outside [skip_from, skip_to).
bool identifier_occurs_outside(std::string_view text, std::string_view word, uint32_t skip_from, uint32_t skip_to);

}  // namespace fastest
