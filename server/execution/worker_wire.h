// The worker wire, C++ side: every command the engine sends a Python worker and every event a
// worker sends back, as types. A line is decoded once, here, into one of them; the engine never
// reads JSON. The Python side is worker/fastest_worker/wire.py; both carry the same
// kWorkerProtocolVersion, which the worker announces in `ready` (a worker package from another
// build is refused at start-up, not misread). docs/execution.md, "The worker wire", lists each
// message.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "server/execution/engine.h"

namespace fastest::wire {

inline constexpr int kWorkerProtocolVersion = 1;

// --- commands (engine → worker) ------------------------------------------------------------
struct RunCommand {
  int batch = 0;
  std::string rootdir;
  std::optional<std::string> inifile;
  std::vector<std::string> ids;  // node ids or module paths, as pytest takes them
  std::vector<std::string> pytest_args;
  std::map<std::string, std::string> overlays;  // absolute path -> unsaved text
  bool collect_only = false;
  bool coverage = false;
  int debug_port = 0;  // 0: no debugger
};

// The line to send (without its newline). A worker's pipe closing is its only other command: it
// exits at end of file.
std::string encode(const RunCommand& command);

// --- events (worker → engine) --------------------------------------------------------------
struct Ready {
  int pid = -1;
  int protocol = 0;  // 0: a worker from before the version existed
  std::string pytest_version, python_version;
  double warmup_s = 0;
  bool prepared = false;
  std::string not_prepared_because;
};
struct Fatal {
  std::string message;
};
// The worker's warm project image (docs/execution.md, "The project image"): built, dropped, a
// module left out. Not a batch's: the worker sends it between batches, for the log.
struct ImageStatus {
  std::string state;  // "ready", "dropped", "unsafe", "failed"
  std::string message;
};
// Every event below belongs to one batch; a late one from an abandoned batch is dropped.
struct ChildStarted {
  int batch = -1;
  int pid = -1;
};
struct TestStarted {
  int batch = -1;
  std::string id;
};
struct TestFinished {
  int batch = -1;
  TestResult result;
};
struct Collected {
  int batch = -1;
  std::vector<std::string> ids;
};
struct ImportedFiles {  // a collect-only batch's project files pytest imported (absolute)
  int batch = -1;
  std::vector<std::string> files;
};
struct Deselected {
  int batch = -1;
  std::vector<std::string> ids;
};
struct CollectSkip {
  int batch = -1;
  std::string id, path, reason;
  int line = 0;  // 0: pytest gave none
};
struct CollectError {
  int batch = -1;
  std::string id, longrepr;
  std::string crash;  // pytest's one-line reason; empty for an import error
};
struct WarningRecorded {
  int batch = -1;
  std::string location, message;
};
struct CoverageData {
  int batch = -1;
  std::vector<FileCoverage> files;
};
struct DebugListening {
  int batch = -1;
  int port = 0;
};
struct BatchError {
  int batch = -1;
  std::string message, summary;
  std::optional<std::string> usage_error;  // pytest.UsageError's text
  bool after_collection = false;           // the usage error came once pytest had run
  std::optional<std::string> internal_error;  // INTERNALERROR lines
};
struct Interrupted {
  int batch = -1;
  Interruption what;
};
struct BatchDone {
  int batch = -1;
  int signal = 0;  // the child was killed by it
  int exit = 0;    // else its exit status
};

using Event = std::variant<Ready, Fatal, ImageStatus, ChildStarted, TestStarted, TestFinished, Collected, ImportedFiles, Deselected, CollectSkip,
                           CollectError, WarningRecorded, CoverageData, DebugListening, BatchError, Interrupted,
                           BatchDone>;

// One line from a worker's event pipe. Nothing (and `error` says why) for a line that is not an
// event: not JSON, an unknown kind, a missing batch. A field of the wrong type reads as absent.
std::optional<Event> decode_event(std::string_view line, std::string* error = nullptr);

// The batch an event belongs to; nullopt for Ready, Fatal and ImageStatus.
std::optional<int> batch_of(const Event& event);

}  // namespace fastest::wire
