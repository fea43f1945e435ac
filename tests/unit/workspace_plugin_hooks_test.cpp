// Plugins a session loads, read for collection hooks (issue 12, item 2).
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "server/workspace/plugin_hooks.h"

using namespace fastest;
namespace fs = std::filesystem;

namespace {

struct FakeSite {
  fs::path dir;
  FakeSite() {
    dir = fs::temp_directory_path() / ("fastest_plugin_hooks_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  ~FakeSite() { fs::remove_all(dir); }
  void write(const std::string& rel, const std::string& text) const {
    fs::create_directories((dir / rel).parent_path());
    std::ofstream(dir / rel) << text;
  }
  void distribution(const std::string& name, const std::string& version, const std::string& entry,
                    const std::string& module, const std::string& source) const {
    write(name + "-" + version + ".dist-info/entry_points.txt", "[pytest11]\n" + entry + " = " + module + "\n");
    write(module + ".py", source);
  }
  Interpreter interpreter() const { return Interpreter{"python", "test", {dir}}; }
};

}  // namespace

TEST_CASE("an entry-point plugin with a collection hook makes collection dynamic", "[plugins]") {
  FakeSite site;
  site.distribution("fake_backends", "1.0", "backends", "fake_backends_plugin",
                    "def pytest_generate_tests(metafunc):\n    pass\n");
  auto why = plugin_collection_reason(site.interpreter(), {});
  REQUIRE(why);
  CHECK(why->find("pytest_generate_tests") != std::string::npos);
  CHECK(why->find("fake_backends 1.0") != std::string::npos);

  PluginSources disabled;
  disabled.plugin_options = {"no:backends"};
  CHECK_FALSE(plugin_collection_reason(site.interpreter(), disabled));
  PluginSources no_autoload;
  no_autoload.autoload = false;
  CHECK_FALSE(plugin_collection_reason(site.interpreter(), no_autoload));
  no_autoload.plugin_options = {"backends"};
  CHECK(plugin_collection_reason(site.interpreter(), no_autoload));
}

TEST_CASE("plugins without collection hooks, and allow-listed ones, stay static", "[plugins]") {
  FakeSite site;
  site.distribution("pytest_quiet", "2.0", "quiet", "pytest_quiet", "def pytest_runtest_setup(item):\n    pass\n");
  site.distribution("hypothesis", "6.1.0", "hypothesispytest", "_hypothesis_pytestplugin",
                    "def pytest_collection_modifyitems(items):\n    for item in items:\n"
                    "        item.add_marker('hypothesis')\n");
  CHECK_FALSE(plugin_collection_reason(site.interpreter(), {}));
  PluginSources by_mark;
  by_mark.markexpr = "not hypothesis";
  CHECK(plugin_collection_reason(site.interpreter(), by_mark));
}

TEST_CASE("a pytest_plugins module defining a parametrized fixture is read", "[plugins]") {
  FakeSite site;
  site.write("proj/fixtures_plugin.py", "import pytest\n\n@pytest.fixture(params=[1, 2])\ndef n(request): pass\n");
  PluginSources sources;
  sources.pytest_plugins = {"fixtures_plugin"};
  sources.import_dirs = {site.dir / "proj"};
  auto why = plugin_collection_reason(site.interpreter(), sources);
  REQUIRE(why);
  CHECK(why->find("parametrized fixture") != std::string::npos);
  sources.pytest_plugins = {"missing_plugin_xyz"};
  CHECK(plugin_collection_reason(site.interpreter(), sources));  // unreadable: pytest decides
}

TEST_CASE("a plugin package's hooks in its other modules are found", "[plugins]") {
  FakeSite site;
  site.write("pkg_plugin-1.0.dist-info/entry_points.txt", "[pytest11]\npkg = pkg_plugin\n");
  site.write("pkg_plugin/__init__.py", "from pkg_plugin.hooks import *\n");
  site.write("pkg_plugin/hooks.py", "def pytest_collection_modifyitems(items):\n    items.reverse()\n");
  auto why = plugin_collection_reason(site.interpreter(), {});
  REQUIRE(why);
  CHECK(why->find("hooks.py") != std::string::npos);
}

TEST_CASE("a plugin's parametrized fixtures become the outermost fixture layer, not a reason", "[plugins]") {
  FakeSite site;
  site.write("proj/fixtures_plugin.py",
             "import pytest\n\n@pytest.fixture(scope='session', params=['http', 'https'])\ndef both(request): pass\n"
             "@pytest.fixture\ndef plain(): pass\n");
  PluginSources sources;
  sources.pytest_plugins = {"fixtures_plugin"};
  sources.import_dirs = {site.dir / "proj"};
  std::vector<std::vector<FixtureDecl>> layers;
  CHECK_FALSE(plugin_collection_reason(site.interpreter(), sources, &layers));
  REQUIRE(layers.size() == 1);
  REQUIRE(layers[0].size() == 3);  // `pytest` (imported: may be a fixture), both, plain
  CHECK(layers[0][1].name == "both");
  CHECK(layers[0][1].scope == "session");
  CHECK(layers[0][1].params.size() == 2);
  // An autouse one would parametrize every test in pytest's plugin registration order: a reason.
  site.write("proj/fixtures_plugin.py", "import pytest\n\n@pytest.fixture(autouse=True, params=[1])\ndef a(request): pass\n");
  layers.clear();
  CHECK(plugin_collection_reason(site.interpreter(), sources, &layers));
}

TEST_CASE("a plugin's modifyitems that only adds marks is not a collection hook", "[plugins]") {
  FakeSite site;
  site.distribution("pytest_marker", "1.0", "marker", "pytest_marker_plugin",
                    "import pytest\n\ndef pytest_itemcollected(item):\n    pass\n\n"
                    "def pytest_collection_modifyitems(config, items):\n"
                    "    for item in items:\n        item.add_marker(pytest.mark.marked)\n");
  CHECK_FALSE(plugin_collection_reason(site.interpreter(), {}));
  PluginSources selecting;  // the marks it adds may be what -m selects
  selecting.markexpr = "marked";
  CHECK(plugin_collection_reason(site.interpreter(), selecting));
}
