// The user's Python interpreter and its installed pytest, found without starting Python.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "server/discovery/collect_rules.h"

namespace fastest {

struct Interpreter {
  std::filesystem::path executable;     // as found (may be a symlink or a pyenv shim)
  std::string how;                      // "--python", "$VIRTUAL_ENV", ".venv", "PATH"
  std::vector<std::filesystem::path> site_packages;  // best effort, may be empty
};

// `--python PATH`, else $VIRTUAL_ENV/bin/python, else <root>/.venv or <root>/venv, else
// python3 on PATH. nullopt if none exists.
std::optional<Interpreter> find_interpreter(const std::filesystem::path& root,
                                            const std::optional<std::string>& explicit_python);

// The installed pytest's version, read from `pytest-X.Y.Z.dist-info` in site-packages.
std::optional<PytestVersion> installed_pytest_version(const Interpreter& interpreter);

// Whether an installed distribution registers a pytest plugin (a `pytest11` entry point in its
// dist-info's entry_points.txt): pytest loads it at start-up and runs its pytest_configure.
bool has_pytest_plugins(const Interpreter& interpreter);

}  // namespace fastest
