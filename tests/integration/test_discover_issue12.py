"""Issue 12's discovery patterns: tests that exist only through code static discovery does not
follow. Each pattern is a small tree; `fastest discover` must print what
`pytest --collect-only -q` prints, with its exit code (the item is dynamic and pytest settles it).
"""
import os
import pathlib
import re
import subprocess
import textwrap

import pytest

from test_discover_parity import assert_error_parity, assert_parity, fastest_discover, pytest_collect, write_tree


def assert_same_output_and_exit(fastest_bin, python_exe, cwd, *args):
    expected = pytest_collect(python_exe, cwd, *args)
    actual = fastest_discover(fastest_bin, python_exe, cwd, *args)
    assert actual == expected
    return actual


# --- 1. module-level bindings that make a module dynamic -------------------------------------

COMPUTED_BINDINGS = {
    "class-by-call": """
        import unittest

        def make(n):
            return type(n, (unittest.TestCase,), {"test_a": lambda self: None})

        TestMade = make("TestMade")
    """,
    "alias": "def _check(): pass\n\ntest_alias = _check\n",
    "lambda": "test_l = lambda: None\n",
    "attribute": "import os.path\n\ntest_attr = os.path.join\n",
    "globals": "globals()['test_g'] = lambda: None\n",
    "setattr": "import sys\n\nsetattr(sys.modules[__name__], 'test_s', lambda: None)\n",
    "class-body-alias": "class TestC:\n    def test_a(self): pass\n    test_b = test_a\n",
    "for-target": "def _a(): pass\n\nfor test_fn in [_a]:\n    pass\n",
}


@pytest.mark.parametrize("source", COMPUTED_BINDINGS.values(), ids=COMPUTED_BINDINGS.keys())
def test_tests_bound_by_code_at_module_level_are_listed_as_pytest(fastest_bin, python_exe, tmp_path, source):
    write_tree(tmp_path, {"pytest.ini": "[pytest]\n", "test_made.py": textwrap.dedent(source) + "\n\ndef test_real(): pass\n"})
    code, lines = assert_same_output_and_exit(fastest_bin, python_exe, tmp_path)
    assert code == 0 and len(lines) >= 3  # the computed test, test_real, the count


def test_literal_bindings_of_test_like_names_stay_static(fastest_bin, python_exe, tmp_path):
    write_tree(tmp_path, {"pytest.ini": "[pytest]\n",
                          "test_lit.py": "test_data = [1, 2]\nTestTable = {'a': 1}\n\ndef test_real(): pass\n"})
    assert_parity(fastest_bin, python_exe, tmp_path)
    proc = subprocess.run([fastest_bin, "discover", "--python", python_exe, "--no-settle"], cwd=tmp_path,
                          capture_output=True, text=True)
    assert "is dynamic" not in proc.stderr


# --- 3. a parametrized fixture imported from another module ----------------------------------

FIXTURES_MOD = """
    import pytest

    @pytest.fixture(params=["x", "y"])
    def ctx(request):
        return request.param
"""


@pytest.mark.parametrize("test_module", [
    "from fixtures_mod import ctx\n\ndef test_uses(ctx): pass\n\ndef test_plain(): pass\n",
    "from fixtures_mod import *\n\ndef test_uses(ctx): pass\n\ndef test_plain(): pass\n",
    "import pytest\nfrom fixtures_mod import ctx\n\n@pytest.fixture\ndef wrapped(ctx):\n    return ctx\n\n"
    "def test_uses(wrapped): pass\n",
], ids=["named", "star", "through-a-fixture"])
def test_a_parametrized_fixture_imported_from_another_module(fastest_bin, python_exe, tmp_path, test_module):
    write_tree(tmp_path, {"pytest.ini": "[pytest]\n", "fixtures_mod.py": FIXTURES_MOD, "test_imp.py": test_module})
    code, lines = assert_same_output_and_exit(fastest_bin, python_exe, tmp_path)
    assert "test_imp.py::test_uses[x]" in lines


def test_a_parametrized_fixture_imported_by_a_conftest(fastest_bin, python_exe, tmp_path):
    write_tree(tmp_path, {"pytest.ini": "[pytest]\n", "fixtures_mod.py": FIXTURES_MOD,
                          "conftest.py": "from fixtures_mod import ctx  # noqa: F401\n",
                          "test_imp.py": "def test_uses(ctx): pass\n"})
    code, lines = assert_same_output_and_exit(fastest_bin, python_exe, tmp_path)
    assert "test_imp.py::test_uses[y]" in lines


# --- 4. a guarded import that re-raises ------------------------------------------------------

RERAISING_GUARDS = {
    "bare-raise": "try:\n    import fastest_no_such_package_xyz\nexcept ImportError:\n    raise\n",
    "raise-other": "try:\n    import fastest_no_such_package_xyz\nexcept ImportError as e:\n"
                   "    raise RuntimeError('install it') from e\n",
    "helper-raises": "def _fail(msg):\n    raise ImportError(msg)\n\ntry:\n    import fastest_no_such_package_xyz\n"
                     "except ImportError:\n    _fail('install it')\n",
}


@pytest.mark.parametrize("imports", RERAISING_GUARDS.values(), ids=RERAISING_GUARDS.keys())
def test_a_guarded_import_that_reraises_is_a_collection_error_as_pytest(fastest_bin, python_exe, tmp_path, imports):
    write_tree(tmp_path, {"pytest.ini": "[pytest]\n", "tests/test_fine.py": "def test_ok(): pass\n",
                          "tests/test_guarded.py": imports + "\n\ndef test_a(): pass\n"})
    proc = assert_error_parity(fastest_bin, python_exe, tmp_path)
    assert proc.returncode == 2 and "ERROR tests/test_guarded.py" in proc.stdout


# --- 2. parametrization added by an installed plugin ----------------------------------------

PLUGIN_MODULE = """
    import pytest

    def pytest_configure(config):
        config.addinivalue_line("markers", "backends: run once per backend")

    def pytest_generate_tests(metafunc):
        if metafunc.definition.get_closest_marker("backends"):
            metafunc.parametrize("backend", ["asyncio", "trio"])
"""


@pytest.fixture(scope="module")
def venv_with_plugin(tmp_path_factory, python_exe):
    """A venv whose site-packages holds a plugin distribution with a pytest11 entry point (the
    pattern of anyio's plugin, without the network) beside links to the project venv's packages."""
    root = tmp_path_factory.mktemp("pluginvenv")
    venv = root / "venv"
    subprocess.run([python_exe, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = next((venv / "lib").glob("python3*/site-packages"))
    project_site = subprocess.run([python_exe, "-c", "import pytest, os; print(os.path.dirname(os.path.dirname(pytest.__file__)))"],
                                  capture_output=True, text=True, check=True).stdout.strip()
    for entry in pathlib.Path(project_site).iterdir():
        (site / entry.name).symlink_to(entry)
    write_tree(site, {"fake_backends_plugin.py": PLUGIN_MODULE,
                      "fake_backends-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: fake-backends\nVersion: 1.0\n",
                      "fake_backends-1.0.dist-info/entry_points.txt": "[pytest11]\nbackends = fake_backends_plugin\n"})
    return str(venv / "bin" / "python")


PLUGIN_TESTS = "import pytest\n\n@pytest.mark.backends\ndef test_x(backend): pass\n\ndef test_y(): pass\n"


@pytest.mark.parametrize("ini", ["", "addopts = -p no:backends", "addopts = --disable-plugin-autoload"],
                         ids=["loaded", "disabled", "no-autoload"])
def test_parametrization_added_by_an_installed_plugin_is_pytests(fastest_bin, venv_with_plugin, tmp_path, ini):
    write_tree(tmp_path, {"pytest.ini": "[pytest]\n" + ini + "\n", "test_p.py": PLUGIN_TESTS})
    expected = pytest_collect(venv_with_plugin, tmp_path)
    actual = fastest_discover(fastest_bin, venv_with_plugin, tmp_path)
    assert actual == expected
    assert ("test_p.py::test_x[asyncio]" in actual[1]) == (not ini)


@pytest.mark.parametrize("args, loaded", [(("-p", "no:backends"), False), (("-p", "no:fake_backends_plugin"), True)],
                         ids=["by-entry-point-name", "a-module-name-blocks-nothing"])
def test_dash_p_no_on_the_command_line_disables_an_entry_point_as_pytest(fastest_bin, venv_with_plugin, tmp_path, args,
                                                                          loaded):
    write_tree(tmp_path, {"pytest.ini": "[pytest]\n", "test_p.py": PLUGIN_TESTS})
    expected = pytest_collect(venv_with_plugin, tmp_path, *args)
    actual = fastest_discover(fastest_bin, venv_with_plugin, tmp_path, *args)
    assert actual == expected
    assert ("test_p.py::test_x[trio]" in actual[1]) == loaded


def test_a_plugin_named_by_pytest_plugins_is_read(fastest_bin, python_exe, tmp_path):
    write_tree(tmp_path, {"pytest.ini": "[pytest]\n", "local_plugin.py": PLUGIN_MODULE,
                          "conftest.py": "pytest_plugins = ['local_plugin']\n", "test_p.py": PLUGIN_TESTS})
    code, lines = assert_same_output_and_exit(fastest_bin, python_exe, tmp_path)
    assert "test_p.py::test_x[trio]" in lines


def test_a_plugin_named_by_dash_p_is_read(fastest_bin, python_exe, tmp_path):
    write_tree(tmp_path, {"pytest.ini": "[pytest]\naddopts = -p local_plugin\n", "local_plugin.py": PLUGIN_MODULE,
                          "test_p.py": PLUGIN_TESTS})
    code, lines = assert_same_output_and_exit(fastest_bin, python_exe, tmp_path)
    assert "test_p.py::test_x[trio]" in lines


# --- 5. pytest's order under higher-scoped parametrized fixtures -----------------------------

def test_settled_order_under_a_module_scoped_parametrized_fixture_is_pytests(fastest_bin, python_exe, tmp_path):
    write_tree(tmp_path, {"pytest.ini": "[pytest]\n", "test_order.py": """
        import pytest

        @pytest.fixture(scope="module", params=["a", "b"])
        def m(request):
            return request.param

        def test_one(m): pass
        def test_plain(): pass
        def test_two(m): pass
    """})
    code, lines = assert_same_output_and_exit(fastest_bin, python_exe, tmp_path)
    assert lines[:5] == ["test_order.py::test_one[a]", "test_order.py::test_two[a]", "test_order.py::test_one[b]",
                         "test_order.py::test_two[b]", "test_order.py::test_plain"]


# --- 6. verbosity from addopts, PYTEST_ADDOPTS and the command line -------------------------

def whole_output(proc):
    """stdout without timings (pytest's header and closing lines are kept)."""
    return re.sub(r" in \d+\.\d+s", "", proc.stdout)


VERBOSITY_TREE = {"sub/test_y.py": "def test_c(): pass\n",
                  "test_x.py": "import pytest\n\nclass TestK:\n    def test_a(self):\n        '''Doc line.'''\n\n"
                               "@pytest.mark.parametrize('n', [1, 2])\ndef test_b(n): pass\n"}


@pytest.mark.parametrize("ini, env", [
    ("addopts = -v", None), ("addopts = -vv", None), ("addopts = -q", None), ("addopts = -qq", None),
    ("addopts = -v -q", None), ("addopts = --verbosity=2", None), ("", "-v"), ("addopts = -v", "-q"),
], ids=["v", "vv", "q", "qq", "v-q", "verbosity-2", "env-v", "ini-v-env-q"])
def test_verbosity_from_addopts_and_env_prints_pytests_listing(fastest_bin, python_exe, tmp_path, ini, env):
    write_tree(tmp_path, {"pytest.ini": "[pytest]\n" + ini + "\n", **VERBOSITY_TREE})
    environment = dict(os.environ)
    environment.pop("PYTEST_ADDOPTS", None)
    if env:
        environment["PYTEST_ADDOPTS"] = env
    expected = subprocess.run([python_exe, "-m", "pytest", "--collect-only", "-q"], cwd=tmp_path,
                              capture_output=True, text=True, env=environment)
    actual = subprocess.run([fastest_bin, "discover", "--python", python_exe], cwd=tmp_path,
                            capture_output=True, text=True, env=environment)
    assert (actual.returncode, whole_output(actual)) == (expected.returncode, whole_output(expected))


# --- 7. pytest's warnings summary when the settle step ran pytest ----------------------------

def test_warnings_of_the_settle_steps_collection_are_printed_as_pytest(fastest_bin, python_exe, tmp_path):
    write_tree(tmp_path, {"pytest.ini": "[pytest]\n", "test_w.py": """
        import pytest

        class NotCollection:
            def __iter__(self):
                return iter([1, 2])

        @pytest.mark.parametrize("x", NotCollection())
        def test_a(x): pass

        def test_b(): pass
    """})
    expected = subprocess.run([python_exe, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
                              cwd=tmp_path, capture_output=True, text=True)
    actual = subprocess.run([fastest_bin, "discover", "--python", python_exe], cwd=tmp_path,
                            capture_output=True, text=True)
    assert "PytestRemovedIn10Warning" in expected.stdout
    assert (actual.returncode, whole_output(actual)) == (expected.returncode, whole_output(expected))
