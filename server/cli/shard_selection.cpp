#include "server/cli/shard_selection.h"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "server/cli/format.h"
#include "server/core/node_id.h"
#include "server/execution/scheduler.h"

namespace fastest::cli {
namespace {

// What pytest is handed for a selected test (as the run's runnable ids): the dynamic container
// holding it, the function of a dynamic case (pytest expands it), else the test itself.
std::string leaf_of(const std::string& id, const std::vector<std::string>& containers,
                    const std::map<std::string, const TestItem*>& items) {
  for (const std::string& t : containers)
    if (node_id_covers(t, id)) return t;
  auto it = items.find(id);
  const TestItem* item = it == items.end() ? nullptr : it->second;
  if (item && item->dynamic && item->kind == ItemKind::Case && !item->parent_id().empty()) return std::string(item->parent_id());
  return id;
}

}  // namespace

ShardSelection select_shard(Collection& c, const std::vector<std::string>& containers, const ShardSpec& spec,
                            const std::unordered_map<std::string, double>& history) {
  std::map<std::string, const TestItem*> items;
  for (const TestItem& item : c.items) items.emplace(item.id, &item);
  // Leaves in pytest's order; every selected test belongs to one.
  std::vector<ShardLeaf> leaves;
  std::map<std::string, size_t> leaf_index;
  auto add_leaf = [&](const std::string& id) {
    auto [it, fresh] = leaf_index.try_emplace(id, leaves.size());
    if (fresh) leaves.push_back({id, module_of(id), 0});
    return it->second;
  };
  std::vector<size_t> test_leaf;
  for (const std::string& id : c.selected) {
    size_t leaf = add_leaf(leaf_of(id, containers, items));
    ++leaves[leaf].tests;
    test_leaf.push_back(leaf);
  }
  for (const std::string& t : containers) add_leaf(t);  // a container pytest alone can fill

  std::vector<double> estimates = estimate_leaves(leaves, history);
  ShardPlan plan = plan_shards(leaves, estimates, spec.count);
  const std::vector<size_t>& mine = plan.shards[spec.index - 1];
  std::vector<bool> kept(leaves.size(), false);
  for (size_t leaf : mine) kept[leaf] = true;

  ShardSelection out;
  out.total_tests = c.selected.size();
  out.estimate_s = plan.loads[spec.index - 1];
  out.total_estimate_s = plan.total();
  out.longest_shard_s = plan.makespan();
  std::vector<std::string> selected;
  for (size_t i = 0; i < c.selected.size(); ++i) {
    if (kept[test_leaf[i]]) {
      selected.push_back(std::move(c.selected[i]));
    } else {
      c.deselected_ids.push_back(std::move(c.selected[i]));
      ++c.deselected;
    }
  }
  c.selected = std::move(selected);
  out.kept_tests = c.selected.size();
  // Containers of other shards (and the containers inside them) are not handed to pytest.
  std::vector<std::string> dropped;
  for (const std::string& t : containers)
    if (!kept[leaf_index.at(t)]) dropped.push_back(t);
  auto in_dropped = [&](const std::string& id) {
    return std::any_of(dropped.begin(), dropped.end(), [&](const std::string& t) { return node_id_covers(t, id); });
  };
  std::erase_if(c.dynamic_folders, in_dropped);
  std::erase_if(c.dynamic_containers, in_dropped);
  return out;
}

std::string shard_line(const ShardSpec& spec, const ShardSelection& s) {
  std::ostringstream line;
  line << "shard " << spec.index << "/" << spec.count << ": " << s.kept_tests << " of " << s.total_tests
       << " selected tests, estimated " << format_seconds(s.estimate_s) << " (all shards "
       << format_seconds(s.total_estimate_s) << ", longest " << format_seconds(s.longest_shard_s) << ")";
  return line.str();
}

}  // namespace fastest::cli
