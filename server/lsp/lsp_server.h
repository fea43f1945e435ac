// `fastest lsp`: LSP lifecycle, document sync, the test tree (fastest/discoveredTests),
// code lenses, diagnostics, runs (fastest/runTests, executeCommand) and $/progress.
// Glue only: discovery lives in server/discovery + server/workspace, runs in server/execution.
#pragma once

#include <memory>

namespace fastest::lsp {

class LspServer {
 public:
  LspServer(int in_fd, int out_fd);
  ~LspServer();
  // Serves until `exit` or stdin EOF; returns the process exit code.
  int run();

  struct State;

 private:
  std::unique_ptr<State> state_;
};

}  // namespace fastest::lsp
