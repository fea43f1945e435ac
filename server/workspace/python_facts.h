// What the interpreter would answer for `sys.version_info`, `sys.platform`, `os.name` and
// `sys.implementation.name`, read without starting it: the venv's pyvenv.cfg (`version_info`
// from virtualenv, `version` from venv), else the `lib/pythonX.Y` folder of its site-packages.
#pragma once

#include <filesystem>
#include <optional>

#include "server/discovery/collect_rules.h"
#include "server/workspace/interpreter.h"

namespace fastest {

// nullopt when the version cannot be read (conditions on it then stay unknown).
std::optional<PythonFacts> read_python_facts(const Interpreter& interpreter);

// "3.12.3", "3.12.3.final.0", "3.13.0rc1" → the version parts they name (major 0 if unreadable).
PythonFacts parse_python_version(std::string_view text);

}  // namespace fastest
