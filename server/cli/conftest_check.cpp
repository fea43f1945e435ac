#include "server/cli/conftest_check.h"

#include <iostream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "server/cli/json_output.h"

namespace fastest::cli {
namespace fs = std::filesystem;
namespace {

constexpr std::string_view kFailingPrefix = "fastest-failing-conftest: ";  // conftest_check.py's
constexpr std::string_view kRaisedMarker = "fastest-pytest-raised";           // conftest_check.py's
constexpr std::string_view kImportedPrefix = "fastest-imported: ";

}  // namespace

// Folders pytest collects (and so imports the conftest of).
std::vector<std::string> folders_with_a_conftest(const Collection& c) {
  std::set<fs::path> folders{c.config.rootdir};
  for (const TestItem& item : c.items) {
    if (item.kind == ItemKind::Folder) folders.insert(c.config.rootdir / item.id);
    else if (item.kind == ItemKind::Module) folders.insert((c.config.rootdir / item.path()).parent_path());
  }
  std::vector<std::string> out;
  std::error_code ec;
  for (const fs::path& folder : folders)
    if (fs::is_regular_file(folder / "conftest.py", ec)) out.push_back(folder.lexically_normal().string());
  return out;
}

std::unique_ptr<PythonModuleProcess> start_conftest_check(const Collection& c, const Invocation& inv) {
  if (!c.config.python || !c.config.pytest_found) return nullptr;
  std::vector<std::string> folders = folders_with_a_conftest(c);
  if (folders.empty() && !c.config.configure_may_fail) return nullptr;
  std::vector<std::string> args{"-p", "no:cacheprovider"};
  if (inv.rootdir) args.insert(args.end(), {"--rootdir", inv.rootdir->string()});
  if (inv.inifile) args.insert(args.end(), {"-c", inv.inifile->string()});
  args.insert(args.end(), inv.extra_options.begin(), inv.extra_options.end());
  args.insert(args.end(), inv.args.begin(), inv.args.end());
  std::string error;
  auto process = PythonModuleProcess::start(*c.config.python, "fastest_worker.conftest_check", args,
                                            inv.invocation_dir,
                                            {{"FASTEST_CONFTEST_DIRS", json_text(nlohmann::json(folders))}}, &error);
  if (!process) std::cerr << "fastest: could not check the conftests: " << error << "\n";
  return process;
}

ConftestCheck finish_conftest_check(PythonModuleProcess& process, const Collection& c) {
  PythonModuleOutput output = process.wait();
  ConftestCheck check;
  // pytest's own stops: a conftest (or an option it registers) failing while pytest parses its
  // command line is a usage error (4), an unexpected one an internal error (3).
  if (output.exit_code == 4 || output.exit_code == 3) {
    check.exit_code = output.exit_code;
    // pytest's terminal writes an internal error on stdout once it is configured.
    check.message = output.err.empty() ? output.out : output.err;
    return check;
  }
  // pytest.main raised (conftest_check.py's marker): `python -m pytest` dies of it, exit 1.
  if (output.exit_code == 1 && output.out.find(kRaisedMarker) != std::string::npos) {
    check.exit_code = 1;
    check.message = output.err;
    return check;
  }
  if (output.exit_code != 0) {
    std::cerr << "fastest: could not check the conftests (exit " << output.exit_code << "): "
              << output.err.substr(0, output.err.find('\n')) << "\n";
    return check;
  }
  check.answered = true;
  std::istringstream lines(output.out);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(kImportedPrefix, 0) == 0) check.imported.push_back(line.substr(kImportedPrefix.size()));
    if (line.rfind(kFailingPrefix, 0) != 0) continue;
    fs::path folder = fs::path(line.substr(kFailingPrefix.size())).parent_path();
    std::string id = folder.lexically_relative(c.config.rootdir).generic_string();
    if (!id.empty() && id != "." && id.rfind("..", 0) != 0) check.failing_folders.push_back(id);
  }
  return check;
}

}  // namespace fastest::cli
