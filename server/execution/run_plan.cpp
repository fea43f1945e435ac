#include "server/execution/run_plan.h"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_set>

#include "server/core/node_id.h"

namespace fastest {

std::vector<std::string> outermost_containers(std::vector<std::string> candidates) {
  // Outer ones first, so that a folder listed after one inside it still absorbs it.
  std::stable_sort(candidates.begin(), candidates.end(),
                   [](const std::string& a, const std::string& b) { return a.size() < b.size(); });
  std::vector<std::string> containers;
  for (const std::string& id : candidates)
    if (std::none_of(containers.begin(), containers.end(), [&](const std::string& t) { return node_id_covers(t, id); }))
      containers.push_back(id);
  return containers;
}

std::vector<std::string> runnable_ids(const std::vector<TestItem>& items, const std::vector<std::string>& selected,
                                      const std::vector<std::string>& containers) {
  std::map<std::string, size_t> position;  // in pytest's order
  for (size_t i = 0; i < items.size(); ++i) position.emplace(items[i].id, i);
  auto container_of = [&](const std::string& id) -> const std::string* {
    for (const std::string& t : containers)
      if (node_id_covers(t, id)) return &t;
    return nullptr;
  };

  // Each id at the place of its first item in the tree (a container at its first item's).
  std::vector<std::pair<size_t, std::string>> placed;
  std::set<std::string> seen;
  for (size_t i = 0; i < items.size() && !containers.empty(); ++i)
    if (const std::string* t = container_of(items[i].id); t && seen.insert(*t).second)
      placed.emplace_back(i, t->empty() ? "." : *t);
  for (const std::string& t : containers)
    if (seen.insert(t).second) placed.emplace_back(items.size(), t.empty() ? "." : t);
  for (const std::string& id : selected) {
    if (container_of(id)) continue;
    auto it = position.find(id);
    const TestItem* item = it == position.end() ? nullptr : &items[it->second];
    std::string run_id = item && (item->dynamic || item->stale) && item->kind == ItemKind::Case && !item->parent_id().empty()
                             ? std::string(item->parent_id()) : id;
    auto pos = position.find(run_id);
    if (seen.insert(run_id).second) placed.emplace_back(pos == position.end() ? items.size() : pos->second, run_id);
  }
  if (!containers.empty())
    std::stable_sort(placed.begin(), placed.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> out;
  out.reserve(placed.size());
  for (auto& [_, id] : placed) out.push_back(std::move(id));
  return out;
}

std::set<std::string> modules_selected_whole(const std::vector<TestItem>& items, const std::vector<std::string>& selected) {
  std::map<std::string, size_t> selected_per_module, all_per_module;
  for (const std::string& id : selected) selected_per_module[id.substr(0, id.find("::"))]++;
  std::set<std::string> with_cases;
  for (const TestItem& item : items)
    if (item.kind == ItemKind::Case) with_cases.insert(std::string(item.parent_id()));
  for (const TestItem& item : items)
    if (item.kind == ItemKind::Case || (item.kind == ItemKind::Function && !with_cases.count(item.id)))
      all_per_module[std::string(item.path())]++;
  std::set<std::string> whole;
  for (auto& [module, n] : selected_per_module)
    if (all_per_module[module] == n) whole.insert(module);
  return whole;
}

void add_settle_targets(const std::vector<TestItem>& items, std::vector<std::string>& targets) {
  // The targets given (folders, say) are scanned; those added here are known by `covered`:
  // items come parent first, so a child of a covered item is covered. Linear in the items.
  const size_t given = targets.size();
  auto under_a_target = [&](const std::string& id) {
    return std::any_of(targets.begin(), targets.begin() + given, [&](const std::string& t) { return node_id_covers(t, id); });
  };
  std::unordered_set<std::string_view> covered;
  for (const TestItem& item : items) {
    if (covered.count(item.parent_id())) {
      covered.insert(item.id);
      continue;
    }
    if (!item.dynamic || !(item.kind == ItemKind::Module || item.kind == ItemKind::Class || item.kind == ItemKind::Function))
      continue;
    if (under_a_target(item.id)) continue;
    targets.push_back(item.id);
    covered.insert(item.id);
  }
}

RunOrder::RunOrder(const std::vector<std::string>& run_ids) {
  for (size_t i = 0; i < run_ids.size(); ++i) place_.emplace(run_ids[i], i);
}

size_t RunOrder::rank(const std::string& id) const {
  std::string prefix = id;
  while (!prefix.empty()) {
    if (auto it = place_.find(prefix); it != place_.end()) return it->second;
    size_t cut = 0;
    for (size_t at : {prefix.rfind('['), prefix.rfind("::"), prefix.rfind('/')})
      if (at != std::string::npos) cut = std::max(cut, at);
    if (cut == 0) break;
    prefix.resize(cut);
  }
  auto root = place_.find(".");
  return root != place_.end() ? root->second : place_.size();
}

std::vector<std::string> import_suspects(const std::vector<TestItem>& items, const std::vector<std::string>& failing_paths) {
  std::set<std::string> failing(failing_paths.begin(), failing_paths.end());
  for (const TestItem& item : items)
    if (item.kind == ItemKind::Module && item.dynamic && item.import_may_fail) failing.insert(item.id);
  std::vector<std::string> suspects;
  if (failing.empty()) return suspects;
  for (const TestItem& item : items)
    if (item.kind == ItemKind::Module && (failing.erase(item.id) || (item.dynamic && item.import_may_skip)))
      suspects.push_back(item.id);
  suspects.insert(suspects.end(), failing.begin(), failing.end());  // not in the tree: last
  return suspects;
}

}  // namespace fastest
