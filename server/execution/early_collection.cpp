#include "server/execution/early_collection.h"

#include <algorithm>
#include <iterator>

namespace fastest {

std::vector<Batch> early_collection(const std::deque<Batch>& waiting, size_t max_modules) {
  Batch later;
  for (const Batch& batch : waiting)
    if (!batch.collect_only) later.ids.insert(later.ids.end(), batch.ids.begin(), batch.ids.end());
  if (later.ids.empty()) return {};
  std::vector<Batch> collecting = cap_modules_per_batch({std::move(later)}, max_modules);
  for (Batch& batch : collecting) {
    batch.collect_only = true;
    batch.estimate_s = 0;
  }
  return collecting;
}

std::vector<Batch> with_early_collection(std::vector<Batch> planned, int workers, size_t max_modules,
                                         double worth_s) {
  const size_t starting_at_once = static_cast<size_t>(std::max(1, workers));
  if (planned.size() <= starting_at_once) return planned;
  double total_s = 0;
  size_t tests = 0;
  for (const Batch& batch : planned) {
    total_s += batch.estimate_s;
    tests += batch.ids.size();
  }
  if (total_s / static_cast<double>(starting_at_once) < worth_s) return planned;
  if (!tests_worth_collecting_early(total_s / static_cast<double>(std::max<size_t>(tests, 1)))) return planned;
  std::deque<Batch> waiting(planned.begin() + static_cast<long>(starting_at_once), planned.end());
  std::vector<Batch> out = early_collection(waiting, max_modules);
  out.insert(out.end(), std::make_move_iterator(planned.begin()), std::make_move_iterator(planned.end()));
  return out;
}

}  // namespace fastest
