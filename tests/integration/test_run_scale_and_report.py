"""Issue 12's runs: many files, the header's count, plugins' warnings, long-running tests, the
closing line — each against real pytest on a small tree."""
import os
import re
import subprocess
import time

import pytest

from test_run_parity import make_project


def run(cmd, project, env=None, timeout=300):
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=project, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})
    return proc, time.perf_counter() - started


def closing_line(stdout):
    return stdout.strip().splitlines()[-1].split(" in ")[0].strip("= ")


def collected_line(stdout):
    return next(line for line in stdout.splitlines() if line.startswith("collected "))


def percentages(stdout):
    return [int(p) for p in re.findall(r"\[\s*(\d+)%\]", stdout)]


# --- item 8: runs scale with the number of files ---------------------------------------------
def test_a_thousand_one_test_files_run_about_as_fast_as_pytest(fastest_bin, python_exe, tmp_path):
    # One trivial test per file: each batch collected its folder whole and matched every
    # argument against every file (quadratic), and the progress walked every file per result.
    files = {"pytest.ini": "[pytest]\n"}
    files.update({f"tests/test_f{i:04d}.py": "def test_x():\n    pass\n" for i in range(1000)})
    project = make_project(tmp_path, files)
    ours_cmd = [fastest_bin, "run", "--python", python_exe, "-n", "2"]
    theirs_cmd = [python_exe, "-m", "pytest", "-p", "no:cacheprovider"]
    for attempt in range(2):  # without, then with recorded durations (other batches)
        proc, ours = run(ours_cmd, project)
        ref, theirs = run(theirs_cmd, project)
        assert proc.returncode == ref.returncode == 0, proc.stdout[-2000:] + proc.stderr
        assert closing_line(proc.stdout) == closing_line(ref.stdout) == "1000 passed"
        assert percentages(proc.stdout) == sorted(percentages(proc.stdout))
        # Measured on 2 cores: pytest ~1 s, fastest before the fix ~30 s. Generous for a busy machine.
        assert ours < 3 * theirs + 3, (ours, theirs)


def test_files_given_one_by_one_keep_what_pytest_does_with_arguments(fastest_bin, python_exe, tmp_path):
    # A batch gives pytest a folder for a run of whole modules in it (no k * k matching); the
    # files must still count as given: one that python_files does not match, or that
    # collect_ignore lists, is collected when named; the folder's other files are not.
    files = {
        "pytest.ini": "[pytest]\n",
        "tests/unit/conftest.py": "collect_ignore = ['test_ignored.py']\n",
        "tests/unit/check_named.py": "def test_in_check():\n    pass\n",
        "tests/unit/test_ignored.py": "def test_in_ignored():\n    pass\n",
        "tests/unit/test_other.py": "def test_not_named():\n    assert 0\n",
        "tests/sub/__init__.py": "",
        "tests/sub/test_deep.py": "def test_deep():\n    pass\n",
    }
    files.update({f"tests/unit/test_f{i}.py": f"def test_{i}():\n    pass\n" for i in range(6)})
    project = make_project(tmp_path, files)
    named = ["tests/unit/check_named.py", "tests/unit/test_ignored.py", *[f"tests/unit/test_f{i}.py" for i in range(6)],
             "tests/sub/test_deep.py"]
    ref = subprocess.run([python_exe, "-m", "pytest", "-p", "no:cacheprovider", "-v", *named], cwd=project,
                         capture_output=True, text=True, timeout=120)
    expected = sorted(re.findall(r"^(tests/\S+::\S+) PASSED", ref.stdout, re.M))
    assert len(expected) == 9, ref.stdout
    for workers in ("1", "2"):
        proc = subprocess.run([fastest_bin, "run", "--python", python_exe, "-n", workers, "-v", *named],
                              cwd=project, capture_output=True, text=True, timeout=120)
        assert proc.returncode == ref.returncode == 0, proc.stdout + proc.stderr
        assert sorted(re.findall(r"^(tests/\S+::\S+) PASSED", proc.stdout, re.M)) == expected, proc.stdout
        assert closing_line(proc.stdout) == closing_line(ref.stdout) == "9 passed"


# --- item 10: the header's count is pytest's -------------------------------------------------
DYNAMIC_CASES = """import pytest

def cases(sentinel=id(())):  # only pytest lists the cases
    return list(range(20))

@pytest.mark.parametrize("i", cases())
def test_computed(i):
    pass

def test_plain():
    pass
"""


@pytest.mark.parametrize("extra", [[], ["-k", "computed"]])
def test_header_counts_dynamic_items_as_pytest_collects_them(fastest_bin, python_exe, tmp_path, extra):
    project = make_project(tmp_path, {
        "pytest.ini": "[pytest]\n",
        "test_dyn.py": DYNAMIC_CASES,
        "test_static.py": "def test_a():\n    pass\n\ndef test_b():\n    pass\n",
    })
    ref, _ = run([python_exe, "-m", "pytest", "-p", "no:cacheprovider", *extra], project)
    proc, _ = run([fastest_bin, "run", "--python", python_exe, "-n", "2", *extra], project)
    assert proc.returncode == ref.returncode == 0, proc.stdout + proc.stderr
    assert collected_line(proc.stdout) == collected_line(ref.stdout)
    assert closing_line(proc.stdout) == closing_line(ref.stdout)
    shown = percentages(proc.stdout)
    assert shown == sorted(shown) and shown[-1] == 100, proc.stdout


# --- item 13: a test running long is named ---------------------------------------------------
def test_tests_running_past_the_threshold_are_named(fastest_bin, python_exe, tmp_path):
    project = make_project(tmp_path, {
        "pytest.ini": "[pytest]\n",
        "test_slow.py": "import time\n\ndef test_sleeps():\n    time.sleep(3)\n",
        "test_quick.py": "def test_quick():\n    pass\n",
    })
    proc, _ = run([fastest_bin, "run", "--python", python_exe, "-n", "2", "--still-running-after", "1"], project)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 test has been running for more than 1 s:" in proc.stderr
    assert re.search(r"^  test_slow.py::test_sleeps \(\d+ s\)$", proc.stderr, re.M), proc.stderr
    assert "test_quick" not in proc.stderr
    assert "running for more than" not in proc.stdout  # pytest's own output stays pytest's
    proc, _ = run([fastest_bin, "run", "--python", python_exe, "-n", "2", "--still-running-after", "0"], project)
    assert "running for more than" not in proc.stderr


# --- item 12: pytest-cov in addopts ----------------------------------------------------------
@pytest.mark.parametrize("addopts, code", [("--cov=pkg --cov-fail-under=99", 1), ("--cov pkg --cov-fail-under 50", 0)])
def test_pytest_cov_in_addopts_reports_and_judges_as_in_pytest(fastest_bin, python_exe, tmp_path, addopts, code):
    pytest.importorskip("pytest_cov")
    project = make_project(tmp_path, {
        "pytest.ini": f"[pytest]\naddopts = {addopts}\n",
        "pkg/__init__.py": "",
        "pkg/mod.py": "def used():\n    return 1\n\n\ndef unused():\n    return 2\n",
        "test_mod.py": "from pkg.mod import used\n\ndef test_used():\n    assert used() == 1\n",
    })
    ref, _ = run([python_exe, "-m", "pytest", "-p", "no:cacheprovider"], project)
    proc, _ = run([fastest_bin, "run", "--python", python_exe, "-n", "2"], project)
    assert proc.returncode == ref.returncode == code, proc.stdout + proc.stderr
    total = next(line for line in ref.stdout.splitlines() if line.startswith("TOTAL"))
    assert total in proc.stdout.splitlines(), proc.stdout
    verdict = [line for line in ref.stdout.splitlines() if line.startswith(("FAIL Required", "Required test coverage"))]
    assert verdict and verdict[0] in proc.stdout.splitlines(), proc.stdout


# --- item 9: warnings raised while plugins load, or while importing shared code --------------
def warnings_tail(stdout):
    lines = stdout.splitlines()
    start = next((i for i, line in enumerate(lines) if "warnings summary" in line), len(lines) - 1)
    return lines[start:-1] + [closing_line(stdout)]


@pytest.mark.parametrize("workers", ["1", "2"])
def test_warnings_outside_tests_are_shown_once_as_pytest_shows_them(fastest_bin, python_exe, tmp_path, workers):
    # A plugin that warns as it loads broke the prepared session of a worker pool (its plugin
    # had no channel yet) and its warning was lost; a helper imported by modules of several
    # batches warned once per batch, where pytest imports it once.
    project = make_project(tmp_path, {
        "pytest.ini": "[pytest]\naddopts = -p noisy_plugin\n",
        "noisy_plugin.py": "import warnings\nwarnings.warn('noisy plugin loading', UserWarning)\n",
        "helper.py": "import warnings\nwarnings.warn('helper imported', UserWarning)\n",
        **{f"test_m{i}.py": "import helper\n\ndef test_x():\n    pass\n" for i in range(4)},
    })
    env = {"PYTHONPATH": str(project)}
    ref, _ = run([python_exe, "-m", "pytest", "-p", "no:cacheprovider"], project, env=env)
    assert "2 warnings" in closing_line(ref.stdout)
    for _ in range(2):  # without, then with recorded durations (other batches)
        proc, _ = run([fastest_bin, "run", "--python", python_exe, "-n", workers], project, env=env)
        assert proc.returncode == ref.returncode == 0, proc.stdout + proc.stderr
        assert warnings_tail(proc.stdout) == warnings_tail(ref.stdout)


# --- item 11: pytest 9's passed subtests in the closing line ---------------------------------
SUBTESTS = '''import unittest


def test_a(subtests):
    for i in range(3):
        with subtests.test(i=i):
            assert i < 2


def test_b(subtests):
    for i in range(2):
        with subtests.test(i=i):
            pass


class T(unittest.TestCase):
    def test_u(self):
        for i in range(2):
            with self.subTest(i=i):
                pass
'''


@pytest.mark.parametrize("verbosity", [[], ["-v"]])
def test_passed_subtests_are_counted_as_pytest_counts_them(fastest_bin, python_exe, tmp_path, verbosity):
    project = make_project(tmp_path / "p", {"test_s.py": SUBTESTS, "pytest.ini": "[pytest]\n"})
    ours, _ = run([str(fastest_bin), "run", "--python", python_exe, "-n", "2", *verbosity], project)
    theirs, _ = run([python_exe, "-m", "pytest", "-p", "no:cacheprovider", *verbosity], project)
    assert ours.returncode == theirs.returncode == 1
    assert closing_line(ours.stdout) == closing_line(theirs.stdout)
    if verbosity:
        assert closing_line(ours.stdout) == "2 failed, 2 passed, 6 subtests passed"
