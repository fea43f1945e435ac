// `fastest lsp`: the language server on stdin/stdout. Logs go to stderr (or FASTEST_LOG_FILE),
// level from FASTEST_LOG (trace, debug, info, warn, error; default warn).
#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdlib>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "server/cli/malloc_arenas.h"
#include "server/cli/commands.h"
#include "server/lsp/lsp_server.h"

namespace fastest::cli {
namespace {

void configure_logging(const std::string& file, const std::string& level) {
  std::shared_ptr<spdlog::logger> logger;
  if (!file.empty()) logger = spdlog::basic_logger_mt("fastest", file);
  else logger = spdlog::stderr_logger_mt("fastest");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(level.empty() ? "warn" : level));
}

}  // namespace

void add_lsp_command(CLI::App& app, int& exit_code) {
  auto log_file = std::make_shared<std::string>();
  auto log_level = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("lsp", "Serve the Language Server Protocol on stdin/stdout");
  cmd->add_option("--log-file", *log_file, "Write logs here instead of stderr")->envname("FASTEST_LOG_FILE");
  cmd->add_option("--log-level", *log_level, "trace, debug, info, warn, error")->envname("FASTEST_LOG");
  auto stdio = std::make_shared<bool>(false);
  cmd->add_flag("--stdio", *stdio, "Accepted for editors that pass it");
  cmd->callback([&exit_code, log_file, log_level, stdio] {
    use_one_malloc_arena();  // before the server's threads start
    configure_logging(*log_file, *log_level);
    std::signal(SIGPIPE, SIG_IGN);  // a vanished client is seen as EOF/EPIPE, not a crash
    lsp::LspServer server(STDIN_FILENO, STDOUT_FILENO);
    exit_code = server.run();
  });
}

}  // namespace fastest::cli
