// The language server's state and its handlers, shared by the files of server/lsp (internal).
// One State per process. Handlers run on the io_context's thread, which alone owns State and
// every Root. A background job (a run, a settle) owns a RootSnapshot of what it needs, writes
// notifications (the Writer is thread-safe) and posts results back to the io thread keyed by
// root (dropped when the root is gone). Every job is owned here, cancelled and joined by
// shutdown_everything. docs/ARCHITECTURE.md lists the threads.
//
//   lsp_server.cpp   lifecycle and the method table (which handler answers which message)
//   documents.cpp    didOpen/didChange/didClose: Documents kept incrementally, what to publish
//   indexing.cpp     workspace collection, file events, settling dynamic tests in a worker
//   publishing.cpp   fastest/discoveredTests, fastest/testsMoved, diagnostics (JSON out)
//   runs.cpp         fastest/runTests: engines, run threads, results, failure diagnostics
//   commands.cpp     workspace/executeCommand and code lenses
//   rerun_failed.cpp pytest's lastfailed: runs record it, fastest.rerunFailed runs it
//   continuous.cpp   armed (continuous) runs: a save re-runs the tests its import graph reaches
#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include "protocol/jsonrpc.h"
#include "server/discovery/document.h"
#include "server/execution/engine.h"
#include "server/execution/settled_cache.h"
#include "server/lsp/lsp_server.h"
#include "server/lsp/positions.h"
#include "server/lsp/settings.h"
#include "server/workspace/import_graph.h"
#include "server/workspace/project.h"

namespace fastest::lsp {

namespace fs = std::filesystem;
using protocol::json;

// The file's bytes, or "" when it cannot be read.
std::string read_file(const fs::path& path);

// Where pytest keeps this root's cache (the `cache_dir` ini option), or nullopt when the ini's
// addopts or the client's extra args say `-p no:cacheprovider` (rerun_failed.cpp).
std::optional<fs::path> pytest_cache_dir(const ProjectConfig& config, const std::vector<std::string>& extra_args);

// How an edit moved the lines below it: every position on a line after `after_line` moves by
// `line_delta` lines (its column stays: that line's text did not change).
struct LineShift {
  uint32_t after_line = 0;
  int32_t line_delta = 0;
};

// What fastest/testsMoved carries besides the shift (see incremental_update).
struct ItemUpdate {
  std::vector<size_t> items;         // indexes of the new list, sent whole
  std::vector<std::string> removed;  // ids the client drops
};

// A root's warm engine, shared by the Root and by every job that uses it, so a job outlives
// the removal of its root. `mutex_` alone guards the engine, its key and `closed_`, and is held
// only briefly (a cancel from the io thread never waits for a run); `job_mutex` makes the
// root's jobs (runs, settles) take turns on the engine, and is held for a whole job.
class EngineSlot {
 public:
  // The warm engine for these options: the running one when `key` matches, else a new one
  // (started outside the lock). Null, with `error`, when it cannot start or the slot is closed.
  std::shared_ptr<ExecutionEngine> acquire(const EngineOptions& options, const std::string& key, std::string* error);
  void cancel();  // stops the engine's current run, or the start of the one acquire() starts; any thread
  // Cancels, and refuses engines from now on (root removed, server stopping); the engine dies
  // with its last user.
  void close();

  std::mutex job_mutex;

 private:
  std::mutex mutex_;
  std::shared_ptr<ExecutionEngine> engine_;
  std::shared_ptr<ExecutionEngine> starting_;  // being started by acquire(): cancel() reaches it too
  std::string key_;
  bool closed_ = false;
};

// A root's collection on a background thread (collection_jobs.cpp): a whole walk and parse of
// a big workspace (or of `/`) never makes the server deaf. Owned by State::collects (joined
// there); the job writes `result` and `finished`, then posts to the io thread, which applies it.
struct CollectJob {
  uint64_t root_key = 0;
  std::thread thread;
  std::atomic<bool> cancel{false};    // set by the io thread: root removed, server stopping
  std::atomic<bool> finished{false};  // the thread is done with `result`
  std::optional<Collection> result;   // null when collect() threw
};

// One workspace folder: its collection, its test tree by file, its warm engine. Owned by the
// io thread: jobs never read it (they get a RootSnapshot).
struct Root {
  uint64_t key = 0;                                         // stable: what jobs' posts name it by
  fs::path folder;
  Collection collection;                                    // the last full collection
  std::map<std::string, std::vector<TestItem>> file_items;  // module id -> its items
  std::vector<TestItem> folders;
  size_t test_count = 0;                                    // runnable tests at the last collection
  std::shared_ptr<EngineSlot> engines = std::make_shared<EngineSlot>();

  // Collecting (collection_jobs.cpp). The config is resolved when the root is added (cheap);
  // the tree arrives from a background collection, one at a time per root.
  std::shared_ptr<CollectJob> collecting;                    // the collection in flight, if any
  bool collect_again = false;                                // a change came while it ran
  bool collected_once = false;                               // a whole collection has landed
  std::vector<std::function<void(Root&)>> after_collection;  // what waits for the next landing

  // Settling (indexing.cpp). pytest's ids for dynamic items outlive re-discovery: each time a
  // module's static items are replaced, its settled items whose dynamic parent still exists are
  // merged back (merge_settled), stale until the module is re-settled.
  std::map<std::string, std::vector<TestItem>> settled;  // module id -> the items pytest added
  std::map<std::string, size_t> settled_tail;            // module id -> how many of file_items' last items are settled ones
  std::map<std::string, uint64_t> module_versions;       // bumped by every change that may alter a module's settled items
  std::set<std::string> resettle_pending;                // modules waiting for the debounce
  std::unique_ptr<asio::steady_timer> resettle_timer;    // the debounce (io thread)
  int settles_in_flight = 0;
  bool settling = false;                                 // fastest/settleState said "settling" last

  // Continuous runs (continuous.cpp): the static import graph, built on a GraphJob when a run is
  // armed; the changes that came meanwhile wait for it.
  std::unique_ptr<ImportGraph> imports;
  bool imports_building = false;
  std::vector<fs::path> changes_awaiting_imports;

  // The collection's module finder reading the open buffers (documents.cpp: rules_for); made
  // on first use after each collection, used on the io thread only.
  std::shared_ptr<ModuleLookup> live_modules;

  fs::path rootdir() const { return collection.config.rootdir; }
};

// What a job needs of its root, copied on the io thread when the job starts.
struct RootSnapshot {
  uint64_t root_key = 0;
  fs::path rootdir;
  std::shared_ptr<EngineSlot> engines;
  EngineOptions options;  // options.python empty: no interpreter found
  std::string engine_key;
  std::optional<fs::path> pytest_cache;  // pytest's cache folder; nullopt: -p no:cacheprovider
};

struct OpenDoc {
  std::string uri;
  fs::path path;
  std::string text;
  std::shared_ptr<Root> root;     // null: outside every workspace folder
  std::string module_id;
  std::unique_ptr<Document> doc;  // only for files pytest collects
  bool dirty = false;             // differs from the file on disk
};

struct RunInfo {
  std::string id;
  std::thread thread;
  std::shared_ptr<EngineSlot> engines;  // the slot of the root it runs now (runs_mutex)
  std::atomic<bool> finished{false};
  std::atomic<bool> cancelled{false};
};

// A settle job: owned so that shutdown can join it.
// Continuous runs' import graph of a root, read on its own thread (a big project's files take
// seconds to parse) and handed to the io thread whole.
struct GraphJob {
  uint64_t root_key = 0;
  std::thread thread;
  std::atomic<bool> cancel{false};
  std::atomic<bool> finished{false};
};

struct SettleJob {
  std::thread thread;
  std::atomic<bool> finished{false};
};

struct LspServer::State {
  protocol::Writer writer;
  protocol::Dispatcher dispatcher;
  asio::io_context io;
  int in_fd;

  // Lifecycle and what the client said it can do.
  bool initialized = false;
  bool shutdown_requested = false;
  bool exit_requested = false;
  Encoding encoding = Encoding::Utf16;
  bool client_progress = false;
  bool watch_registration = false;
  bool client_applies_moves = false;  // the client handles fastest/testsMoved (opted in)
  bool client_takes_tree_chunks = false;  // a root's tree may come in several messages (opted in)
  bool client_has_test_explorer = false;  // experimental.fastestTestExplorer: no code lenses
  Settings settings;

  std::vector<std::shared_ptr<Root>> roots;
  uint64_t next_root_key = 1;
  bool stopping = false;  // shutdown_everything ran: no new job starts
  std::map<std::string, OpenDoc> docs;                                     // by uri
  // uri -> "<root key>:<test id>" (two roots may hold the same id) -> diagnostic
  std::map<std::string, std::map<std::string, json>> failure_diagnostics;
  std::map<std::string, std::vector<json>> syntax_diagnostics;             // uri -> diags
  std::map<std::string, json> collection_diagnostics;                      // uri -> pytest's collection error
  std::mutex runs_mutex;
  std::map<std::string, std::unique_ptr<RunInfo>> runs;
  std::atomic<int> next_run{1};
  std::vector<std::unique_ptr<SettleJob>> settles;  // io thread only
  std::vector<std::shared_ptr<CollectJob>> collects;  // io thread only
  size_t index_pending = 0;                           // roots whose first collection has not landed
  size_t index_tests = 0;

  State(int in, int out) : writer(out), dispatcher(writer), in_fd(in) {}

  // lsp_server.cpp
  void register_handlers();

  // documents.cpp
  std::shared_ptr<Root> root_for(const fs::path& path);
  std::shared_ptr<Root> find_root(uint64_t key);  // null once the root was removed
  // Gives an open document its root (the innermost containing it), module id and Document.
  void attach_document(OpenDoc& d);
  std::string text_of(const fs::path& path);  // an open buffer's text, else the file's
  // The collectors pytest gives a .py file of this root (nullopt: none, or not Python).
  std::optional<FileCollectors> collectors_for(Root& root, const fs::path& path, const std::string& text);
  void open_document(const std::string& uri, std::string text);
  void change_document(const json& params);
  void save_document(const std::string& uri);
  void close_document(const std::string& uri);
  // The rules a module of this root is read by: the collection's, with test classes' bases read
  // from the open buffers as they are now (Root::live_modules).
  CollectRules rules_for(Root& root, const fs::path& path);
  // `changed` (a buffer edited, opened or closed, or the file on disk) is read for the bases of
  // some modules' test classes: those modules, open or not, are discovered again.
  void rediscover_dependents(Root& root, const fs::path& changed);
  // A module that is not open, discovered again from its file and published.
  void rediscover_from_disk(Root& root, const std::string& module_id, const fs::path& path, bool was_dirty);
  // didChangeWorkspaceFolders: removed roots' jobs are cancelled and their open documents
  // re-homed to another root containing them, or left rootless.
  void change_workspace_folders(const json& params);
  std::shared_ptr<Root> add_root(const fs::path& folder);
  void after_document_change(OpenDoc& d, bool items_changed, bool diagnostics_changed, std::optional<LineShift> shift);
  // The client's copy of a file's items made equal to `after` by shifting every item below the
  // edit, dropping `removed` and taking `items` (indexes into `after`) whole: new items,
  // changed ones, and those the shift does not place right. nullopt when that is no cheaper
  // than the whole list (or the kept items changed order).
  static std::optional<ItemUpdate> incremental_update(const std::vector<TestItem>& before,
                                                      const std::vector<TestItem>& after, LineShift shift);

  // indexing.cpp
  void index_workspace();
  // A whole collection's result becomes the root's tree (open documents keep theirs, settled
  // items are merged back); the caller publishes.
  void apply_collection(Root& root, Collection collection);
  std::vector<TestItem> module_items(const OpenDoc& d);
  void watched_files_changed(const json& params);
  // Static answers first; then a real collection in the root's (now warm) worker settles
  // what discovery flagged dynamic, and the tree is published again, equal to pytest's.
  void settle_in_background(Root& root);
  // A collect-only batch in the warm worker for these modules' dynamic items, with the open
  // buffers' text; its answer replaces their settled items unless a newer change superseded it.
  void settle_modules(Root& root, const std::set<std::string>& modules);
  void settle_job(const RootSnapshot& root, const std::map<std::string, std::vector<std::string>>& targets,
                  std::map<std::string, std::string> overlays, std::map<std::string, uint64_t> versions);  // a job's thread
  void store_settled(SettledCache& cache, const RootSnapshot& root,
                     const std::map<std::string, std::vector<std::string>>& modules,
                     const std::map<std::string, SettledKey>& keys, const std::vector<std::string>& ids,
                     const std::map<std::string, std::string>& errors, const std::vector<std::string>& imported,
                     fs::file_time_type started);  // a job's thread
  void finish_settle(uint64_t root_key, const std::map<std::string, uint64_t>& versions, const std::vector<std::string>& real,
                     const std::map<std::string, std::string>& errors, bool answered);
  // After a change that may alter these modules' settled items: mark them stale (true when
  // that changed what is published) and re-settle them once the edits pause.
  bool mark_stale(Root& root, const std::string& module_id);
  void schedule_resettle(Root& root, const std::set<std::string>& modules);
  // A module's fresh static items plus its settled items whose dynamic parent still exists
  // (appended; the caller stores `items` as the module's file_items).
  void merge_settled(Root& root, const std::string& module_id, std::vector<TestItem>& items);
  void publish_settle_state(Root& root, const char* state, size_t modules);
  // Whether a watched-file event for this path can change what pytest collects (editor lock
  // and backup files cannot).
  bool can_change_collection(Root& root, const fs::path& path);
  void rehome_documents();
  void apply_settled(Root& root, const std::string& module_id, const std::vector<std::string>& real);
  RootSnapshot snapshot(const Root& root, const Settings& s) const;

  // collection_jobs.cpp
  // The root's config, resolved now (rootdir, ini, rules: what opening a document needs).
  void resolve_root_config(Root& root);
  // Collects the root on a background thread; `then` runs on the io thread once it landed and
  // the tree was published. A collection already running is followed by one more.
  void start_collection(Root& root, std::function<void(Root&)> then = {});
  void land_collection(const std::shared_ptr<CollectJob>& job);  // io thread
  // What needs the whole tree (a run's ids, fastest/discoverTests) waits for collections in
  // flight: the io thread blocks until they land (the old, synchronous behaviour, only then).
  void await_collections();
  Invocation root_invocation(const Root& root) const;

  // publishing.cpp
  json lsp_range(const Range& r, const LineIndex& index) const;
  json point_json(uint32_t line, uint32_t character) const;
  // Built field by field (no initializer lists: they deep-copy), the file's URI computed once.
  json item_json(const TestItem& item, const std::string& item_uri, const LineIndex* index) const;
  json item_json(const TestItem& item, const Root& root, const LineIndex* index) const;
  json file_items_json(const Root& root, const std::string& module_id);
  void publish_file(Root& root, const std::string& module_id);
  // fastest/testsMoved: a few bytes instead of the file's whole item list on every keystroke
  // that only moves tests (typing Enter in a test body moves every test below it).
  void publish_moves(const OpenDoc& d, LineShift shift, const ItemUpdate& update);
  // The whole tree, serialised item by item (in chunks of kTreeChunkItems for a client that
  // opted in): the whole tree never exists as one JSON document in memory.
  static constexpr size_t kTreeChunkItems = 2000;
  void publish_root(Root& root);
  void publish_syntax_diagnostics_for_root(Root& root);
  void publish_diagnostics(const std::string& uri);
  // A module pytest could not collect (an import error, say), seen by a settle or a run: a
  // diagnostic at the line of the module its traceback points to. Cleared when it collects.
  void record_collection_error(const Root& root, const std::string& module_id, const std::string& longrepr);
  void clear_collection_error(const Root& root, const std::string& module_id);

  // runs.cpp
  struct Target {
    RootSnapshot root;
    std::string root_uri;          // the workspace folder: notifications name it
    std::vector<std::string> ids;  // leaves to run (what the client is told is enqueued)
    std::vector<std::string> run_ids;  // what pytest is handed for them (plan_target)
    std::set<std::string> whole_modules;
    std::vector<std::string> first;  // dispatched before the rest (a continuous run's last failures)
  };
  // A test the client names: pytest's node id, in the one root the client said (`rootUri`, or
  // an item's `uri`), else in every root that has it (a bare id: enough with one root).
  struct TestRef {
    std::string id;
    std::optional<uint64_t> root_key;
  };
  TestRef test_ref(const json& entry);
  void plan_target(const Root& root, const std::vector<TestRef>& include, const std::vector<TestRef>& exclude, Target& t);  // a string, or {id, rootUri} / {id, uri}
  static std::string root_uri(const Root& root);
  class RunReporter;  // streams one run's results to the client
  std::vector<std::string> leaves_under(Root& root, const std::string& id);
  std::vector<Target> resolve_targets(const std::vector<TestRef>& include, const std::vector<TestRef>& exclude);
  // `continuous_id`: the armed run this run is a cycle of (announced by fastest/runStarted).
  json start_run(const std::vector<TestRef>& include, const std::vector<TestRef>& exclude, RunKind kind,
                 const std::string& continuous_id = "");
  void execute_run(RunInfo& info, std::vector<Target> targets, std::map<std::string, std::string> overlays,
                   RunKind kind, int debug_port, Settings s, bool progress);
  void record_failure_diagnostic(const TestResult& r, uint64_t root_key);
  // The root's warm engine for a job (runs on the job's thread; the caller holds job_mutex).
  static std::shared_ptr<ExecutionEngine> engine_for(const RootSnapshot& root, std::string* error);
  void cancel_run(const std::string& run_id);
  void reap_finished_runs();  // joins finished runs and settle jobs
  // Cancels every job, joins its thread, stops every engine (kills and reaps the workers).
  void shutdown_everything();

  // rerun_failed.cpp
  // A run's results into pytest's `lastfailed` (and `nodeids`), as `fastest run` records them.
  static void record_in_pytest_cache(const RootSnapshot& root, const std::vector<TestResult>& results,
                                     const std::vector<std::string>& collection_errors);
  // fastest.rerunFailed ({} or {rootUri}): the tests `lastfailed` lists, as `pytest --lf` runs them.
  json rerun_failed(const json& arg);

  // continuous.cpp
  // An armed run: what the client selected; each save (or, with on_type, each pause in typing)
  // runs the selected tests whose import closure reaches the changed files, failures first.
  struct ContinuousRun {
    std::vector<TestRef> include, exclude;
    bool on_type = false;
    std::string current_run;  // the cycle in flight, cancelled with the armed run
  };
  std::map<std::string, ContinuousRun> continuous_runs;  // "watch-N" -> armed run
  // indexing.cpp: settle jobs' failures, shown once per distinct reason (any thread).
  std::mutex settle_failure_mutex;
  std::string last_settle_failure;
  void report_settle_failure(const std::string& error, size_t modules);
  std::set<fs::path> typed_files;                        // on_type: buffers changed since the last cycle
  std::unique_ptr<asio::steady_timer> typing_timer;      // the pause-in-typing debounce
  json arm_continuous(const std::vector<TestRef>& include, const std::vector<TestRef>& exclude, bool on_type);
  bool disarm_continuous(const std::string& id);  // false: not an armed run's id
  // Files saved or changed on disk (`saved`), or buffers edited (on_type runs only).
  void continuous_files_changed(const std::vector<fs::path>& files, bool saved);
  void buffer_typed(const fs::path& file);
  std::vector<std::unique_ptr<GraphJob>> graph_jobs;
  void build_import_graph(Root& root);  // on a GraphJob; a no-op when built or building
  // The target's tests pytest's `lastfailed` lists: a cycle runs them first.
  static std::vector<std::string> last_failed_among(const Target& t);
  std::vector<TestRef> continuous_selection(const ContinuousRun& armed, const std::vector<fs::path>& files);

  // commands.cpp
  // The innermost item at a position: a case, else its function, else the class, else the module.
  TestRef item_at(const std::string& uri, const json& position);
  json execute_command(const json& params);
  json code_lenses(const json& params);
};

}  // namespace fastest::lsp
