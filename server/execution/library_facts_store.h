// The library facts of one interpreter (discovery/library_facts.h), kept on disk and asked of
// the interpreter when discovery needs one it has not got.
//
// Where: `<rootdir>/.fastest_cache/library-facts/<hash of the interpreter path>.json`. Keyed by
// the settled cache's environment key (the interpreter, its installed distributions, the
// worker's files, PYTHONPATH...): an install, an upgrade or another interpreter starts afresh.
// Asking runs `fastest_worker.library_facts` once for every question noted since the last ask;
// its answers are decoded once, here, into discovery's values.
#pragma once

#include <atomic>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "server/discovery/library_facts.h"
#include "server/workspace/project.h"

namespace fastest {

class LibraryFactsStore final : public LibraryFacts {
 public:
  // The answers kept for `python` under `rootdir` (none when missing, stale or corrupt);
  // `cwd`: pytest's working directory, where the interpreter works when asked.
  LibraryFactsStore(std::filesystem::path python, std::filesystem::path rootdir, std::filesystem::path cwd);

  std::optional<StaticValue> value(const std::string& statement, const std::string& chain,
                                   const std::string& origin) const override;

  // Whether a value was looked up that was never asked.
  bool has_questions() const;
  // Asks the interpreter every question noted (one process), keeps its answers, on disk too.
  // False, with why, when the interpreter could not answer: those questions stay unknown for
  // this process's life (not stored: the next run asks again).
  // `cancel` set while it runs: the interpreter is killed, nothing is kept, false.
  bool ask(std::string* why, const std::atomic<bool>* cancel = nullptr);
  // The questions noted and not asked become unknown answers, kept (of statements already
  // answered): after the last round of a collection.
  void give_up_questions();

 private:
  struct Statement {
    std::string where;   // "builtin", "stdlib", "site", "other" (a project's source), "error"
    std::string origin;  // the top module's file (canonical)
    std::string why;     // "error": what the import raised
  };
  void merge(const nlohmann::json& answer);
  void save() const;

  std::filesystem::path python_;
  std::filesystem::path rootdir_;
  std::filesystem::path cwd_;
  std::filesystem::path file_;
  std::string key_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Statement> statements_;
  std::unordered_map<std::string, StaticValue> values_;        // "statement|chain" -> decoded
  std::unordered_map<std::string, nlohmann::json> answered_;   // as stored
  std::set<std::string> unanswerable_;                         // asked, no answer (this process)
  mutable std::map<std::string, std::set<std::string>> questions_;  // statement -> chains
};

// collect(), with the installed modules' values tests are parametrized with: what the
// interpreter has not answered yet is asked (one process per round), and the project is
// collected again. The answers are kept: the next run asks nothing. Both front ends call it.
Collection collect_with_library_facts(Invocation inv);

}  // namespace fastest
