// pytest's exit codes (_pytest.config.ExitCode), named once: `fastest run` and `fastest discover`
// end with the code pytest would, and say which by name.
#pragma once

namespace fastest {

enum class ExitCode : int {
  Ok = 0,
  TestsFailed = 1,       // some test failed (or a collection error with --continue-on-collection-errors)
  Interrupted = 2,       // KeyboardInterrupt, -x/--maxfail stop, a collection error, a cancel
  InternalError = 3,     // INTERNALERROR: a hook or plugin raised
  UsageError = 4,        // bad command line or config
  NoTestsCollected = 5,  // nothing to run
};

constexpr int exit_status(ExitCode code) { return static_cast<int>(code); }

}  // namespace fastest
