// Conftest hooks read statically: which of them cannot change the ids pytest collects.
#include <catch2/catch.hpp>

#include "server/discovery/conftest_analysis.h"
#include "server/discovery/hook_reading.h"
#include "server/discovery/syntax_tree.h"

namespace {

fastest::ConftestInfo conftest(const std::string& source) {
  auto parser = fastest::make_python_parser();
  auto tree = fastest::parse_python(parser.get(), source);
  return fastest::analyze_conftest(tree.get(), source);
}

using Strings = std::vector<std::string>;

}  // namespace

TEST_CASE("hooks that see items or reports but cannot change them are not collection hooks", "[hooks]") {
  auto info = conftest(
      "import pytest\n"
      "def pytest_configure(config):\n    config.addinivalue_line('markers', 'slow: slow')\n"
      "def pytest_addoption(parser):\n    parser.addoption('--x', default=None)\n"
      "def pytest_itemcollected(item):\n    item.add_marker(pytest.mark.thread_unsafe)\n"
      "def pytest_collectreport(report): pass\n"
      "def pytest_runtest_setup(item): pass\n"
      "def pytest_report_header(config): return 'x'\n");
  CHECK(info.collection_hooks.empty());
}

TEST_CASE("a modifyitems that only adds marks is harmless", "[hooks]") {
  auto info = conftest(
      "import pytest\n"
      "def pytest_collection_modifyitems(config, items):\n"
      "    \"\"\"Mark slow tests.\"\"\"\n"
      "    skip_slow = pytest.mark.skip(reason='slow')\n"
      "    for item in items:\n"
      "        if 'slow' in item.keywords or item.get_closest_marker('heavy'):\n"
      "            item.add_marker(skip_slow)\n"
      "        elif item.name.startswith('test_net'):\n"
      "            item.add_marker(pytest.mark.network)\n"
      "        else:\n"
      "            continue\n");
  CHECK(info.collection_hooks.empty());
  CHECK(info.modifyitems_unless_given.empty());
  CHECK(info.hooks_add_marks);  // under -m / -k it counts as a collection hook
}

TEST_CASE("a modifyitems acting only under its own option (sympy's --split) is harmless unless given", "[hooks]") {
  auto info = conftest(
      "import re\nsp = re.compile(r'([0-9]+)/([1-9][0-9]*)')\n"
      "def process_split(config, items):\n"
      "    split = config.getoption('--split')\n"
      "    if not split:\n        return\n"
      "    m = sp.match(split)\n"
      "    i, t = map(int, m.groups())\n"
      "    del items[:i]\n"
      "def pytest_addoption(parser):\n    parser.addoption('--split', action='store', default='', help='split tests')\n"
      "def pytest_collection_modifyitems(config, items):\n    process_split(config, items)\n");
  CHECK(info.collection_hooks.empty());
  CHECK(info.modifyitems_unless_given == Strings{"--split"});
  CHECK(fastest::option_given(info.modifyitems_unless_given, {"--split", "1/2"}));
  CHECK(fastest::option_given(info.modifyitems_unless_given, {"--split=1/2"}));
  CHECK_FALSE(fastest::option_given(info.modifyitems_unless_given, {"-q", "--strict-markers"}));
}

TEST_CASE("an option guard through config.option and store_true", "[hooks]") {
  auto info = conftest(
      "def pytest_addoption(parser):\n    group = parser.getgroup('x')\n"
      "    group.addoption('--run-order', action='store_true', dest='run_order')\n"
      "def pytest_collection_modifyitems(session, config, items):\n"
      "    if config.option.run_order:\n        items.sort(key=lambda i: i.name)\n");
  CHECK(info.collection_hooks.empty());
  CHECK(info.modifyitems_unless_given == Strings{"--run-order"});
}

TEST_CASE("a modifyitems that may remove, reorder or rename items stays a collection hook", "[hooks]") {
  const char* bodies[] = {
      "    items.sort(key=lambda i: i.name)\n",
      "    items[:] = [i for i in items if 'x' not in i.name]\n",
      "    for item in list(items):\n        items.remove(item)\n",
      "    config.hook.pytest_deselected(items=items[:1])\n",
      "    for item in items:\n        item._nodeid = item.nodeid + 'x'\n",
      "    if config.getoption('--unknown'):\n        items.reverse()\n",  // not registered here: its default is unknown
      "    if config.getoption('--on'):\n        items.reverse()\n",      // store_false: true by default
      "    helper(items)\n",
  };
  for (const char* body : bodies) {
    auto info = conftest(std::string("def pytest_addoption(parser):\n    parser.addoption('--on', action='store_false')\n"
                                     "def helper(x):\n    x.pop()\n"
                                     "def pytest_collection_modifyitems(config, items):\n") + body);
    INFO(body);
    CHECK(info.collection_hooks == Strings{"pytest_collection_modifyitems"});
  }
}

TEST_CASE("a conftest's unconditional imports are recorded (one not importable fails its folder)", "[hooks]") {
  auto info = conftest("import os\nimport ephemeral_port_reserve\nfrom a.b import c\ntry:\n    import opt\n"
                       "except ImportError:\n    opt = None\nif True:\n    import cond\n");
  CHECK(info.imports == Strings{"os", "ephemeral_port_reserve", "a.b", "a.b.c"});
}

// pytest_generate_tests (ids as pytest 9.2 printed them for the same hooks, in
// tests/integration/test_discover_generate_tests.py).
TEST_CASE("a generate_tests hook testing fixture names is read branch by branch", "[hooks][generate]") {
  auto info = conftest(
      "VERSIONS = ('3.6', '3.7')\n"
      "def pytest_generate_tests(metafunc):\n"
      "    '''Doc.'''\n"
      "    if 'each_version' in metafunc.fixturenames:\n"
      "        metafunc.parametrize('each_version', VERSIONS)\n"
      "    elif 'pair' in metafunc.fixturenames:\n"
      "        metafunc.parametrize('pair,other', [(1, 2), (3, 4)], ids=['one', 'two'])\n"
      "    elif 'local' in metafunc.fixturenames:\n"
      "        cases = sorted(VERSIONS)\n"
      "        metafunc.parametrize('local', cases)\n"
      "    if 'flavour' in metafunc.fixturenames:\n"
      "        metafunc.parametrize('flavour', ['a', 'b'], indirect=True)\n");
  CHECK(info.collection_hooks.empty());
  REQUIRE(info.generate_tests);
  const fastest::GenerateTestsHook& hook = *info.generate_tests;
  REQUIRE(hook.chains.size() == 2);
  REQUIRE(hook.chains[0].size() == 3);
  REQUIRE(hook.chains[0][0].parametrization);
  CHECK(hook.chains[0][0].parametrization->cases.size() == 2);
  CHECK(hook.chains[0][0].parametrization->cases[1].id == "3.7");
  REQUIRE(hook.chains[0][1].parametrization);
  CHECK(hook.chains[0][1].parametrization->argnames == Strings{"pair", "other"});
  CHECK(hook.chains[0][1].parametrization->cases[0].id == "one");
  CHECK_FALSE(hook.chains[0][2].parametrization);  // locals are not followed
  CHECK_FALSE(hook.chains[1][0].parametrization);  // indirect= goes to a fixture

  // The first branch of a chain whose name the test reaches runs; a test reaching none is untouched.
  auto none = fastest::apply_generate_tests(hook, {"tmp_path", "other_fixture"});
  CHECK(none.calls.empty());
  CHECK(none.dynamic_reason.empty());
  auto both = fastest::apply_generate_tests(hook, {"each_version", "pair", "other"});
  REQUIRE(both.calls.size() == 1);
  CHECK(both.calls[0].argnames == Strings{"each_version"});
  CHECK_FALSE(fastest::apply_generate_tests(hook, {"local"}).dynamic_reason.empty());
  CHECK_FALSE(fastest::apply_generate_tests(hook, {"flavour"}).dynamic_reason.empty());
  // `other` is parametrized but not requested: pytest's error, settled by pytest.
  CHECK_FALSE(fastest::apply_generate_tests(hook, {"pair"}).dynamic_reason.empty());
}

TEST_CASE("a generate_tests hook of another shape stays a collection hook", "[hooks][generate]") {
  for (const char* body : {
           "    for name in ('a', 'b'):\n        if name in metafunc.fixturenames:\n            metafunc.parametrize(name, [1])\n",
           "    if 'a' in metafunc.fixturenames:\n        metafunc.parametrize('a', [1])\n    else:\n        metafunc.parametrize('b', [1])\n",
           "    if metafunc.function.__name__ == 'test_a':\n        metafunc.parametrize('a', [1])\n",
           "    if 'tmp_path' in metafunc.fixturenames:\n        metafunc.parametrize('x', [1])\n",
           "    global SEEN\n    if 'a' in metafunc.fixturenames:\n        metafunc.parametrize('a', [1])\n",
       }) {
    auto info = conftest(std::string("def pytest_generate_tests(metafunc):\n") + body);
    CHECK_FALSE(info.generate_tests);
    CHECK(info.collection_hooks == Strings{"pytest_generate_tests"});
  }
  auto decorated = conftest(
      "import pytest\n@pytest.hookimpl(tryfirst=True)\ndef pytest_generate_tests(metafunc):\n"
      "    if 'a' in metafunc.fixturenames:\n        metafunc.parametrize('a', [1])\n");
  CHECK(decorated.collection_hooks == Strings{"pytest_generate_tests"});
}
