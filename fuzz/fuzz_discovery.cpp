// Discovery of one file: the input is a Python file's text. It is parsed, run through pytest's
// rules for a module (discover_module), its doctests (discover_doctests, and the file read as
// a doctest text file), its conftest analysis, merged as collect() merges a file's items, and
// printed with the `fastest discover --json` writer.
//
// The rules vary with the input's hash (pytest version, id escaping, strict markers, an empty
// importable set, the file's own fixtures as a conftest's), so the seeds stay plain .py files.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "fuzz/fuzz_util.h"
#include "server/cli/discover_json.h"
#include "server/discovery/conftest_analysis.h"
#include "server/discovery/doctest_discovery.h"
#include "server/discovery/file_items.h"
#include "server/discovery/module_discovery.h"
#include "server/discovery/syntax_tree.h"

namespace {

fastest::CollectRules rules_for(uint64_t hash, const fastest::ConftestInfo& conftest) {
  fastest::CollectRules rules;
  switch ((hash >> 2) % 4) {
    case 0: break;  // the newest pytest
    case 1: rules.pytest_version = {8, 4, 0}; break;
    case 2: rules.pytest_version = {7, 4, 4}; break;
    case 3: rules.pytest_version = {6, 2, 5}; break;
  }
  rules.disable_id_escaping = hash & (1 << 4);
  if (hash & (1 << 5)) rules.long_str_id_strategy = "legacy";
  if (hash & (1 << 6)) rules.registered_marks = std::vector<std::string>{"skip", "parametrize", "slow"};
  if (hash & (1 << 7)) rules.importable = std::make_shared<fastest::ImportableNames>(fastest::ImportableNames{{"os", "sys"}});
  if (hash & (1 << 8)) rules.conftest_fixtures = {conftest.fixtures};
  if (hash & (1 << 9)) rules.python_functions = {"test", "check_*"};
  if (hash & (1 << 10)) rules.python_classes = {"Test", "*Suite"};
  return rules;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  const uint64_t hash = fastest::fuzz::input_hash(data, size);
  static fastest::ParserPtr parser = fastest::make_python_parser();
  fastest::TreePtr tree = fastest::parse_python(parser.get(), text);
  if (!tree) return 0;

  const std::string module_id = "tests/test_fuzz.py";
  fastest::ConftestInfo conftest = fastest::analyze_conftest(tree.get(), text);
  fastest::CollectRules rules = rules_for(hash, conftest);
  fastest::ModuleResult module = fastest::discover_module(tree.get(), text, module_id, rules);
  fastest::DoctestResult doctests = fastest::discover_doctests(tree.get(), text, module_id, "tests.test_fuzz");
  fastest::DoctestResult text_doctests = fastest::discover_doctest_text(text, "tests/test_fuzz.txt");
  const bool doctest_modules = hash & 1;

  fastest::Collection c;
  c.config.rootdir = "/fuzz";
  c.items = fastest::merge_file_items(module_id, "test_fuzz.py", &module, doctest_modules ? &doctests : nullptr);
  for (fastest::TestItem& item : fastest::merge_file_items("tests/test_fuzz.txt", "test_fuzz.txt", nullptr, &text_doctests))
    c.items.push_back(std::move(item));
  for (const fastest::TestItem& item : c.items)
    if (item.kind == fastest::ItemKind::Function || item.kind == fastest::ItemKind::Case) c.selected.push_back(item.id);
  TSNode root = ts_tree_root_node(tree.get());
  if (ts_node_has_error(root)) c.collection_errors = fastest::syntax_errors(root, module_id);
  c.diagnostics = module.diagnostics;
  std::string out = fastest::cli::discover_json(c);  // never throws: invalid UTF-8 becomes U+FFFD
  if (out.empty()) std::abort();
  return 0;
}
