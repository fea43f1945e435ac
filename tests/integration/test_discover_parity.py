"""`fastest discover` against real `pytest --collect-only -q` on the same trees.

Each case writes a small project (config format, python_files/classes/functions, testpaths,
norecursedirs, addopts, nested packages, ...) into a temp dir and compares the printed ids and
the count. Only the timing in the closing line and pytest's warnings summary may differ.
"""
import json
import os
import re
import subprocess
import textwrap

import pytest


def normalise(output: str) -> list[str]:
    """Ids and the count line, without timings or pytest's warnings section."""
    lines = []
    skipping = False
    for line in output.splitlines():
        if line.startswith("=") and "warnings summary" in line:
            skipping = True
            continue
        if skipping:
            if re.match(r"^(\d+|no) tests? collected|^\d+/\d+ tests collected", line):
                skipping = False
            else:
                continue
        line = re.sub(r" in \d+\.\d+s$", "", line)
        if line.strip():
            lines.append(line)
    return lines


def pytest_collect(python_exe, cwd, *args):
    proc = subprocess.run(
        [python_exe, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *args],
        cwd=cwd, capture_output=True, text=True,
    )
    return proc.returncode, normalise(proc.stdout)


def fastest_discover(fastest_bin, python_exe, cwd, *args):
    proc = subprocess.run(
        [fastest_bin, "discover", "--python", python_exe, *args],
        cwd=cwd, capture_output=True, text=True,
    )
    return proc.returncode, normalise(proc.stdout)


def write_tree(root, files: dict[str, str]):
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


def assert_parity(fastest_bin, python_exe, cwd, *args):
    expected = pytest_collect(python_exe, cwd, *args)
    actual = fastest_discover(fastest_bin, python_exe, cwd, *args)
    assert actual == expected


def test_test_project_matches_pytest(fastest_bin, python_exe, test_project):
    """Statically known ids come from the syntax tree; the one dynamic function (parametrized
    by a comprehension) is settled by a real collection in a worker: the output equals pytest's."""
    assert_parity(fastest_bin, python_exe, test_project)


def test_no_settle_gives_static_answers_and_names_the_dynamic_ones(fastest_bin, python_exe, test_project):
    proc = subprocess.run([fastest_bin, "discover", "--python", python_exe, "--no-settle"], cwd=test_project,
                          capture_output=True, text=True)
    dynamic = "tests/integration/test_workflow.py::test_dynamic_range"
    assert dynamic in proc.stdout.splitlines()
    assert "is dynamic" in proc.stderr and dynamic in proc.stderr


BASIC_TESTS = """
    import pytest

    def test_one(): pass

    class TestGroup:
        def test_a(self): pass
        def test_b(self): pass

    @pytest.mark.parametrize("x", [1, "two", 3.0, None])
    def test_param(x): pass
"""


DOCTESTED_FUNCTION = """
def NAME():
    '''
    >>> 1
    1
    '''
"""

DOCTEST_MODULE = """
'''
>>> 1 + 1
2
'''
from os.path import join


def zeta():
    '''
    >>> zeta()
    '''


class Klass:
    '''
    >>> Klass()  # doctest: +ELLIPSIS
    <...>
    '''
    def method(self):
        '''
        >>> 1
        1
        '''

    @staticmethod
    def smeth():
        '''
        >>> 1
        1
        '''

    @property
    def prop(self):
        '''
        >>> 1
        1
        '''

    class Inner:
        def deep(self):
            '''
            >>> 1
            1
            '''


def alpha():
    '''
    >>> 5
    5
    '''


__test__ = {"extra": '''
>>> 6
6
''', "fn": alpha}
"""


CASES = {
    "pytest_ini": {
        "pytest.ini": """
            [pytest]
            python_files = check_*.py
            python_classes = Suite
            python_functions = check_ should_*
        """,
        "check_things.py": """
            def check_alpha(): pass
            def test_not_collected(): pass
            def it_should_work(): pass
            def should_work(): pass
            class SuiteOne:
                def check_in_class(self): pass
            class TestIgnored:
                def check_x(self): pass
        """,
        "test_other.py": "def test_x(): pass\n",
    },
    "tox_ini_testpaths": {
        "tox.ini": """
            [tox]
            envlist = py3

            [pytest]
            testpaths =
                tests
                more
        """,
        "tests/test_a.py": BASIC_TESTS,
        "more/test_b.py": "def test_more(): pass\n",
        "elsewhere/test_c.py": "def test_never(): pass\n",
    },
    "setup_cfg_norecursedirs": {
        "setup.cfg": """
            [metadata]
            name = x

            [tool:pytest]
            norecursedirs = skipme* .*
        """,
        "test_top.py": BASIC_TESTS,
        "skipme_please/test_hidden.py": "def test_hidden(): pass\n",
        "build/test_build.py": "def test_build_dir_not_default_ignored_here(): pass\n",
        "pkg/__init__.py": "",
        "pkg/test_pkg.py": "def test_in_pkg(): pass\n",
    },
    "pyproject_addopts": {
        "pyproject.toml": """
            [tool.pytest.ini_options]
            addopts = "-m 'not slow' --ignore=ignored"
            markers = ["slow: slow tests"]
        """,
        "test_marks.py": """
            import pytest
            @pytest.mark.slow
            def test_slow(): pass
            def test_fast(): pass
            class TestC:
                pytestmark = pytest.mark.slow
                def test_in_slow_class(self): pass
        """,
        "ignored/test_ignored.py": "def test_ignored(): pass\n",
    },
    "ordering_files_and_dirs": {
        "pytest.ini": "[pytest]\n",
        "a/test_1.py": "def test_a1(): pass\n",
        "test_b.py": "def test_b(): pass\n",
        "c/d/test_2.py": "def test_cd(): pass\n",
        "test_a_file.py": "def test_a_file(): pass\n",
        "B/test_upper.py": "def test_upper(): pass\n",
        "x_test.py": "def test_suffix_style(): pass\n",
    },
    "virtualenv_skipped": {
        "pytest.ini": "[pytest]\n",
        "test_here.py": "def test_here(): pass\n",
        "myenv/pyvenv.cfg": "home = /usr/bin\n",
        "myenv/lib/test_in_venv.py": "def test_in_venv(): pass\n",
    },
    "unittest_and_inheritance": {
        "pytest.ini": "[pytest]\n",
        "test_ut.py": """
            import unittest

            class Zeta(unittest.TestCase):
                def test_b(self): pass
                def test_a(self): pass
                def helper(self): pass

            class Base:
                def test_base(self): pass
                def test_over(self): pass

            class TestDerived(Base):
                def test_own(self): pass
                def test_over(self): pass

            class TestWithInit:
                def __init__(self): pass
                def test_x(self): pass
        """,
    },
    "dynamic_settled_by_pytest": {
        "pytest.ini": "[pytest]\n",
        "conftest.py": """
            import pytest

            @pytest.fixture(params=["sqlite", "postgres"])
            def db(request):
                return request.param
        """,
        "helpers.py": """
            class TestSharedChecks:
                def test_shared(self): pass
        """,
        "test_dyn.py": """
            import pytest
            from helpers import TestSharedChecks

            @pytest.mark.parametrize("n", [int(i) for i in range(3)])
            def test_range(n): pass

            def test_uses_db(db): pass

            class TestLocal(TestSharedChecks):
                def test_own(self): pass

            def test_static(): pass
        """,
    },
    "parametrize_forms": {
        "pytest.ini": "[pytest]\n",
        "test_p.py": """
            import pytest

            VALUES = [1, 2]

            @pytest.mark.parametrize("v", VALUES)
            def test_named(v): pass

            @pytest.mark.parametrize("a, b", [(1, "x"), (2, "y")], ids=["first", None])
            def test_ids(a, b): pass

            @pytest.mark.parametrize("s", ["é", "中文", "a b", "tab\\t", b"bytes", ""])
            def test_strings(s): pass

            @pytest.mark.parametrize("d", [1, 1, 2, 2, "x", "x"])
            def test_duplicates(d): pass

            @pytest.mark.parametrize("v", [pytest.param(1, id="one"), pytest.param(2, marks=pytest.mark.xfail)])
            def test_param(v): pass

            @pytest.mark.parametrize("x", [0, 1])
            @pytest.mark.parametrize("y", ["a", "b"])
            def test_stacked(x, y): pass

            @pytest.mark.parametrize("obj", [[1], {"k": 1}, (1, 2), int, lambda: 0])
            def test_objects(obj): pass

            @pytest.mark.parametrize("x", [])
            def test_empty(x): pass

            @pytest.mark.parametrize("f", [1.5, 1e20, -0.5, 0x10, 1_000, True])
            def test_numbers(f): pass
        """,
    },
    "doctest_modules_packages": {
        "pytest.ini": "[pytest]\naddopts = --doctest-modules\n",
        "conftest.py": DOCTESTED_FUNCTION.replace("NAME", "helper"),
        "setup.py": "from setuptools import setup\n" + DOCTESTED_FUNCTION.replace("NAME", "skipped"),
        "__main__.py": DOCTESTED_FUNCTION.replace("NAME", "skipped"),
        "test_readme.txt": ">>> 1 + 1\n2\n",
        "testprose.txt": "No examples.\n",
        "pkg/__init__.py": '"""Package.\n\n>>> 1\n1\n"""\n' + DOCTESTED_FUNCTION.replace("NAME", "init_func"),
        "pkg/Upper.py": DOCTESTED_FUNCTION.replace("NAME", "first"),
        "pkg/conftest.py": DOCTESTED_FUNCTION.replace("NAME", "pkg_helper"),
        "pkg/sub/__init__.py": "",
        "pkg/sub/mod.py": DOCTEST_MODULE,
        "pkg/sub/test_both.py": """
            '''
            >>> 1
            1
            '''
            def test_one(): pass

            def helper():
                '''
                >>> 2
                2
                '''

            class TestK:
                def test_two(self):
                    '''
                    >>> 3
                    3
                    '''
        """,
        "pkg/plain/notes.py": DOCTESTED_FUNCTION.replace("NAME", "outside_package"),
        "nopkg/plain.py": DOCTESTED_FUNCTION.replace("NAME", "f") + "\nimport os\n",
    },
    "doctest_glob_rst": {
        "pytest.ini": "[pytest]\naddopts = --doctest-glob='*.rst' --doctest-glob=guide/*.md\n",
        "README.rst": "Title\n=====\n\n>>> 1 + 1\n2\n",
        "CHANGES.rst": "No examples.\n",
        "guide/usage.md": ">>> print('hi')\nhi\n",
        "other.md": ">>> 1\n1\n",
        "test_replaced_default.txt": ">>> 1\n1\n",
        "test_code.py": "def test_code(): pass\n",
    },
    "doctest_textfile_default": {
        "pytest.ini": "[pytest]\n",
        "docs/test_usage.txt": ">>> 2 * 3\n6\n",
        "docs/usage.txt": ">>> 1\n1\n",
        "test_a.py": DOCTESTED_FUNCTION.replace("NAME", "test_not_a_doctest_without_the_flag"),
    },
    "doctest_dynamic_settled": {
        "pytest.ini": "[pytest]\naddopts = --doctest-modules\n",
        "cond.py": """
            import sys
            if sys.version_info >= (3,):
                def new():
                    '''
                    >>> 1
                    1
                    '''
            else:
                def old():
                    '''
                    >>> 1
                    1
                    '''
        """,
        "deco.py": """
            import functools

            def keeps(fn):
                @functools.wraps(fn)
                def inner(*a):
                    return fn(*a)
                return inner

            def drops(fn):
                def inner(*a):
                    return fn(*a)
                return inner

            @keeps
            def kept():
                '''
                >>> 1
                1
                '''

            @drops
            def dropped():
                '''
                >>> 1
                1
                '''

            x = None

            def target():
                '''
                >>> 1
                1
                '''

            x = target
            __test__ = dict(built="\\n>>> 1\\n1\\n")
        """,
    },
    # A fixture that requests a parametrized fixture (here via a conftest, a chain, usefixtures
    # and an autouse class fixture) multiplies every test whose closure reaches it.
    "fixture_closure_params": {
        "tests/conftest.py": """
            import pytest

            @pytest.fixture(params=["a", "b"])
            def base(request):
                return request.param

            @pytest.fixture
            def plain():
                return 1
        """,
        "tests/test_closure.py": """
            import pytest

            @pytest.fixture
            def derived(base):
                return base * 2

            @pytest.fixture
            def plain(plain):
                return plain

            def test_derived(derived): pass

            def test_plain(plain): pass

            @pytest.mark.usefixtures("base")
            def test_used(): pass

            class TestAuto:
                @pytest.fixture(autouse=True)
                def setup(self, derived): pass

                def test_auto(self): pass
        """,
    },
    # pytest 9.2: auto-generated ids of str/bytes values over 100 characters.
    "long_string_ids": {
        "test_long.py": f"""
            import pytest

            @pytest.mark.parametrize("text", ["{'a' * 101}", "{'b' * 100}", b"{'c' * 101}", "x" "{'d' * 100}"])
            def test_text(text): pass

            @pytest.mark.parametrize("text", ["{'e' * 120}"], ids=["{'f' * 120}"])
            def test_explicit(text): pass
        """,
    },
    "long_string_ids_legacy": {
        "pytest.ini": """
            [pytest]
            parametrize_long_str_id_strategy = legacy
        """,
        "test_long.py": f"""
            import pytest

            @pytest.mark.parametrize("text", ["{'a' * 101}", "short"])
            def test_text(text): pass
        """,
    },
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_generated_tree_matches_pytest(fastest_bin, python_exe, tmp_path, case):
    write_tree(tmp_path, CASES[case])
    assert_parity(fastest_bin, python_exe, tmp_path)


def test_explicit_node_ids_and_paths(fastest_bin, python_exe, tmp_path):
    write_tree(tmp_path, {"pytest.ini": "[pytest]\n", "test_a.py": BASIC_TESTS, "sub/test_s.py": BASIC_TESTS})
    assert_parity(fastest_bin, python_exe, tmp_path, "test_a.py::TestGroup")
    assert_parity(fastest_bin, python_exe, tmp_path, "test_a.py::test_param", "sub")
    assert_parity(fastest_bin, python_exe, tmp_path, "sub/test_s.py::test_param[two]")


def test_keyword_and_mark_selection(fastest_bin, python_exe, tmp_path):
    write_tree(tmp_path, {"pytest.ini": "[pytest]\nmarkers = fast\n", "test_a.py": """
        import pytest
        @pytest.mark.fast
        def test_quick(): pass
        def test_other(): pass
        class TestGroup:
            def test_member(self): pass
    """})
    assert_parity(fastest_bin, python_exe, tmp_path, "-k", "quick or Group")
    assert_parity(fastest_bin, python_exe, tmp_path, "-k", "not member")
    assert_parity(fastest_bin, python_exe, tmp_path, "-m", "fast")
    assert_parity(fastest_bin, python_exe, tmp_path, "-m", "not fast")


def test_rootdir_from_args_in_subfolder(fastest_bin, python_exe, tmp_path):
    write_tree(tmp_path, {"setup.cfg": "[tool:pytest]\npython_functions = check\n",
                          "pkg/tests/test_x.py": "def check_it(): pass\ndef test_no(): pass\n"})
    assert_parity(fastest_bin, python_exe, tmp_path / "pkg", "tests")


def test_no_tests_is_exit_5(fastest_bin, python_exe, tmp_path):
    write_tree(tmp_path, {"pytest.ini": "[pytest]\n", "test_empty.py": "x = 1\n"})
    rc, out = fastest_discover(fastest_bin, python_exe, tmp_path)
    assert (rc, out) == pytest_collect(python_exe, tmp_path)
    assert rc == 5


def test_missing_path_is_usage_error(fastest_bin, python_exe, tmp_path):
    proc = subprocess.run([fastest_bin, "discover", "nope.py"], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 4
    assert "file or directory not found: nope.py" in proc.stderr


def test_doctest_selection_and_node_ids(fastest_bin, python_exe, tmp_path):
    write_tree(tmp_path, {"pytest.ini": "[pytest]\naddopts = --doctest-modules\n", "pkg/__init__.py": "",
                          "pkg/mod.py": DOCTEST_MODULE, "test_t.py": "def test_t(): pass\n"})
    assert_parity(fastest_bin, python_exe, tmp_path, "-k", "Klass and not method")
    assert_parity(fastest_bin, python_exe, tmp_path, "-k", "mod.py")
    assert_parity(fastest_bin, python_exe, tmp_path, "pkg/mod.py::pkg.mod.Klass.method")


def test_doctest_options_on_the_command_line(fastest_bin, python_exe, tmp_path):
    write_tree(tmp_path, {"pytest.ini": "[pytest]\n", "lib/m.py": DOCTESTED_FUNCTION.replace("NAME", "f"),
                          "notes.rst": ">>> 1\n1\n", "test_x.txt": ">>> 1\n1\n"})
    assert_parity(fastest_bin, python_exe, tmp_path, "--doctest-modules")
    assert_parity(fastest_bin, python_exe, tmp_path, "--doctest-modules", "--import-mode=importlib")
    assert_parity(fastest_bin, python_exe, tmp_path, "--doctest-glob", "*.rst")


# --- collection errors --------------------------------------------------------------------
# A module pytest cannot import is reported as pytest reports it: an ERRORS section with one
# block per module, the short test summary, `Interrupted`, the error count, exit code 2.
# Modules are dynamic (parametrized by a call) so the settle step imports them.

FAILING_IMPORT = """
    import pytest
    import a_module_that_is_not_installed

    @pytest.mark.parametrize("n", [int(i) for i in range(2)])
    def test_dynamic(n): pass
"""
RAISING_AT_IMPORT = """
    import pytest

    raise RuntimeError("the database is not configured: set DATABASE_URL before running this suite, please")

    @pytest.mark.parametrize("n", [int(i) for i in range(2)])
    def test_dynamic(n): pass
"""
SYNTAX_ERROR = """
    def test_broken(:
        pass
"""
UNCLOSED_BRACKET = """
    def test_typing():
        foo(
        assert True

    def test_after():
        pass
"""


def collection_error_lines(output: str) -> list[str]:
    """What must equal pytest's: ids, banners, `E ` lines, summary, count; the traceback frames
    in between name the interpreter's files and differ between worker and pytest processes."""
    return [line for line in normalise(output)
            if not line.startswith((" ", "/", "<", "Traceback:")) and not re.match(r"^[\w/.]+\.py:\d+: in ", line)]


def assert_error_parity(fastest_bin, python_exe, cwd, *args):
    expected = subprocess.run([python_exe, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *args],
                              cwd=cwd, capture_output=True, text=True)
    actual = subprocess.run([fastest_bin, "discover", "--python", python_exe, *args],
                            cwd=cwd, capture_output=True, text=True)
    assert (actual.returncode, collection_error_lines(actual.stdout)) == \
        (expected.returncode, collection_error_lines(expected.stdout))
    return actual


@pytest.mark.parametrize("broken", [FAILING_IMPORT, RAISING_AT_IMPORT, SYNTAX_ERROR, UNCLOSED_BRACKET],
                         ids=["import-error", "raises-at-import", "syntax-error", "unclosed-bracket"])
def test_a_module_that_cannot_be_collected_is_reported_as_pytest_does(fastest_bin, python_exe, tmp_path, broken):
    write_tree(tmp_path, {"test_fine.py": BASIC_TESTS, "test_broken.py": broken})
    proc = assert_error_parity(fastest_bin, python_exe, tmp_path)
    assert proc.returncode == 2 and "ERROR collecting test_broken.py" in proc.stdout


def test_errors_in_two_modules_are_reported_in_collection_order(fastest_bin, python_exe, tmp_path):
    write_tree(tmp_path, {"test_a_import.py": FAILING_IMPORT, "test_b_fine.py": BASIC_TESTS,
                          "test_c_syntax.py": SYNTAX_ERROR, "test_d_raises.py": RAISING_AT_IMPORT})
    proc = assert_error_parity(fastest_bin, python_exe, tmp_path)
    assert "Interrupted: 3 errors during collection" in proc.stdout


def test_continue_on_collection_errors_exits_1_without_interrupted(fastest_bin, python_exe, tmp_path):
    write_tree(tmp_path, {"test_fine.py": BASIC_TESTS, "test_broken.py": FAILING_IMPORT})
    proc = assert_error_parity(fastest_bin, python_exe, tmp_path, "--continue-on-collection-errors")
    assert proc.returncode == 1 and "Interrupted" not in proc.stdout


def test_summary_reason_is_whole_on_ci(fastest_bin, python_exe, tmp_path):
    """pytest trims the summary's reason to the terminal's width, except on CI ($CI set)."""
    write_tree(tmp_path, {"test_broken.py": RAISING_AT_IMPORT})
    env = dict(os.environ, CI="1")
    expected = subprocess.run([python_exe, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
                              cwd=tmp_path, capture_output=True, text=True, env=env)
    actual = subprocess.run([fastest_bin, "discover", "--python", python_exe], cwd=tmp_path,
                            capture_output=True, text=True, env=env)
    summary = [line for line in expected.stdout.splitlines() if line.startswith("ERROR ")]
    assert summary and summary[0].endswith("please")
    assert [line for line in actual.stdout.splitlines() if line.startswith("ERROR ")] == summary


def test_json_carries_collection_errors(fastest_bin, python_exe, tmp_path):
    write_tree(tmp_path, {"test_fine.py": BASIC_TESTS, "test_broken.py": FAILING_IMPORT})
    proc = subprocess.run([fastest_bin, "discover", "--python", python_exe, "--json"], cwd=tmp_path,
                          capture_output=True, text=True)
    assert proc.returncode == 2
    errors = json.loads(proc.stdout)["collectionErrors"]
    assert [e["path"] for e in errors] == ["test_broken.py"]
    assert errors[0]["message"] == "ModuleNotFoundError: No module named 'a_module_that_is_not_installed'"
    assert "ImportError while importing test module" in errors[0]["report"]


def test_collect_ignore_built_at_run_time_is_settled_by_collecting_the_folder(fastest_bin, python_exe, tmp_path):
    """pytest applies a conftest's collect_ignore to what it finds in the folder, never to a path
    it is handed: settling the folder's modules one by one would list the ignored one."""
    write_tree(tmp_path, {
        "tests/conftest.py": """
            import sys
            collect_ignore = []
            if sys.version_info >= (3, 0):
                collect_ignore.append("test_new_syntax.py")
        """,
        "tests/test_kept.py": BASIC_TESTS,
        "tests/test_new_syntax.py": "def test_only_on_some_pythons(): pass\n",
        "other/test_outside.py": "def test_outside(): pass\n",
    })
    assert_parity(fastest_bin, python_exe, tmp_path)


ROOTDIR_COLLECT_IGNORE = {
    "pytest.ini": "[pytest]\n",
    "conftest.py": """
        import sys
        collect_ignore = []
        if sys.version_info >= (3, 0):
            collect_ignore += ["test_new_syntax.py", "sub/test_ignored_too.py"]
    """,
    "test_kept.py": BASIC_TESTS,
    "test_new_syntax.py": "def test_only_on_some_pythons(): pass\n",
    "sub/test_sub.py": "def test_sub(): pass\n",
    "sub/test_ignored_too.py": "def test_ignored(): pass\n",
    "sub/deeper/test_deep.py": "def test_deep(): pass\n",
}


@pytest.mark.parametrize("cwd, args", [(".", ()), (".", (".",)), ("sub", ()), ("sub", ("deeper", "..")),
                                       (".", ("sub/test_ignored_too.py",))])
def test_collect_ignore_built_at_run_time_by_the_rootdir_conftest(fastest_bin, python_exe, tmp_path, cwd, args):
    """The rootdir's conftest ignores files anywhere below it: the folder args pytest is handed
    (the rootdir, or a folder under it) are settled whole; a file handed by name is kept."""
    write_tree(tmp_path, ROOTDIR_COLLECT_IGNORE)
    expected = pytest_collect(python_exe, tmp_path / cwd, *args)
    if not args:
        assert not any("test_new_syntax" in line or "test_ignored" in line for line in expected[1])
    assert fastest_discover(fastest_bin, python_exe, tmp_path / cwd, *args) == expected


def test_items_a_conftest_hook_makes_in_a_settled_folder_are_under_a_dynamic_folder(fastest_bin, python_exe, tmp_path):
    """A conftest's pytest_collect_file can yield items for any file, the conftest itself included
    (`tests/conftest.py::name`): no module holds them, so --json flags the folder dynamic."""
    write_tree(tmp_path, {
        "tests/conftest.py": """
            import pytest

            class CheckItem(pytest.Item):
                def runtest(self): pass

            class CheckFile(pytest.File):
                def collect(self):
                    yield CheckItem.from_parent(self, name="check_" + self.path.stem)

            def pytest_collect_file(file_path, parent):
                if file_path.name == "conftest.py":
                    return CheckFile.from_parent(parent, path=file_path)
        """,
        "tests/test_kept.py": BASIC_TESTS,
    })
    expected = pytest_collect(python_exe, tmp_path)
    assert "tests/conftest.py::check_conftest" in expected[1]
    assert fastest_discover(fastest_bin, python_exe, tmp_path) == expected
    proc = subprocess.run([fastest_bin, "discover", "--python", python_exe, "--no-settle", "--json"], cwd=tmp_path,
                          capture_output=True, text=True)
    folders = {item["id"]: item for item in json.loads(proc.stdout)["items"] if item["kind"] == "folder"}
    assert folders["tests"]["dynamic"] and "pytest_collect_file" in folders["tests"]["dynamicReason"]


MODULE_LEVEL_SKIPS = {
    "importorskip": """
        import pytest
        pytest.importorskip("a_module_that_is_not_installed")
        def test_skipped(): pass
    """,
    "assigned-importorskip-in-if": """
        import sys
        import pytest
        if sys.version_info >= (3,):
            np = pytest.importorskip("a_module_that_is_not_installed")
        def test_skipped(): pass
    """,
    "from-pytest-importorskip-in-try": """
        from pytest import importorskip
        try:
            importorskip("a_module_that_is_not_installed")
        finally:
            pass
        def test_skipped(): pass
    """,
    "skip-allow-module-level": """
        import sys
        import pytest
        if sys.platform != "a-platform-that-does-not-exist":
            pytest.skip("not on this platform", allow_module_level=True)
        def test_skipped(): pass
    """,
    "importorskip-of-an-installed-module": """
        import pytest
        pytest.importorskip("json")
        def test_kept(): pass
    """,
}


@pytest.mark.parametrize("skipping", sorted(MODULE_LEVEL_SKIPS))
def test_a_module_skipped_at_import_lists_no_items_as_pytest(fastest_bin, python_exe, tmp_path, skipping):
    """Whether a module-level skip happens depends on the interpreter: the module is settled."""
    write_tree(tmp_path, {"test_fine.py": BASIC_TESTS, "test_maybe_skipped.py": MODULE_LEVEL_SKIPS[skipping]})
    assert_parity(fastest_bin, python_exe, tmp_path)
    proc = subprocess.run([fastest_bin, "discover", "--python", python_exe, "--no-settle"], cwd=tmp_path,
                          capture_output=True, text=True)
    assert "test_maybe_skipped.py is dynamic (calls pytest." in proc.stderr


def test_the_only_module_skipped_at_import_is_exit_5(fastest_bin, python_exe, tmp_path):
    write_tree(tmp_path, {"test_maybe_skipped.py": MODULE_LEVEL_SKIPS["importorskip"]})
    assert_parity(fastest_bin, python_exe, tmp_path)
    assert fastest_discover(fastest_bin, python_exe, tmp_path)[0] == 5


def test_skip_marks_and_skips_inside_tests_keep_a_module_static(fastest_bin, python_exe, tmp_path):
    write_tree(tmp_path, {"test_marked.py": """
        import pytest
        pytestmark = pytest.mark.skip(reason="whole module")
        @pytest.fixture
        def dependency():
            return pytest.importorskip("a_module_that_is_not_installed")
        def test_uses(dependency): pass
        def test_skips_itself():
            pytest.skip("not today")
    """})
    assert_parity(fastest_bin, python_exe, tmp_path)
    proc = subprocess.run([fastest_bin, "discover", "--python", python_exe, "--no-settle"], cwd=tmp_path,
                          capture_output=True, text=True)
    assert "is dynamic" not in proc.stderr


BROKEN_CONFTESTS = {
    "import-error": "import a_module_that_is_not_installed\n",
    "raises": "raise RuntimeError('the fixtures need a database')\n",
}


def run_both(fastest_bin, python_exe, cwd, *args):
    expected = subprocess.run([python_exe, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *args],
                              cwd=cwd, capture_output=True, text=True)
    actual = subprocess.run([fastest_bin, "discover", "--python", python_exe, *args],
                            cwd=cwd, capture_output=True, text=True)
    return expected, actual


@pytest.mark.parametrize("conftest", sorted(BROKEN_CONFTESTS))
@pytest.mark.parametrize("args", [(), ("tests/test_fine.py",)], ids=["no-args", "file-arg"])
def test_an_initial_conftest_that_fails_stops_as_pytest_does(fastest_bin, python_exe, tmp_path, conftest, args):
    """pytest imports the conftests of its args (or rootdir) while parsing its command line: a
    failure prints `ImportError while loading conftest` and the traceback on stderr, exit 4."""
    write_tree(tmp_path, {"tests/conftest.py": BROKEN_CONFTESTS[conftest], "tests/test_fine.py": BASIC_TESTS,
                          "pytest.ini": "[pytest]\n"})
    expected, actual = run_both(fastest_bin, python_exe, tmp_path, *args)
    assert expected.returncode == 4 and "ImportError while loading conftest" in expected.stderr
    assert (actual.returncode, actual.stdout, actual.stderr) == (expected.returncode, expected.stdout, expected.stderr)


@pytest.mark.parametrize("conftest", sorted(BROKEN_CONFTESTS))
def test_a_conftest_failing_during_collection_is_its_folders_error(fastest_bin, python_exe, tmp_path, conftest):
    """A conftest below the initial ones is imported when pytest collects its folder: the failure
    is that folder's collection error, the other folders are still collected (exit 2)."""
    write_tree(tmp_path, {"pkg/sub/conftest.py": BROKEN_CONFTESTS[conftest], "pkg/sub/test_a.py": BASIC_TESTS,
                          "pkg/test_b.py": BASIC_TESTS, "pytest.ini": "[pytest]\n"})
    proc = assert_error_parity(fastest_bin, python_exe, tmp_path)
    assert proc.returncode == 2 and "ERROR collecting pkg/sub" in proc.stdout


SKIPPING_TREE = {
    "test_fine.py": BASIC_TESTS,
    "test_missing_dependency.py": """
        import pytest
        pytest.importorskip("a_module_that_is_not_installed")
        def test_never_listed(): pass
    """,
    "test_platform.py": """
        import pytest
        pytest.skip("Skipped: not on this platform", allow_module_level=True)
    """,
    # Two modules skipped by the same line of a shared helper: pytest folds them into one
    # `SKIPPED [2]` line.
    "backend.py": """
        import pytest
        pytest.skip("no backend", allow_module_level=True)
    """,
    "test_backend_one.py": "import pytest\npytest.importorskip('backend')\ndef test_one(): pass\n",
    "test_backend_two.py": "import pytest\npytest.importorskip('backend')\ndef test_two(): pass\n",
}


@pytest.mark.parametrize("args, lists_skips", [
    ((), False), (("-rs",), True), (("-ra",), True), (("-rA",), True), (("-rN",), False), (("-rEs",), True),
    (("-r", "fE"), False), (("-rs", "-rE"), False),  # the last -r wins
], ids=lambda a: " ".join(a) or "default" if isinstance(a, tuple) else None)
def test_module_level_skips_in_the_short_test_summary_as_pytest(fastest_bin, python_exe, tmp_path, args, lists_skips):
    """pytest lists a module skipped at import under `short test summary info` when -r asks for
    skips (s, a, A), folding skips at one place for one reason; the closing count has no skips."""
    write_tree(tmp_path, SKIPPING_TREE)
    expected = pytest_collect(python_exe, tmp_path, *args)
    assert ("SKIPPED [2] backend.py:3: no backend" in expected[1]) == lists_skips
    assert fastest_discover(fastest_bin, python_exe, tmp_path, *args) == expected


@pytest.mark.parametrize("config", ["[pytest]\naddopts = -ra\n", "[pytest]\naddopts = -rs -p no:cacheprovider\n"])
def test_module_level_skips_with_report_chars_from_addopts(fastest_bin, python_exe, tmp_path, config):
    write_tree(tmp_path, {**SKIPPING_TREE, "pytest.ini": config})
    expected = pytest_collect(python_exe, tmp_path)
    assert any(line.startswith("SKIPPED [1] test_missing_dependency.py:3: could not import") for line in expected[1])
    assert fastest_discover(fastest_bin, python_exe, tmp_path) == expected


def test_pytest_addopts_env_wins_over_ini_addopts(fastest_bin, python_exe, tmp_path):
    """pytest puts $PYTEST_ADDOPTS after the ini's addopts: its -r is the last one."""
    write_tree(tmp_path, {**SKIPPING_TREE, "pytest.ini": "[pytest]\naddopts = -ra -m 'not a_mark'\n"})
    env = dict(os.environ, PYTEST_ADDOPTS="-rN -m 'not nothing'")
    expected = subprocess.run([python_exe, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
                              cwd=tmp_path, capture_output=True, text=True, env=env)
    actual = subprocess.run([fastest_bin, "discover", "--python", python_exe], cwd=tmp_path,
                            capture_output=True, text=True, env=env)
    assert "SKIPPED" not in expected.stdout
    assert (actual.returncode, normalise(actual.stdout)) == (expected.returncode, normalise(expected.stdout))


def test_module_level_skips_are_reported_relative_to_the_invocation_dir(fastest_bin, python_exe, tmp_path):
    write_tree(tmp_path, {**SKIPPING_TREE, "pytest.ini": "[pytest]\n", "sub/.keep": ""})
    expected = pytest_collect(python_exe, tmp_path / "sub", "-rs", "..")
    assert "SKIPPED [2] ../backend.py:3: no backend" in expected[1]
    assert fastest_discover(fastest_bin, python_exe, tmp_path / "sub", "-rs", "..") == expected


SELECTION_TREE = {
    "test_selection.py": """
        import pytest

        @pytest.mark.parametrize("n", [int(i) for i in range(40)])
        def test_computed(n): pass

        @pytest.mark.slow
        @pytest.mark.parametrize("n", [int(i) for i in range(25)])
        def test_slow_computed(n): pass

        @pytest.mark.slow
        def test_slow_static(): pass

        def test_static(): pass
    """,
    "pytest.ini": "[pytest]\nmarkers =\n    slow: slow tests\n",
}


@pytest.mark.parametrize("args", [("-k", "computed"), ("-k", "3"), ("-m", "slow"), ("-m", "not slow"),
                                  ("--deselect", "test_selection.py::test_computed[7]"),
                                  ("-k", "not 1", "--deselect", "test_selection.py::test_slow_computed")],
                         ids=lambda a: " ".join(a))
def test_selection_of_settled_tests_counts_as_pytest(fastest_bin, python_exe, tmp_path, args):
    """Parametrized by range(): pytest's collection decides the ids, so pytest's selection of
    them decides which are printed and how many the closing line says were deselected."""
    write_tree(tmp_path, SELECTION_TREE)
    expected = pytest_collect(python_exe, tmp_path, *args)
    assert "deselected" in expected[1][-1]
    assert fastest_discover(fastest_bin, python_exe, tmp_path, *args) == expected


def test_deselection_by_addopts_of_settled_tests_counts_as_pytest(fastest_bin, python_exe, tmp_path):
    write_tree(tmp_path, {**SELECTION_TREE, "pytest.ini": SELECTION_TREE["pytest.ini"] + "addopts = -m 'not slow'\n"})
    expected = pytest_collect(python_exe, tmp_path)
    assert expected[1][-1] == "41/67 tests collected (26 deselected)"
    assert fastest_discover(fastest_bin, python_exe, tmp_path) == expected


STRICT_MARKERS_TREE = {
    "conftest.py": """
        def pytest_configure(config):
            config.addinivalue_line("markers", "by_conftest: registered at run time")
    """,
    "test_registered.py": """
        import pytest
        from pytest import mark

        pytestmark = pytest.mark.spaced

        @pytest.mark.with_args("x")
        @mark.parametrize("n", [1, pytest.param(2, marks=pytest.mark.xfail)])
        def test_ini_marks(n): pass

        @pytest.mark.skipif(False, reason="builtin")
        def test_builtin():
            note = "pytest.mark.in_a_string"  # pytest.mark.in_a_comment
    """,
    "test_unregistered.py": """
        import pytest

        @pytest.mark.nowhere
        def test_unknown(): pass
    """,
    "test_by_conftest.py": """
        from pytest import mark

        class TestRuntime:
            @mark.by_conftest
            def test_registered_late(self): pass
    """,
}
STRICT_MARKERS_INI = "markers =\n    spaced : has spaces\n    with_args(name): takes args\n"


@pytest.mark.parametrize("config, args, env", [
    ("[pytest]\naddopts = --strict-markers\n" + STRICT_MARKERS_INI, (), None),
    ("[pytest]\nstrict_markers = true\n" + STRICT_MARKERS_INI, (), None),
    ("[pytest]\nstrict = true\n" + STRICT_MARKERS_INI, (), None),
    ("[pytest]\nstrict = true\nstrict_markers = false\n" + STRICT_MARKERS_INI, (), None),
    ("[pytest]\n" + STRICT_MARKERS_INI, ("--strict-markers",), None),
    ("[pytest]\n" + STRICT_MARKERS_INI, ("--strict",), None),
    ("[pytest]\n" + STRICT_MARKERS_INI, ("-o", "strict_markers=yes"), None),
    ("[pytest]\n" + STRICT_MARKERS_INI, (), "--strict-markers"),
    ("[pytest]\n" + STRICT_MARKERS_INI, (), None),
], ids=["addopts", "ini", "strict-ini", "strict-but-not-markers", "cli", "cli-strict", "override", "env", "off"])
def test_strict_markers_fail_modules_with_unregistered_marks_as_pytest(fastest_bin, python_exe, tmp_path,
                                                                        config, args, env):
    """pytest fails a module's import on an unregistered mark under strict markers; marks a
    conftest registers at run time are accepted. Static discovery knows only the ini's."""
    write_tree(tmp_path, {**STRICT_MARKERS_TREE, "pytest.ini": config})
    environ = dict(os.environ)
    environ.pop("PYTEST_ADDOPTS", None)
    if env:
        environ["PYTEST_ADDOPTS"] = env
    expected = subprocess.run([python_exe, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *args],
                              cwd=tmp_path, capture_output=True, text=True, env=environ)
    actual = subprocess.run([fastest_bin, "discover", "--python", python_exe, *args], cwd=tmp_path,
                            capture_output=True, text=True, env=environ)
    strict = bool(args or env) or ("strict" in config and "strict_markers = false" not in config)
    assert ("'nowhere' not found in `markers`" in expected.stdout) == strict
    assert (actual.returncode, normalise(actual.stdout)) == (expected.returncode, normalise(expected.stdout))


def test_strict_markers_with_only_registered_marks_stay_static(fastest_bin, python_exe, tmp_path):
    tree = {k: v for k, v in STRICT_MARKERS_TREE.items() if k in ("test_registered.py",)}
    write_tree(tmp_path, {**tree, "pytest.ini": "[pytest]\naddopts = --strict-markers\n" + STRICT_MARKERS_INI})
    proc = subprocess.run([fastest_bin, "discover", "--python", python_exe, "--no-settle", "--json"], cwd=tmp_path,
                          capture_output=True, text=True)
    items = json.loads(proc.stdout)["items"]
    assert [i["id"] for i in items if i.get("dynamic")] == []
    assert "test_registered.py::test_ini_marks[2]" in [i["id"] for i in items]
    assert_parity(fastest_bin, python_exe, tmp_path)


def test_a_misspelt_parametrize_fails_the_module_as_pytest(fastest_bin, python_exe, tmp_path):
    write_tree(tmp_path, {"test_typo.py": """
        import pytest

        @pytest.mark.parameterize("n", [1, 2])
        def test_typo(n): pass

        def test_fine(): pass
    """, "test_ok.py": "def test_ok(): pass\n"})
    assert_parity(fastest_bin, python_exe, tmp_path)


def test_a_partly_dynamic_module_that_fails_to_import_lists_none_of_its_static_ids(fastest_bin, python_exe, tmp_path):
    """The settle step asks pytest for the module of a dynamic function; when the module fails
    to import, pytest lists none of its tests, static ones included."""
    write_tree(tmp_path, {"test_partly.py": """
        import pytest
        import not_installed_anywhere

        def test_static(): pass

        @pytest.mark.parametrize("n", [int(i) for i in range(3)])
        def test_dynamic(n): pass
    """, "test_fine.py": "def test_fine(): pass\n"})
    expected = pytest_collect(python_exe, tmp_path)
    assert "test_partly.py::test_static" not in expected[1]
    assert fastest_discover(fastest_bin, python_exe, tmp_path) == expected


@pytest.mark.parametrize("args", [(), ("-k", "nothing_matches")], ids=["none-left", "all-deselected"])
def test_closing_line_when_errors_leave_no_tests(fastest_bin, python_exe, tmp_path, args):
    """pytest says `no tests collected[ (N deselected)], E errors`, never `0 tests collected`."""
    write_tree(tmp_path, {"test_partly.py": """
        import pytest
        import not_installed_anywhere

        def test_static(): pass

        @pytest.mark.parametrize("n", [int(i) for i in range(3)])
        def test_dynamic(n): pass
    """, "test_fine.py": "def test_fine(): pass\n" if args else "def helper(): pass\n"})
    expected = pytest_collect(python_exe, tmp_path, *args)
    assert expected[1][-1].startswith("no tests collected")
    assert fastest_discover(fastest_bin, python_exe, tmp_path, *args) == expected


# Settled (range() ids), so its import error is pytest's; a module with no dynamic part is not
# imported by `fastest discover`.
BROKEN_DYNAMIC_MODULE = """
import pytest
import not_installed_anywhere

@pytest.mark.parametrize("n", [int(i) for i in range(2)])
def test_dynamic(n): pass
"""
STRICT_CONFIG_TREE = {
    "conftest.py": """
        def pytest_addoption(parser):
            parser.addini("known_by_conftest", "an option a conftest defines")
    """,
    "test_a.py": "def test_a(): pass\n",
}


@pytest.mark.parametrize("ini, extra", [
    ("addopts = --strict-config\nunknown_option = 1\n", {}),
    ("strict = true\nunknown_option = 1\n", {}),
    ("addopts = --strict-config\nknown_by_conftest = 1\n", {}),
    ("unknown_option = 1\n", {}),
    ("addopts = --strict-config\nunknown_option = 1\n", {"test_broken.py": BROKEN_DYNAMIC_MODULE}),
], ids=["strict-config", "strict", "defined-by-conftest", "not-strict", "with-a-collection-error"])
def test_strict_config_fails_on_unknown_ini_options_after_listing_as_pytest(fastest_bin, python_exe, tmp_path,
                                                                            ini, extra):
    """pytest checks ini keys after collecting (plugins and conftests may define them): the
    listing is printed, then `ERROR: Unknown config option`, exit 4, no Interrupted line."""
    write_tree(tmp_path, {**STRICT_CONFIG_TREE, **extra, "pytest.ini": "[pytest]\n" + ini})
    expected = pytest_collect(python_exe, tmp_path)
    assert (expected[0] == 4) == ("strict" in ini and "unknown_option" in ini)
    assert fastest_discover(fastest_bin, python_exe, tmp_path) == expected


# --- unconditional imports of packages the interpreter may lack --------------------------------

def python_starts(fastest_bin, python_exe, cwd, tmp_path) -> int:
    """How many processes `fastest discover` starts besides itself (0: answered statically)."""
    log = tmp_path / "execve.log"
    subprocess.run(["strace", "-f", "-e", "trace=execve", "-o", str(log), str(fastest_bin), "discover",
                    "--python", python_exe], cwd=cwd, capture_output=True, text=True, check=False)
    calls = [line for line in log.read_text().splitlines() if "execve(" in line and "= 0" in line]
    return len(calls) - 1


MISSING_IMPORTS = {
    "top-level": "import os\nimport fastest_no_such_package_xyz\n",
    "from-import": "from fastest_no_such_package_xyz.sub import thing\n",
    "try-not-catching-it": "try:\n    import fastest_no_such_package_xyz\nexcept KeyError:\n    pass\n",
}


@pytest.mark.parametrize("imports", MISSING_IMPORTS.values(), ids=MISSING_IMPORTS.keys())
def test_a_module_importing_a_missing_package_is_reported_as_pytest_does(fastest_bin, python_exe, tmp_path,
                                                                         imports):
    write_tree(tmp_path, {"pytest.ini": "[pytest]\n", "tests/test_fine.py": BASIC_TESTS,
                          "tests/test_missing.py": imports + "\ndef test_a(): pass\n"})
    proc = assert_error_parity(fastest_bin, python_exe, tmp_path)
    assert proc.returncode == 2 and "ERROR tests/test_missing.py" in proc.stdout


@pytest.mark.parametrize("imports", [
    "try:\n    import fastest_no_such_package_xyz\nexcept ImportError:\n    pass\n",
    "try:\n    import fastest_no_such_package_xyz\nexcept Exception:\n    pass\n",
    "def helper():\n    import fastest_no_such_package_xyz\n",
    "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import fastest_no_such_package_xyz\n",
], ids=["except-ImportError", "except-Exception", "in-a-function", "type-checking"])
def test_a_guarded_import_of_a_missing_package_stays_static(fastest_bin, python_exe, tmp_path, imports):
    write_tree(tmp_path, {"pytest.ini": "[pytest]\n", "tests/test_guarded.py": imports + "\ndef test_a(): pass\n"})
    assert_parity(fastest_bin, python_exe, tmp_path)
    assert python_starts(fastest_bin, python_exe, tmp_path, tmp_path) == 0


def test_imports_pytest_can_resolve_stay_static(fastest_bin, python_exe, tmp_path):
    """stdlib (a .py module, a package, an extension in lib-dynload, a builtin), the venv's
    site-packages, a package under the rootdir, the `pythonpath` ini option, and a module next to
    the test in a basedir pytest puts on sys.path."""
    root = tmp_path / "proj"
    write_tree(root, {
        "pytest.ini": "[pytest]\npythonpath = src\n",
        "src/srcpkg/__init__.py": "",
        "localpkg/__init__.py": "",
        "tests/helper_mod.py": "",
        "tests/test_resolved.py": """
            import os, json, math, sys, _ssl
            import xml.etree.ElementTree as ET
            import pytest, pluggy, iniconfig
            from srcpkg import __name__ as srcname
            import localpkg
            import helper_mod

            def test_a(): pass
        """,
    })
    assert_parity(fastest_bin, python_exe, root)
    assert python_starts(fastest_bin, python_exe, root, tmp_path) == 0


def test_a_src_layout_without_pythonpath_fails_as_pytest_does(fastest_bin, python_exe, tmp_path):
    """src/ is not on pytest's sys.path unless `pythonpath` (or an install) puts it there; a
    package test module resolves names from its basedir (the rootdir, above tests/__init__.py)."""
    write_tree(tmp_path, {
        "pyproject.toml": "[tool.pytest.ini_options]\ntestpaths = ['tests']\n",
        "src/srcpkg/__init__.py": "",
        "tests/__init__.py": "",
        "tests/util.py": "",
        "tests/test_pkg.py": "from tests import util\n\ndef test_a(): pass\n",
        "tests/test_src.py": "import srcpkg\n\ndef test_b(): pass\n",
    })
    proc = assert_error_parity(fastest_bin, python_exe, tmp_path)
    assert proc.returncode == 2 and "ERROR tests/test_src.py" in proc.stdout
    (tmp_path / "tests" / "test_src.py").unlink()
    assert_parity(fastest_bin, python_exe, tmp_path)
    assert python_starts(fastest_bin, python_exe, tmp_path, tmp_path) == 0


def test_a_session_scoped_parametrized_fixture_orders_items_across_modules(fastest_bin, python_exe, tmp_path):
    # pytest groups items by a session-scoped fixture's values across modules (all of one
    # value's tests first): the settled listing follows pytest's order, not module by module.
    write_tree(tmp_path, {
        "pytest.ini": "[pytest]\n",
        "conftest.py": "import pytest\n\n@pytest.fixture(scope='session', params=['native', 'speedups'])\n"
                       "def impl(request):\n    return request.param\n",
        "test_a.py": "def test_one(impl):\n    pass\n\ndef test_two(impl):\n    pass\n",
        "test_b.py": "def test_three(impl):\n    pass\n",
    })
    assert_parity(fastest_bin, python_exe, tmp_path)
    assert fastest_discover(fastest_bin, python_exe, tmp_path)[1][:4] == [
        "test_a.py::test_one[native]", "test_a.py::test_two[native]", "test_b.py::test_three[native]",
        "test_a.py::test_one[speedups]"]


def test_range_of_int_literals_is_static_and_equal(fastest_bin, python_exe, tmp_path):
    write_tree(tmp_path, {
        "pytest.ini": "[pytest]\nmarkers =\n    stress: long\naddopts = -m 'not stress'\n",
        "test_r.py": "import pytest\n\n@pytest.mark.parametrize('i', range(3))\ndef test_a(i): pass\n\n"
                     "@pytest.mark.parametrize('i', range(-2, 5, 3))\n@pytest.mark.parametrize('j', range(2))\n"
                     "def test_b(i, j): pass\n\n@pytest.mark.stress\n@pytest.mark.parametrize('i', range(1_000))\n"
                     "def test_stress(i): pass\n",
    })
    assert_parity(fastest_bin, python_exe, tmp_path)
    static = subprocess.run([fastest_bin, "discover", "--python", python_exe, "--no-settle"], cwd=tmp_path,
                            capture_output=True, text=True)
    assert "is dynamic" not in static.stderr
    assert normalise(static.stdout)[-1] == "9/1009 tests collected (1000 deselected)"


def test_a_class_that_fails_to_collect_is_headed_by_its_file(fastest_bin, python_exe, tmp_path):
    # pytest warns that it cannot collect a test class with __init__; `filterwarnings = error`
    # makes that the class's collection error, whose ERRORS headline names the file.
    write_tree(tmp_path, {
        "pytest.ini": "[pytest]\nfilterwarnings =\n    error\n",
        "test_cls.py": "import pytest\n\nclass TestWithInit:\n    def __init__(self):\n        pass\n\n"
                       "    def test_never(self):\n        pass\n\n"
                       "@pytest.mark.parametrize('n', [int(i) for i in range(2)])\ndef test_dynamic(n):\n    pass\n",
    })
    proc = assert_error_parity(fastest_bin, python_exe, tmp_path)
    assert "ERROR collecting test_cls.py _" in proc.stdout and "ERROR test_cls.py::TestWithInit" in proc.stdout
    ref = subprocess.run([python_exe, "-m", "pytest", "-p", "no:cacheprovider"], cwd=tmp_path, capture_output=True, text=True)
    run = subprocess.run([fastest_bin, "run", "--python", python_exe], cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == ref.returncode == 2
    banners = lambda out: [line for line in out.splitlines() if line.startswith(("_", "ERROR", "!!!"))]
    assert banners(run.stdout) == banners(ref.stdout)


def test_a_hook_raising_while_collecting_is_pytests_internal_error(fastest_bin, python_exe, tmp_path):
    # pytest lists the ids, then its INTERNALERROR lines, then the closing line, and exits 3.
    write_tree(tmp_path, {
        "pytest.ini": "[pytest]\n",
        "conftest.py": "def pytest_collection_modifyitems(items):\n    raise RuntimeError('hook broke')\n",
        "test_a.py": "def test_a():\n    pass\n\ndef test_b():\n    pass\n",
    })
    ref = subprocess.run([python_exe, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"], cwd=tmp_path,
                         capture_output=True, text=True)
    proc = subprocess.run([fastest_bin, "discover", "--python", python_exe], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == ref.returncode == 3
    shape = lambda out: [line for line in normalise(out) if not line.startswith("INTERNALERROR>   ")]
    assert shape(proc.stdout) == shape(ref.stdout), proc.stdout
