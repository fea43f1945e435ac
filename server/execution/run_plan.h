// What to hand pytest: the rules `fastest run`, `fastest discover` and the language server share
// to turn a selection of tests into pytest arguments (a run) and to choose what pytest must
// collect (settling). One place, so that the editor runs and settles what the terminal does.
//
// Items are the test tree in pytest's order (parents before children). A *container* is a
// dynamic folder, module or class that holds tests only pytest can list (inherited from an
// imported base, made by a hook, chosen by a conftest): it is handed to pytest whole.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "server/core/model.h"

namespace fastest {

// The outermost of these containers (one inside another is absorbed), in the order given.
std::vector<std::string> outermost_containers(std::vector<std::string> candidates);

// What to hand pytest for the `selected` leaves: each leaf's id, except that a dynamic case's
// id (or a stale one: the editor's settled case after an edit of its module) is only a guess (a fixture or hook may parametrize it further, or rename it; pytest rejects
// an id it cannot find), so its function is handed instead and pytest expands it into the real
// cases; a leaf inside a container is replaced by the container (pytest applies -k/-m inside).
// Ids keep the place of their first item in the tree; containers with no item come last.
std::vector<std::string> runnable_ids(const std::vector<TestItem>& items, const std::vector<std::string>& selected,
                                      const std::vector<std::string>& containers);

// Modules all of whose leaves are selected: a batch holding all of one names the module
// instead of each id, which pytest collects much faster (RunRequest::whole_modules).
std::set<std::string> modules_selected_whole(const std::vector<TestItem>& items, const std::vector<std::string>& selected);

// A result's place in pytest's collection order, from what a run handed pytest (`run_ids`, in
// pytest's order): the id's own place, else its nearest container's among them (function,
// class, module, folder); the rootdir's (".") or, last, after all.
class RunOrder {
 public:
  explicit RunOrder(const std::vector<std::string>& run_ids);
  size_t rank(const std::string& id) const;

 private:
  std::map<std::string, size_t> place_;
};

// Modules pytest may fail to import (`failing_paths`: those static analysis knows cannot be
// parsed; dynamic modules whose import may fail: an import not found, a mark pytest rejects):
// one failing stops pytest's session before any test, so they are collected first — with the
// modules whose import may skip them, which pytest reports even when it then stops. In pytest's
// collection order; paths not in the tree last. Empty when no module may fail.
std::vector<std::string> import_suspects(const std::vector<TestItem>& items, const std::vector<std::string>& failing_paths);

// What pytest must collect to settle `items`: appended to `targets`, each dynamic module, class
// or function not already under a target (parents come first, so the outermost is taken).
void add_settle_targets(const std::vector<TestItem>& items, std::vector<std::string>& targets);

}  // namespace fastest
