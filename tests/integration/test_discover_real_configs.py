"""`fastest discover` against real `pytest --collect-only -q` on configurations found in real
projects (round 5 of docs/discovery-parity.md): each case is a small tree with the general
pattern, compared byte for byte (timings aside) with pytest's stdout and exit code.
"""
import os
import re
import subprocess
import textwrap


def without_timing(output: str) -> str:
    return re.sub(r" in \d+\.\d+s", "", output)


def pytest_collect(python_exe, cwd, *args):
    proc = subprocess.run([python_exe, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *args],
                          cwd=cwd, capture_output=True, text=True)
    return proc.returncode, without_timing(proc.stdout)


def fastest_discover(fastest_bin, python_exe, cwd, *args):
    proc = subprocess.run([fastest_bin, "discover", "--python", python_exe, *args],
                          cwd=cwd, capture_output=True, text=True)
    return proc.returncode, without_timing(proc.stdout)


def write_tree(root, files):
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


TESTS = """
    import pytest

    @pytest.mark.parametrize("n", [1, 2])
    def test_param(n):
        pass

    def test_plain():
        pass
"""


def test_addopts_option_values_are_not_paths(fastest_bin, python_exe, tmp_path):
    """pytest's options that take a separate value (`--doctest-report ndiff`, `--log-file-mode w`)
    in addopts: the value is not a path to collect (it was: 'file or directory not found')."""
    write_tree(tmp_path, {
        "pytest.ini": """
            [pytest]
            addopts = --doctest-report ndiff --log-file-mode w --log-cli-format %(message)s
        """,
        "test_a.py": TESTS,
    })
    expected = pytest_collect(python_exe, tmp_path)
    assert expected[0] == 0
    assert fastest_discover(fastest_bin, python_exe, tmp_path) == expected


def test_ini_lines_longer_than_200_characters(fastest_bin, python_exe, tmp_path):
    """A tox.ini whose other sections hold a long line (tox's envlist), and a long value in the
    [pytest] section itself: pytest's ini parser has no line limit."""
    long_envlist = ", ".join(f"py{n}-extra{n}" for n in range(40))
    long_ignores = " ".join(f"--ignore=skipped_{n}" for n in range(20))
    write_tree(tmp_path, {
        "tox.ini": f"""
            [tox]
            envlist = {long_envlist}

            [pytest]
            addopts = {long_ignores} --ignore=test_ignored.py
        """,
        "test_a.py": TESTS,
        "test_ignored.py": TESTS,
    })
    expected = pytest_collect(python_exe, tmp_path)
    assert expected[0] == 0 and "test_ignored" not in expected[1]
    assert fastest_discover(fastest_bin, python_exe, tmp_path) == expected


def test_conftest_hook_pytest_cannot_register(fastest_bin, python_exe, tmp_path):
    """A conftest hook with an argument pytest's hookspec does not have (the py.path `path` of
    pytest < 9): pytest dies registering the conftest (PluginValidationError, exit 1, nothing on
    stdout); fastest said `no tests collected`, exit 5."""
    write_tree(tmp_path, {
        "tests/conftest.py": """
            def pytest_collect_file(file_path, path, parent):
                return None
        """,
        "tests/test_a.py": TESTS,
    })
    expected = pytest_collect(python_exe, tmp_path)
    assert expected[0] == 1
    proc = subprocess.run([fastest_bin, "discover", "--python", python_exe], cwd=tmp_path,
                          capture_output=True, text=True)
    assert (proc.returncode, without_timing(proc.stdout)) == expected
    assert "PluginValidationError" in proc.stderr and "{'path'}" in proc.stderr


def test_color_yes_in_addopts_colours_the_closing_line(fastest_bin, python_exe, tmp_path):
    """`--color=yes` in addopts (python-slugify, wcwidth): pytest colours its closing line even
    into a pipe, green, yellow when every test is deselected."""
    write_tree(tmp_path, {
        "pytest.ini": """
            [pytest]
            addopts = --color=yes
        """,
        "test_a.py": TESTS,
    })
    for args in ([], ["-k", "plain"], ["-k", "nothing_matches"]):
        expected = pytest_collect(python_exe, tmp_path, *args)
        assert "\x1b[" in expected[1]
        assert fastest_discover(fastest_bin, python_exe, tmp_path, *args) == expected


def test_py_colors_and_color_no(fastest_bin, python_exe, tmp_path):
    """PY_COLORS=1 colours as `--color=yes` does; `--color=no` in addopts wins over it."""
    write_tree(tmp_path, {"test_a.py": TESTS, "sub/pytest.ini": "[pytest]\naddopts = --color=no\n",
                          "sub/test_b.py": TESTS})
    env = dict(os.environ, PY_COLORS="1")
    for cwd, coloured in ((tmp_path, True), (tmp_path / "sub", False)):
        expected = subprocess.run([python_exe, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
                                  cwd=cwd, capture_output=True, text=True, env=env)
        actual = subprocess.run([fastest_bin, "discover", "--python", python_exe], cwd=cwd,
                                capture_output=True, text=True, env=env)
        assert ("\x1b[" in expected.stdout) == coloured
        assert (actual.returncode, without_timing(actual.stdout)) == (expected.returncode, without_timing(expected.stdout))


def test_rootdir_without_a_config_file_is_the_common_ancestor_with_the_invocation_dir(fastest_bin, python_exe, tmp_path):
    # No config file and no setup.py anywhere above: pytest's rootdir is the common ancestor of
    # the arguments *and the invocation dir*, so ids keep the `pkg/` the user typed.
    write_tree(tmp_path, {"pkg/test_a.py": TESTS, "pkg/sub/test_b.py": TESTS, "other/test_c.py": TESTS})
    for args in (["pkg"], ["pkg/sub"], ["pkg/sub/test_b.py"], ["pkg", "other"]):
        expected = pytest_collect(python_exe, tmp_path, *args)
        assert expected[0] == 0 and "pkg/" in expected[1], expected
        assert fastest_discover(fastest_bin, python_exe, tmp_path, *args) == expected, args
    # Run from inside the package, naming a sibling folder: the common ancestor is above both.
    expected = pytest_collect(python_exe, tmp_path / "pkg", "../other")
    assert fastest_discover(fastest_bin, python_exe, tmp_path / "pkg", "../other") == expected
    # A pyproject.toml without a pytest table still marks the rootdir (pytest 8.1+), before setup.py.
    write_tree(tmp_path, {"pkg/pyproject.toml": "[project]\nname = 'pkg'\n", "setup.py": ""})
    expected = pytest_collect(python_exe, tmp_path, "pkg")
    assert fastest_discover(fastest_bin, python_exe, tmp_path, "pkg") == expected
