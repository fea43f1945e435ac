// Each root's collection runs on a background thread (a CollectJob), so the io thread keeps
// answering while a big workspace is walked and parsed: didChange, code lenses, shutdown.
// The root's config is resolved synchronously when the root is added (a few milliseconds),
// because opening a document needs it; the tree lands later and is published then.
#include "server/lsp/server_state.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <asio/post.hpp>
#include <spdlog/spdlog.h>

#include "server/execution/library_facts_store.h"

namespace fastest::lsp {

Invocation LspServer::State::root_invocation(const Root& root) const {
  Invocation inv;
  inv.invocation_dir = root.folder;
  inv.python = settings.python_path;
  for (const auto& [uri, d] : docs)
    if (d.dirty && d.root.get() == &root) inv.overlays.emplace_back(d.path, d.text);
  return inv;
}

void LspServer::State::resolve_root_config(Root& root) {
  Invocation inv = root_invocation(root);
  inv.config_only = true;
  root.collection = collect(inv);
}

void LspServer::State::start_collection(Root& root, std::function<void(Root&)> then) {
  if (then) root.after_collection.push_back(std::move(then));
  if (stopping) return;
  if (root.collecting) {  // one at a time: the change is seen by the next one
    root.collect_again = true;
    return;
  }
  auto job = std::make_shared<CollectJob>();
  job->root_key = root.key;
  root.collecting = job;
  collects.push_back(job);
  // The thread holds a weak reference: `collects` owns the job until it is joined, so the
  // thread never drops the last reference to the object holding its own std::thread.
  job->thread = std::thread([this, weak = std::weak_ptr<CollectJob>(job), inv = root_invocation(root)]() mutable {
    std::shared_ptr<CollectJob> self = weak.lock();
    if (!self) return;
    inv.cancel = &self->cancel;
    inv.items_by_file = true;  // apply_collection keeps them so
    try {
      self->result = collect_with_library_facts(inv);
    } catch (const std::exception& e) {
      spdlog::warn("collecting the workspace failed: {}", e.what());
    }
    self->finished = true;
    asio::post(io, [this, self] { land_collection(self); });
  });
}

namespace {

// The collection's threads freed their syntax trees and the copies of the items in malloc's
// per-thread arenas, which glibc keeps: give those pages back, so that the server holds its
// items, not the high-water mark of its last collection.
void release_freed_memory() {
#ifdef __GLIBC__
  malloc_trim(0);
#endif
}

}  // namespace

void LspServer::State::land_collection(const std::shared_ptr<CollectJob>& job) {
  if (job->thread.joinable()) job->thread.join();
  auto root = find_root(job->root_key);
  if (!root || root->collecting != job) return;  // removed, or landed already
  root->collecting.reset();
  if (job->cancel || stopping) return;  // stopped: nothing waits any more
  if (job->result) {
    apply_collection(*root, std::move(*job->result));
    job->result.reset();
    publish_root(*root);
    release_freed_memory();
  } else {  // collect() threw: the user is told, and the tree stays what it was
    writer.notify("window/showMessage",
                  {{"type", 1}, {"message", "fastest: collecting " + root->folder.string() + " failed; see the server log"}});
  }
  if (root->collect_again) {
    root->collect_again = false;
    start_collection(*root);
  }
  auto waiting = std::move(root->after_collection);
  root->after_collection.clear();
  for (auto& then : waiting) then(*root);
}

void LspServer::State::await_collections() {
  for (auto& root : roots)
    for (int round = 0; round < 2 && root->collecting; ++round) {  // a follow-up starts at most once
      std::shared_ptr<CollectJob> job = root->collecting;
      if (job->thread.joinable()) job->thread.join();
      land_collection(job);
    }
}

}  // namespace fastest::lsp
