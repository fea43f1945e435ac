// PythonModuleProcess: a one-off `python -m module` (library facts, the conftest check). A
// cancelled wait kills it at once: a hung interpreter never holds the server's shutdown.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include "server/execution/python_module_process.h"

namespace fs = std::filesystem;
using fastest::PythonModuleProcess;

namespace {
fs::path system_python() {
  for (const char* candidate : {"/usr/bin/python3", "/usr/local/bin/python3"})
    if (fs::exists(candidate)) return candidate;
  return {};
}
}  // namespace

TEST_CASE("a cancelled wait kills the process and returns at once", "[python-module-process]") {
  const fs::path python = system_python();
  if (python.empty()) { WARN("no python3 here"); return; }
  std::string error;
  auto process = PythonModuleProcess::start(python, "timeit", {"-n", "1", "-r", "1", "import time; time.sleep(60)"},
                                            fs::temp_directory_path(), {}, &error);
  REQUIRE(process);
  std::atomic<bool> cancel{false};
  std::thread canceller([&cancel] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    cancel = true;
  });
  const auto start = std::chrono::steady_clock::now();
  fastest::PythonModuleOutput output = process->wait(&cancel);
  const auto waited = std::chrono::steady_clock::now() - start;
  canceller.join();
  CHECK(output.cancelled);
  CHECK(output.exit_code == -1);
  CHECK(waited < std::chrono::seconds(10));  // not the 60 s sleep
}

TEST_CASE("an uncancelled wait reads the whole output and the exit code", "[python-module-process]") {
  const fs::path python = system_python();
  if (python.empty()) { WARN("no python3 here"); return; }
  std::string error;
  std::atomic<bool> cancel{false};
  auto process = PythonModuleProcess::start(python, "json.tool", {"--help"}, fs::temp_directory_path(), {}, &error);
  REQUIRE(process);
  fastest::PythonModuleOutput output = process->wait(&cancel);
  CHECK_FALSE(output.cancelled);
  CHECK(output.exit_code == 0);
  CHECK(output.out.find("usage") != std::string::npos);
}
