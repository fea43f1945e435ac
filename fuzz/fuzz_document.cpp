// The editor's incremental path: a Document (server/discovery/document.h) opened on a Python
// file, then edited as an editor would, each edit checked to leave the document's text equal
// to the same edit applied to a plain string.
//
// Input: the file's text, then optionally a NUL byte and an edit script of 5-byte records
// [op][start lo][start hi][removed][inserted] followed by `inserted` bytes of new text. A
// plain .py seed (no NUL) gets a few keystroke-like edits chosen from its hash instead:
// Enter, a deleted byte, an unclosed `(`, a typed name character.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/fuzz_util.h"
#include "server/discovery/document.h"

namespace {

struct Edit {
  uint8_t op = 0;  // 0-11: apply_edit, 12-13: replace_text, 14-15: set_rules
  uint32_t start = 0;
  uint32_t removed = 0;
  std::string inserted;
};

std::vector<Edit> parse_script(std::string_view script) {
  std::vector<Edit> edits;
  while (script.size() >= 5 && edits.size() < 32) {
    Edit e;
    e.op = static_cast<uint8_t>(script[0]) % 16;
    e.start = static_cast<uint8_t>(script[1]) | static_cast<uint32_t>(static_cast<uint8_t>(script[2])) << 8;
    e.removed = static_cast<uint8_t>(script[3]) % 64;
    size_t n = std::min<size_t>(static_cast<uint8_t>(script[4]), script.size() - 5);
    e.inserted = std::string(script.substr(5, n));
    script.remove_prefix(5 + n);
    edits.push_back(std::move(e));
  }
  return edits;
}

std::vector<Edit> keystrokes(uint64_t hash) {
  const char* typed[] = {"\n", "", "(", "x", "\n    ", ":", "\"", "def test_new():\n    pass\n"};
  std::vector<Edit> edits;
  for (int i = 0; i < 4; ++i, hash >>= 13) {
    Edit e;
    e.start = static_cast<uint32_t>(hash & 0xffff);
    e.removed = (hash >> 3) % 8 == 1 ? 1 : 0;
    e.inserted = typed[(hash >> 6) % 8];
    edits.push_back(std::move(e));
  }
  return edits;
}

fastest::CollectRules rules_variant(bool alternate) {
  fastest::CollectRules rules;
  if (alternate) {
    rules.pytest_version = {7, 4, 4};
    rules.python_functions = {"test", "check_*"};
  }
  return rules;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t nul = input.find('\0');
  std::string text(input.substr(0, nul));
  std::vector<Edit> edits = nul == std::string_view::npos ? keystrokes(fastest::fuzz::input_hash(data, size))
                                                          : parse_script(input.substr(nul + 1));
  fastest::FileCollectors collectors;
  collectors.doctest_module = !edits.empty() && edits.front().op & 1;
  collectors.import_name = "tests.test_fuzz";
  fastest::Document doc("tests/test_fuzz.py", text, fastest::CollectRules{}, collectors);
  bool alternate_rules = false;
  for (const Edit& e : edits) {
    if (e.op < 12) {
      // Offsets within the text mostly (an editor's), past it sometimes (clamped).
      uint32_t start = e.start % (static_cast<uint32_t>(text.size()) + 2);
      uint32_t end = start + e.removed;
      doc.apply_edit(start, end, e.inserted);
      start = std::min<uint32_t>(start, text.size());
      end = std::min<uint32_t>(std::max(end, start), text.size());
      text.replace(start, end - start, e.inserted);
    } else if (e.op < 14) {
      text = e.inserted + text;
      doc.replace_text(text);
    } else {
      alternate_rules = !alternate_rules;
      doc.set_rules(rules_variant(alternate_rules));
    }
    if (doc.text() != text) std::abort();  // the document lost or misplaced an edit
    for (const fastest::TestItem& item : doc.items())
      if (item.range.start.line > item.range.end.line) std::abort();
  }
  return 0;
}
