#include "server/execution/early_collection.h"

#include <algorithm>
#include <iterator>

namespace fastest {

std::vector<Batch> with_early_collection(std::vector<Batch> planned, int workers, size_t max_modules,
                                         double worth_s) {
  const size_t starting_at_once = static_cast<size_t>(std::max(1, workers));
  if (planned.size() <= starting_at_once) return planned;
  double total_s = 0;
  for (const Batch& batch : planned) total_s += batch.estimate_s;
  if (total_s / static_cast<double>(starting_at_once) < worth_s) return planned;
  Batch later;
  for (size_t i = starting_at_once; i < planned.size(); ++i)
    later.ids.insert(later.ids.end(), planned[i].ids.begin(), planned[i].ids.end());
  std::vector<Batch> collecting = cap_modules_per_batch({std::move(later)}, max_modules);
  for (Batch& batch : collecting) {
    batch.collect_only = true;
    batch.estimate_s = 0;
  }
  collecting.insert(collecting.end(), std::make_move_iterator(planned.begin()), std::make_move_iterator(planned.end()));
  return collecting;
}

}  // namespace fastest
