// Error recovery as Python's structure allows it. tree-sitter's own recovery after an unclosed
// bracket (`foo(` typed into a test) often swallows every definition after it into one ERROR
// node. Python itself would resume at the next `def`/`class`/decorator at the statement's
// indentation, so we do: the file is cut at those lines (a tokenizer-aware scan: strings and
// comments hold none), each piece that does not parse on its own is repaired — a definition
// whose header parses keeps it and gets a filler body, a class keeps its intact members, the
// rest is blanked — and the repaired text (same length, same line breaks: every position is
// the original's) is parsed once more for discovery.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/core/model.h"
#include "server/discovery/collect_rules.h"
#include "server/discovery/module_discovery.h"
#include "server/discovery/syntax_tree.h"

namespace fastest {

// A definition's body replaced by filler: its lines, and where the original body really ended.
struct FilledBody {
  uint32_t first_line = 0;
  uint32_t last_line = 0;
  Point true_end;
};

struct RecoveredSource {
  std::string text;  // the source with its broken pieces filled or blanked
  TreePtr tree;      // the parse of `text`: error-free
  std::vector<FilledBody> filled;
};

// A line in [from, to) that starts a statement at exactly `indent` bytes of indentation.
struct StatementStart {
  uint32_t byte = 0;
  bool definition = false;  // `def`, `async def`, `class`, or the first decorator of a run
  // A line at `indent` inside a bracket left open above: a continuation line in a file that
  // parses, a fresh statement after an unclosed `foo(` (recovery cuts there only if what follows
  // parses).
  bool tentative = false;
};

// The statements of a block, as Python's tokenizer cuts them, except that a definition, a
// compound statement's header or an import at `indent` starts a fresh statement even where a
// bracket before it was left open (`foo(` typed into the test above). Lines inside strings never start one; nor do `else:`,
// `except ...:` and the like (they continue the statement above). `from` must be at a line
// start.
std::vector<StatementStart> statement_starts(std::string_view source, uint32_t from, uint32_t to, uint32_t indent);

// The repaired source of a file whose tree has errors; nullopt when no repair parses cleanly.
std::optional<RecoveredSource> recover_structure(TSParser* parser, std::string_view source, const TSTree* broken);

// discover_module, through recover_structure when the tree has errors: the items come from the
// repaired text (ranges mapped back to the original body ends), the diagnostics and
// has_syntax_error from the original tree, so a collection error is reported as before.
// `keywords`: `source`'s words counted beforehand (module_discovery.h), or null.
ModuleResult discover_module_recovering(TSParser* parser, const TSTree* tree, std::string_view source,
                                        std::string_view module_path, const CollectRules& rules,
                                        const SourceKeywords* keywords = nullptr);

}  // namespace fastest
