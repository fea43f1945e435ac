// Finds the file pytest's import of a module would load, without starting Python: the
// sys.path pytest has (its import mode's basedirs, `pythonpath`, $PYTHONPATH, the stdlib,
// site-packages and their `.pth` lines, then setuptools editable finders), first hit wins.
// Reads and parses each module once (discovery/module_lookup.h). Whatever is not certain —
// namespace packages, compiled modules, two candidates that differ, a package extending its
// `__path__`, the standard library — is not found, with the reason.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "server/discovery/collect_rules.h"
#include "server/discovery/module_lookup.h"
#include "server/workspace/interpreter.h"

namespace fastest {

struct ModuleSearchPath {
  // Entries before the interpreter's own, in an order that depends on collection (prepend
  // mode inserts each basedir at the front when it first meets it): `pythonpath`, basedirs.
  std::vector<std::filesystem::path> front;
  // Entries that are on sys.path only under some invocations (the rootdir and invocation dir
  // under `python -m pytest`).
  std::vector<std::filesystem::path> maybe;
  // The rest, in order: $PYTHONPATH, the stdlib, lib-dynload, site-packages, `.pth` lines.
  std::vector<std::filesystem::path> tail;
  // Folders whose modules are the standard library's: never read (their classes hold no tests).
  std::vector<std::filesystem::path> stdlib;
  // Editable finders' MAPPING: top-level name -> its folder, consulted after sys.path.
  std::map<std::string, std::filesystem::path> editable;
};

// The interpreter's part of the path (stdlib, lib-dynload, site-packages, `.pth` lines,
// editable MAPPING) plus `front`/`maybe`, and $PYTHONPATH.
ModuleSearchPath module_search_path(const Interpreter& interpreter, std::vector<std::filesystem::path> front,
                                    std::vector<std::filesystem::path> maybe);

// The text of an open editor buffer for a file, if any (the LSP's overlays).
using BufferText = std::function<std::optional<std::string>(const std::filesystem::path&)>;

class ModuleFinder : public ModuleLookup {
 public:
  ModuleFinder(std::filesystem::path rootdir, ModuleSearchPath path, std::shared_ptr<const PythonFacts> python,
               BufferText buffers = {});

  std::shared_ptr<const ForeignModule> import_module(std::string_view from_file, int level,
                                                     std::string_view dotted, std::string& why) override;

  std::optional<std::string> top_module_file(std::string_view top) override;

  // The same search path, reading `buffers` first (the language server's open documents).
  std::shared_ptr<ModuleFinder> with_buffers(BufferText buffers) const {
    return std::make_shared<ModuleFinder>(rootdir_, path_, python_, std::move(buffers));
  }

  // The file an import would load (no parse), for tests and for the server's invalidation.
  std::optional<std::filesystem::path> find_file(std::string_view from_file, int level, std::string_view dotted,
                                                 std::string& why);

  // While one collection runs, what the file system answered is taken as fixed: each file is
  // read once and each import resolved once (40 test modules importing one helper read and
  // resolved it 40 times: half of their rules' time). Off again, and forgotten, when the
  // collection ends: a finder that lives on (the language server's) must see every edit.
  void remember_answers(bool on);

 private:
  std::optional<std::filesystem::path> find_file_uncached(std::string_view from_file, int level,
                                                          std::string_view dotted, std::string& why);
  std::optional<std::filesystem::path> find_absolute(std::string_view dotted, std::string& why);
  std::optional<std::string> top_module_file_uncached(std::string_view top);
  std::optional<std::filesystem::path> find_in_package(std::filesystem::path package_dir, std::string_view dotted,
                                                       std::string& why);
  std::shared_ptr<const ForeignModule> load(const std::filesystem::path& file, std::string& why);
  std::optional<std::string> text_of(const std::filesystem::path& file);
  // A folder's extension-module file names, listed once per finder (every import of every test
  // module looks through the same site-packages and stdlib folders).
  const std::vector<std::string>& extensions_in(const std::filesystem::path& dir);

  std::filesystem::path rootdir_;
  ModuleSearchPath path_;
  std::shared_ptr<const PythonFacts> python_;
  BufferText buffers_;
  std::mutex mutex_;
  struct Cached {
    std::string text;
    std::shared_ptr<const ForeignModule> module;
  };
  std::map<std::filesystem::path, Cached> cache_;
  std::mutex listing_mutex_;
  std::map<std::filesystem::path, std::vector<std::string>> extensions_;
  struct Found {
    std::optional<std::filesystem::path> file;
    std::string why;
  };
  std::mutex memo_mutex_;
  bool remembering_ = false;
  std::map<std::filesystem::path, std::optional<std::string>> texts_;  // file -> its text
  std::map<std::string, Found> found_;  // "<importing folder>|<level>|<dotted>" -> where it led
};

// The finder for a collection: `basedirs` (prepend/append mode's sys.path entries; only maybe
// on it under importlib) and `pythonpath` first, the rootdir and invocation dir maybe.
std::shared_ptr<ModuleFinder> make_module_finder(const Interpreter& interpreter, const std::filesystem::path& rootdir,
                                                 const std::filesystem::path& invocation_dir,
                                                 const std::vector<std::filesystem::path>& basedirs,
                                                 const std::vector<std::filesystem::path>& pythonpath,
                                                 bool importlib_mode, std::shared_ptr<const PythonFacts> python,
                                                 BufferText buffers);

}  // namespace fastest
