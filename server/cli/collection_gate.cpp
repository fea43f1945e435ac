#include "server/cli/collection_gate.h"

#include <algorithm>
#include <utility>

#include "server/execution/scheduler.h"

namespace fastest::cli {

OnCollectionError on_collection_error(bool option_given, bool in_pytest_options) {
  return option_given || in_pytest_options ? OnCollectionError::ContinueSession : OnCollectionError::StopSession;
}

CollectionGate::CollectionGate(OnCollectionError rule, const std::vector<std::string>& run_ids)
    : rule_(rule), state_(State::Holding) {
  for (const std::string& id : run_ids) pending_.insert(module_of(id));
  if (pending_.empty()) state_ = State::Open;
}

void CollectionGate::show(std::function<void()> write) {
  switch (state_) {
    case State::Open: write(); break;
    case State::Holding: held_.push_back(std::move(write)); break;
    case State::Failed: break;
  }
}

void CollectionGate::batch_collected(const std::vector<std::string>& batch_ids) {
  if (state_ != State::Holding) return;
  for (const std::string& id : batch_ids) pending_.erase(module_of(id));
  if (pending_.empty()) open();
}

void CollectionGate::collection_failed() {
  if (state_ == State::Open || rule_ == OnCollectionError::ContinueSession) return;
  state_ = State::Failed;
  held_.clear();
}

void CollectionGate::release() {
  if (state_ == State::Holding) open();
}

void CollectionGate::open() {
  state_ = State::Open;
  std::vector<std::function<void()>> held = std::move(held_);
  held_.clear();
  for (auto& write : held) write();
}

}  // namespace fastest::cli
