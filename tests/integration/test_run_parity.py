"""`fastest run` judges every test as pytest does: compare both JUnit XML reports."""
import json
import os
import re
import subprocess
import xml.etree.ElementTree as ET

import pytest


def outcomes(junit_path):
    result = {}
    for case in ET.parse(junit_path).getroot().iter("testcase"):
        key = (case.get("classname"), case.get("name"))
        kinds = [child.tag for child in case if child.tag in ("failure", "error", "skipped")]
        result[key] = kinds[0] if kinds else "passed"
    return result


def test_outcomes_equal_pytest_on_test_project(fastest_bin, python_exe, test_project, tmp_path):
    ours, theirs = tmp_path / "fastest.xml", tmp_path / "pytest.xml"
    proc = subprocess.run([fastest_bin, "run", "--python", python_exe, "--junitxml", str(ours)],
                          cwd=test_project, capture_output=True, text=True, timeout=300)
    ref = subprocess.run([python_exe, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--junitxml", str(theirs)],
                         cwd=test_project, capture_output=True, text=True, timeout=300)
    assert proc.returncode == ref.returncode == 1, proc.stdout + proc.stderr
    assert outcomes(ours) == outcomes(theirs)
    # The closing line has pytest's counts.
    assert "3 failed, 45 passed, 2 skipped, 2 xfailed" in proc.stdout.splitlines()[-1]


def test_failures_section_shows_pytests_explanation(fastest_bin, python_exe, test_project):
    proc = subprocess.run([fastest_bin, "run", "--python", python_exe,
                           "tests/unit/test_stock.py::test_fails_on_purpose_wrong_count"],
                          cwd=test_project, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "= FAILURES =" in proc.stdout
    assert "assert 2 == 3" in proc.stdout
    # pytest trims the reason to its 80 columns ("Assertio...") unless on CI, and so do we.
    assert "FAILED tests/unit/test_stock.py::test_fails_on_purpose_wrong_count - Assertio" in proc.stdout


def test_select_with_k_and_m_and_json(fastest_bin, python_exe, test_project):
    proc = subprocess.run([fastest_bin, "run", "--python", python_exe, "--json", "-m", "slow"],
                          cwd=test_project, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads(proc.stdout)
    ids = sorted(r["id"] for r in data["results"])
    assert ids == ["tests/integration/test_workflow.py::test_dynamic_range[0]",
                   "tests/integration/test_workflow.py::test_dynamic_range[1]",
                   "tests/integration/test_workflow.py::test_dynamic_range[2]",
                   "tests/unit/test_stock.py::test_slow_marked"]
    proc = subprocess.run([fastest_bin, "run", "--python", python_exe, "--json", "-k", "Nested and deepest"],
                          cwd=test_project, capture_output=True, text=True, timeout=120)
    assert [r["id"] for r in json.loads(proc.stdout)["results"]] == \
        ["tests/unit/test_classes.py::TestStockBasics::TestNested::TestDeeper::test_deepest"]


def test_no_tests_is_exit_5(fastest_bin, python_exe, tmp_path):
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    proc = subprocess.run([fastest_bin, "run", "--python", python_exe], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 5


def test_missing_interpreter_is_a_clear_error(fastest_bin, tmp_path):
    (tmp_path / "test_a.py").write_text("def test_a(): pass\n")
    proc = subprocess.run([fastest_bin, "run", "--python", "/nonexistent/python"], cwd=tmp_path,
                          capture_output=True, text=True)
    assert proc.returncode == 4
    assert "interpreter" in proc.stderr.lower()


@pytest.mark.parametrize("workers", ["1", "2"])  # one worker, or a pool forked into two
def test_interpreter_without_pytest_names_what_to_install(fastest_bin, tmp_path, workers):
    venv = tmp_path / "bare"
    subprocess.run(["python3", "-m", "venv", "--without-pip", str(venv)], check=True)
    (tmp_path / "test_a.py").write_text("def test_a(): pass\n")
    (tmp_path / "test_b.py").write_text("def test_b(): pass\n")
    proc = subprocess.run([fastest_bin, "run", "--python", str(venv / "bin" / "python"), "-n", workers],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 4
    assert "pip install pytest" in proc.stderr


# --- generated tiny projects, each a pytest rule found broken on a real project ----------------

def make_project(root, files):
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def compare_with_pytest(fastest_bin, python_exe, project, *args, timeout=120):
    """Run both on `project`; return (fastest proc, pytest proc, fastest outcomes, pytest outcomes)."""
    ours, theirs = project / "fastest.xml", project / "pytest.xml"
    proc = subprocess.run([fastest_bin, "run", "--python", python_exe, "--junitxml", str(ours), *args],
                          cwd=project, capture_output=True, text=True, timeout=timeout)
    ref = subprocess.run([python_exe, "-m", "pytest", "-p", "no:cacheprovider", "--junitxml", str(theirs)],
                         cwd=project, capture_output=True, text=True, timeout=timeout)
    return proc, ref, outcomes(ours), outcomes(theirs)


def test_cases_a_conftest_fixture_parametrizes_run_as_pytest_expands_them(fastest_bin, python_exe, tmp_path):
    # markupsafe: a session fixture in conftest.py parametrized by module objects adds a
    # parameter to every id; the static case ids are guesses pytest cannot find.
    project = make_project(tmp_path, {
        "pytest.ini": "[pytest]\n",
        "conftest.py": "import json, os, pytest\n\n"
                       "@pytest.fixture(scope='session', autouse=True, params=(json, os))\n"
                       "def _mod(request):\n    return request.param\n",
        "test_escape.py": "import pytest\n\n"
                          "@pytest.mark.parametrize('value', ['', 'a&b'])\n"
                          "def test_escape(value):\n    assert value != 'a&b'\n\n"
                          "def test_plain():\n    pass\n",
    })
    proc, ref, ours, theirs = compare_with_pytest(fastest_bin, python_exe, project, "-n", "1")
    assert proc.returncode == ref.returncode == 1, proc.stdout + proc.stderr
    assert ours == theirs
    assert "2 failed, 4 passed" in proc.stdout.splitlines()[-1]


def test_a_batch_that_dies_while_collecting_is_reported_not_rerun_forever(fastest_bin, python_exe, tmp_path):
    project = make_project(tmp_path, {
        "pytest.ini": "[pytest]\n",
        "test_dies.py": "import os\nos._exit(3)\n\ndef test_never():\n    pass\n",
        "test_fine.py": "def test_fine():\n    pass\n",
    })
    proc = subprocess.run([fastest_bin, "run", "--python", python_exe, "-n", "1", "--json"],
                          cwd=project, capture_output=True, text=True, timeout=60)
    results = {r["id"]: r for r in json.loads(proc.stdout)["results"]}
    assert results["test_fine.py::test_fine"]["outcome"] == "passed"
    assert results["test_dies.py::test_never"]["outcome"] == "crashed"
    assert "exited with status 3" in results["test_dies.py::test_never"]["message"]
    assert proc.returncode == 1


def junit_elements(junit_path):
    """(classname, name) -> the tags and messages of each testcase's failure/error/skipped elements."""
    return {(case.get("classname"), case.get("name")):
            [(child.tag, child.get("message")) for child in case if child.tag in ("failure", "error", "skipped")]
            for case in ET.parse(junit_path).getroot().iter("testcase")}


def run_both(fastest_bin, python_exe, project, *args, fastest_args=()):
    """`pytest ARGS` and `fastest run [FASTEST_ARGS] ARGS` in `project`: (pytest's, fastest's)."""
    ref = subprocess.run([python_exe, "-m", "pytest", "-p", "no:cacheprovider", *args], cwd=project,
                         capture_output=True, text=True, timeout=120)
    proc = subprocess.run([fastest_bin, "run", "--python", python_exe, *fastest_args, *args], cwd=project,
                          capture_output=True, text=True, timeout=120)
    return ref, proc


def closing_line(stdout):
    return stdout.strip().splitlines()[-1].split(" in ")[0].strip("= ")


SUBTESTS = """import unittest


class TestUnittest(unittest.TestCase):
    def test_one_subtest_fails(self):
        for i in range(3):
            with self.subTest(i=i):
                self.assertNotEqual(i, 1)

    def test_subtests_pass(self):
        for i in range(2):
            with self.subTest(i=i):
                pass

    def test_subtest_skips(self):
        with self.subTest(i=0):
            self.skipTest("not here")


def test_fixture_subtest_fails(subtests):
    for i in range(3):
        with subtests.test(msg="m", i=i):
            assert i != 2


def test_fixture_subtests_pass(subtests):
    with subtests.test(i=0):
        pass


def test_subtest_and_test_fail(subtests):
    with subtests.test(i=0):
        assert 0
    assert 0
"""


def test_subtests_are_judged_and_counted_as_pytest_does(fastest_bin, python_exe, tmp_path):
    # more-itertools, cachetools: unittest subTest; pytest >= 9 has the `subtests` fixture too.
    # The closing line counts the test's own report (a unittest test whose subTest failed stays
    # "passed" there) plus one "failed" per failed subtest; JUnit has an element for each.
    project = make_project(tmp_path, {"pytest.ini": "[pytest]\n", "test_sub.py": SUBTESTS})
    proc, ref, _, _ = compare_with_pytest(fastest_bin, python_exe, project, "-n", "1")
    assert proc.returncode == ref.returncode == 1, proc.stdout + proc.stderr
    assert closing_line(proc.stdout) == closing_line(ref.stdout) == "5 failed, 4 passed"
    assert junit_elements(project / "fastest.xml") == junit_elements(project / "pytest.xml")
    sub_failed = "SUBFAILED(i=1) test_sub.py::TestUnittest::test_one_subtest_fails - AssertionE"
    assert sub_failed in ref.stdout and sub_failed in proc.stdout
    assert "FAILED test_sub.py::TestUnittest::test_one_subtest_fails" not in proc.stdout
    results = {r["id"]: r["outcome"] for r in json.loads(subprocess.run(
        [fastest_bin, "run", "--python", python_exe, "--json"], cwd=project, capture_output=True, text=True,
        timeout=120).stdout)["results"]}
    # fastest's verdict on the test: a failed subtest fails it.
    assert results["test_sub.py::TestUnittest::test_one_subtest_fails"] == "failed"
    assert results["test_sub.py::TestUnittest::test_subtests_pass"] == "passed"


def test_tests_run_at_pytests_default_verbosity(fastest_bin, python_exe, tmp_path):
    # Verbosity changes what pytest reports (passed subtests are counted unless it is exactly 0)
    # and what tests see.
    project = make_project(tmp_path, {
        "pytest.ini": "[pytest]\n",
        "test_verbosity.py": "def test_default_verbosity(pytestconfig):\n"
                             "    assert pytestconfig.get_verbosity() == 0\n",
    })
    proc, ref, ours, theirs = compare_with_pytest(fastest_bin, python_exe, project)
    assert proc.returncode == ref.returncode == 0, proc.stdout + proc.stderr
    assert ours == theirs


def test_captured_output_of_each_phase_is_shown_once(fastest_bin, python_exe, tmp_path):
    # Each phase's report repeats the sections of the phases before it.
    project = make_project(tmp_path, {
        "test_output.py": "import pytest\n\n"
                          "@pytest.fixture\ndef noisy():\n    print('from', 'setup')\n    yield\n"
                          "    print('from', 'teardown')\n\n"
                          "def test_prints(noisy):\n    print('from', 'call')\n    assert 0\n",
    })
    proc = subprocess.run([fastest_bin, "run", "--python", python_exe], cwd=project, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 1
    assert [proc.stdout.count(f"from {phase}") for phase in ("setup", "call", "teardown")] == [1, 1, 1]


def test_a_module_that_fails_to_collect_interrupts_the_session_as_in_pytest(fastest_bin, python_exe, tmp_path):
    # markdown: `filterwarnings = error` turns a collection warning into an error; pytest then
    # runs nothing (exit 2) unless --continue-on-collection-errors, and the module's tests are
    # not tests at all (one error, not one per test).
    for extra in ([], ["--continue-on-collection-errors"]):
        project = make_project(tmp_path / ("continue" if extra else "stop"), {
            "pytest.ini": "[pytest]\n",
            "test_bad.py": "import not_a_module_anywhere\n\ndef test_a():\n    pass\n\ndef test_b():\n    pass\n",
            "test_ok.py": "def test_ok():\n    pass\n\ndef test_fails():\n    assert 0\n",
        })
        proc = subprocess.run([fastest_bin, "run", "--python", python_exe, *extra], cwd=project,
                              capture_output=True, text=True, timeout=120)
        ref = subprocess.run([python_exe, "-m", "pytest", "-p", "no:cacheprovider", *extra], cwd=project,
                             capture_output=True, text=True, timeout=120)
        assert proc.returncode == ref.returncode == (1 if extra else 2), proc.stdout + proc.stderr
        assert closing_line(proc.stdout) == closing_line(ref.stdout)
        assert ("Interrupted: 1 error during collection" in proc.stdout) == (not extra)


def test_modules_that_fail_or_skip_at_import_cost_no_other_module_its_tests(fastest_bin, python_exe, tmp_path):
    # With history, a batch holds node ids of several modules; pytest stops a session with
    # "found no collectors" for a node id whose module did not import or skipped itself.
    # Every run must still count like pytest's: one error per broken module, one skip per
    # skipped module, every other test run.
    ok_tests = "".join(f"def test_ok_{i}():\n    pass\n\n" for i in range(6))
    project = make_project(tmp_path / "mixed", {
        "pytest.ini": "[pytest]\n",
        "test_a_ok.py": ok_tests,
        "test_b_bad.py": "import not_a_module_anywhere\n\n" + ok_tests,
        "test_c_skipped.py": "import pytest\npytest.skip('not here', allow_module_level=True)\n\n" + ok_tests,
        "test_d_ok.py": ok_tests,
    })
    for extra in (["--continue-on-collection-errors"], []):
        ref = subprocess.run([python_exe, "-m", "pytest", "-p", "no:cacheprovider", *extra], cwd=project,
                             capture_output=True, text=True, timeout=120)
        for attempt in range(3):  # the first run has no history; later ones mix modules per batch
            proc = subprocess.run([fastest_bin, "run", "--python", python_exe, "-n", "2", *extra], cwd=project,
                                  capture_output=True, text=True, timeout=120)
            assert proc.returncode == ref.returncode, proc.stdout + proc.stderr
            assert closing_line(proc.stdout) == closing_line(ref.stdout), proc.stdout
            assert "found no collectors" not in proc.stdout
            assert proc.stdout.count("ERROR test_b_bad.py") == 1


REPORT_KINDS = """import pytest

@pytest.mark.skip(reason="marked")
def test_skip_mark(): pass

@pytest.mark.skipif(True, reason="cond")
def test_skipif(): pass

def test_skip_call():
    pytest.skip("called")

@pytest.mark.xfail(reason="known bug")
def test_xfail(): assert 0

@pytest.mark.xfail(reason="fixed?")
def test_xpass(): pass

@pytest.mark.xfail
def test_xfail_without_reason(): assert 0

def test_fails_with_a_long_message():
    assert "a" * 50 == "b" * 50

@pytest.fixture
def broken():
    raise RuntimeError("fixture broke")

def test_error(broken): pass

def test_passes(): pass
"""


def short_summary(stdout):
    lines = stdout.splitlines()
    start = next((i for i, line in enumerate(lines) if "short test summary info" in line), len(lines))
    return lines[start:-1]  # without the closing line's duration


@pytest.mark.parametrize("options, addopts", [([], ""), (["-ra"], ""), (["-rA"], ""), (["-rsxX"], ""),
                                              (["-rN"], ""), (["-rpfE"], ""), ([], "-rsx"), (["-rf"], "-ra")])
def test_short_test_summary_follows_r_as_in_pytest(fastest_bin, python_exe, tmp_path, options, addopts):
    project = make_project(tmp_path / "r", {
        "pytest.ini": "[pytest]\n" + (f"addopts = {addopts}\n" if addopts else ""),
        "test_kinds.py": REPORT_KINDS,
        "test_skipped_module.py": "import pytest\npytest.importorskip('not_a_module_anywhere')\n\ndef test_x(): pass\n",
    })
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "BUILD_NUMBER")}
    ref = subprocess.run([python_exe, "-m", "pytest", "-p", "no:cacheprovider", *options], cwd=project,
                         capture_output=True, text=True, timeout=120, env=env)
    proc = subprocess.run([fastest_bin, "run", "--python", python_exe, *options], cwd=project,
                          capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == ref.returncode == 1
    assert short_summary(proc.stdout) == short_summary(ref.stdout)
    assert closing_line(proc.stdout) == closing_line(ref.stdout)


def junit_rows(path):
    root = ET.parse(path).getroot()
    suite = root.find("testsuite")
    counts = {key: suite.get(key) for key in ("tests", "errors", "failures", "skipped")}
    rows = [(case.get("classname"), case.get("name"),
             [(child.tag, child.get("type"), child.get("message"), child.text or "") for child in case
              if child.tag not in ("system-out", "system-err")])
            for case in root.iter("testcase")]
    return counts, rows


@pytest.mark.parametrize("extra", [[], ["--continue-on-collection-errors"]])
def test_junit_xml_reads_like_pytests(fastest_bin, python_exe, tmp_path, extra):
    # What a CI system shows: one testcase per module that failed or skipped at collection,
    # skip and xfail reasons, "failed on setup with ...", messages with their line breaks.
    project = make_project(tmp_path / "junit", {
        "pytest.ini": "[pytest]\n",
        "test_kinds.py": REPORT_KINDS,
        "test_broken.py": "import not_a_module_anywhere\n\ndef test_never(): pass\n",
        "sub/test_skipped_module.py": "import pytest\npytest.importorskip('not_a_module_anywhere')\n\ndef test_x(): pass\n",
    })
    subprocess.run([python_exe, "-m", "pytest", "-p", "no:cacheprovider", "--junitxml", str(tmp_path / "pytest.xml"),
                    *extra], cwd=project, capture_output=True, timeout=120)
    subprocess.run([fastest_bin, "run", "--python", python_exe, "--junitxml", str(tmp_path / "fastest.xml"), *extra],
                   cwd=project, capture_output=True, timeout=120)
    assert junit_rows(tmp_path / "fastest.xml") == junit_rows(tmp_path / "pytest.xml")


def test_warnings_summary_and_count_as_in_pytest(fastest_bin, python_exe, tmp_path):
    project = make_project(tmp_path / "warnings", {
        "pytest.ini": "[pytest]\n",
        "test_import_warns.py": "import warnings\nwarnings.warn('at import', UserWarning)\n\ndef test_plain(): pass\n",
        "test_warns.py": """import warnings
import pytest

def test_one():
    warnings.warn("careful", UserWarning)

@pytest.mark.parametrize("i", range(12))
def test_many(i):
    warnings.warn("again and again", DeprecationWarning)

def test_two_lines_and_a_repeat():
    warnings.warn("line one\\nline two", RuntimeWarning)
    warnings.warn("careful", UserWarning)
""",
    })

    def tail(stdout):
        lines = stdout.splitlines()
        start = next(i for i, line in enumerate(lines) if "warnings summary" in line)
        return lines[start:-1] + [closing_line(stdout)]

    ref = subprocess.run([python_exe, "-m", "pytest", "-p", "no:cacheprovider"], cwd=project,
                         capture_output=True, text=True, timeout=120)
    for _ in range(2):  # with and without recorded durations (batches differ)
        proc = subprocess.run([fastest_bin, "run", "--python", python_exe], cwd=project,
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == ref.returncode == 0
        assert tail(proc.stdout) == tail(ref.stdout)
        assert "16 warnings" in closing_line(proc.stdout)


def test_errors_and_failures_sections_read_like_pytests(fastest_bin, python_exe, tmp_path):
    # ERRORS (collection, then "ERROR at setup/teardown of") before FAILURES; each entry with
    # pytest's own text and its captured sections ("Captured stdout setup/call/teardown", logs).
    project = make_project(tmp_path / "sections", {
        "pytest.ini": "[pytest]\n",
        "test_kinds.py": REPORT_KINDS,
        "test_output.py": """import logging
import sys
import pytest

@pytest.fixture
def noisy():
    print("in setup")
    yield
    print("in teardown")

@pytest.fixture
def breaks_on_teardown():
    yield
    raise RuntimeError("teardown broke")

def test_prints(noisy):
    print("hello out")
    print("hello err", file=sys.stderr)
    logging.getLogger("app").warning("logged")
    assert 1 + 1 == 3

def test_teardown_error(breaks_on_teardown):
    print("ran fine")
""",
    })
    ref = subprocess.run([python_exe, "-m", "pytest", "-p", "no:cacheprovider", "--continue-on-collection-errors"],
                         cwd=project, capture_output=True, text=True, timeout=120)
    # Two workers: each test's sections are its own (workers capture into their own files).
    proc = subprocess.run([fastest_bin, "run", "--python", python_exe, "-n", "2", "--continue-on-collection-errors"],
                          cwd=project, capture_output=True, text=True, timeout=120)

    def report(stdout):
        lines = stdout.splitlines()
        start = next(i for i, line in enumerate(lines) if line.strip("= ") in ("ERRORS", "FAILURES"))
        return lines[start:-1]

    assert proc.returncode == ref.returncode == 1
    assert report(proc.stdout) == report(ref.stdout), proc.stdout


def test_verbose_prints_a_line_per_test_as_pytest(fastest_bin, python_exe, tmp_path):
    project = make_project(tmp_path / "verbose", {"pytest.ini": "[pytest]\n", "test_kinds.py": REPORT_KINDS})
    ref = subprocess.run([python_exe, "-m", "pytest", "-p", "no:cacheprovider", "-v"], cwd=project,
                         capture_output=True, text=True, timeout=120)
    expected = [line for line in ref.stdout.splitlines() if "::" in line and line.endswith("%]")]
    assert len(expected) == 9
    one = subprocess.run([fastest_bin, "run", "--python", python_exe, "-v", "-n", "1"], cwd=project,
                         capture_output=True, text=True, timeout=120)
    assert [line for line in one.stdout.splitlines() if "::" in line and line.endswith("%]")] == expected
    # Two workers finish tests in their own order; each line still reads as pytest's.
    two = subprocess.run([fastest_bin, "run", "--python", python_exe, "-v", "-n", "2"], cwd=project,
                         capture_output=True, text=True, timeout=120)
    strip = lambda line: line[: line.rindex("[")].rstrip()
    assert sorted(strip(line) for line in two.stdout.splitlines() if "::" in line and line.endswith("%]")) == \
        sorted(strip(line) for line in expected)


@pytest.mark.parametrize("options", [["--tb=short"], ["--tb=native"], ["--tb=no"], ["--tb=line"], ["-l"], ["-p", "no:warnings"],
                                     ["-W", "error::UserWarning"]])
def test_pytest_options_reach_the_workers(fastest_bin, python_exe, tmp_path, options):
    project = make_project(tmp_path / "options", {
        "pytest.ini": "[pytest]\n",
        "test_kinds.py": REPORT_KINDS,
        "test_warns.py": "import warnings\n\ndef test_warns():\n    warnings.warn('careful', UserWarning)\n",
    })
    ref, proc = run_both(fastest_bin, python_exe, project, *options, fastest_args=["-n", "1"])

    def report(stdout):  # from the first section after the progress to the closing line
        lines = stdout.splitlines()
        start = next((i for i, line in enumerate(lines) if line.startswith("=") and "test session starts" not in line),
                     len(lines) - 1)
        return lines[start:-1] + [closing_line(stdout)]

    assert proc.returncode == ref.returncode
    assert report(proc.stdout) == report(ref.stdout)


@pytest.mark.parametrize("env, options", [
    ({"CI": "", "BUILD_NUMBER": ""}, []),
    ({"CI": "true", "BUILD_NUMBER": ""}, []),
    ({"CI": "", "BUILD_NUMBER": "17"}, []),
    ({"CI": "", "BUILD_NUMBER": ""}, ["-vv"]),
    ({"CI": "true", "BUILD_NUMBER": ""}, ["--force-short-summary"]),
], ids=["terminal", "CI", "BUILD_NUMBER", "-vv", "CI-force-short-summary"])
def test_summary_reasons_are_whole_where_pytest_keeps_them_whole(fastest_bin, python_exe, tmp_path, env, options):
    # pytest trims each `FAILED id - reason` to 80 columns, except on CI ($CI, $BUILD_NUMBER) and
    # with -vv, where the whole multi-line reason is printed; -vv also widens assertion diffs.
    project = make_project(tmp_path / "reasons", {"pytest.ini": "[pytest]\n", "test_kinds.py": REPORT_KINDS})
    run_env = {**os.environ, **env}
    ref = subprocess.run([python_exe, "-m", "pytest", "-p", "no:cacheprovider", *options], cwd=project,
                         capture_output=True, text=True, timeout=120, env=run_env)
    proc = subprocess.run([fastest_bin, "run", "--python", python_exe, "-n", "1", *options], cwd=project,
                          capture_output=True, text=True, timeout=120, env=run_env)

    def report(stdout):  # FAILURES to the closing line
        lines = stdout.splitlines()
        return lines[next(i for i, line in enumerate(lines) if line.strip("= ") == "FAILURES"):-1]

    assert proc.returncode == ref.returncode == 1
    assert report(proc.stdout) == report(ref.stdout), proc.stdout


def test_an_internal_error_while_configuring_is_pytests_exit_3(fastest_bin, python_exe, tmp_path):
    # A plugin warning at configure time under `filterwarnings = error` (pytest-asyncio's unset
    # loop scope is the common case) stops pytest before any test: INTERNALERROR lines, exit 3.
    project = make_project(tmp_path / "internal", {
        "pytest.ini": "[pytest]\nfilterwarnings =\n    error\n",
        "conftest.py": "import warnings\nimport pytest\n\n"
                       "def pytest_configure(config):\n"
                       "    warnings.warn(pytest.PytestDeprecationWarning('option unset'))\n",
        "test_a.py": "def test_a():\n    pass\n\ndef test_b():\n    pass\n",
    })
    ref = subprocess.run([python_exe, "-m", "pytest", "-p", "no:cacheprovider"], cwd=project,
                         capture_output=True, text=True, timeout=120)
    assert ref.returncode == 3 and "INTERNALERROR> pytest.PytestDeprecationWarning: option unset" in ref.stderr
    proc = subprocess.run([fastest_bin, "run", "--python", python_exe, "-n", "2"], cwd=project,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "INTERNALERROR> pytest.PytestDeprecationWarning: option unset" in proc.stderr
    assert "not found at run time" not in proc.stdout and "passed" not in proc.stdout
    listed = subprocess.run([fastest_bin, "discover", "--python", python_exe], cwd=project,
                            capture_output=True, text=True, timeout=120)
    assert listed.returncode == 3 and "INTERNALERROR> pytest.PytestDeprecationWarning: option unset" in listed.stderr
    assert "test_a.py::test_a" not in listed.stdout


def test_a_hook_raising_while_collecting_is_pytests_internal_error(fastest_bin, python_exe, tmp_path):
    project = make_project(tmp_path / "hook", {
        "pytest.ini": "[pytest]\n",
        "conftest.py": "def pytest_collection_modifyitems(items):\n    raise RuntimeError('hook broke')\n",
        "test_a.py": "def test_a():\n    pass\n",
    })
    ref = subprocess.run([python_exe, "-m", "pytest", "-p", "no:cacheprovider"], cwd=project,
                         capture_output=True, text=True, timeout=120)
    assert ref.returncode == 3 and "INTERNALERROR> RuntimeError: hook broke" in ref.stdout
    proc = subprocess.run([fastest_bin, "run", "--python", python_exe], cwd=project,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "INTERNALERROR> RuntimeError: hook broke" in proc.stderr
    assert "passed" not in proc.stdout and "error" not in proc.stdout


def test_a_plugins_warning_while_configuring_stops_discover_too(fastest_bin, python_exe, tmp_path):
    # No conftest: with an `error` warnings filter and plugins installed (the suite's venv has
    # pytest-xdist), discover asks pytest to configure before listing anything.
    project = make_project(tmp_path / "plugin", {
        "pytest.ini": "[pytest]\naddopts = -p warnplugin\nfilterwarnings =\n    error::DeprecationWarning\n",
        "warnplugin.py": "import warnings\n\ndef pytest_configure(config):\n"
                         "    warnings.warn(DeprecationWarning('plugin option unset'))\n",
        "test_a.py": "def test_a():\n    pass\n",
    })
    ref = subprocess.run([python_exe, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"], cwd=project,
                         capture_output=True, text=True, timeout=120)
    assert ref.returncode == 3 and "INTERNALERROR> DeprecationWarning: plugin option unset" in ref.stderr
    listed = subprocess.run([fastest_bin, "discover", "--python", python_exe], cwd=project,
                            capture_output=True, text=True, timeout=120)
    assert listed.returncode == 3, listed.stdout + listed.stderr
    assert "INTERNALERROR> DeprecationWarning: plugin option unset" in listed.stderr and listed.stdout == ""
    # Without the error filter nothing starts Python and the test is listed.
    (project / "pytest.ini").write_text("[pytest]\naddopts = -p warnplugin\n")
    listed = subprocess.run([fastest_bin, "discover", "--python", python_exe], cwd=project,
                            capture_output=True, text=True, timeout=120)
    assert listed.returncode == 0 and "test_a.py::test_a" in listed.stdout


def test_an_option_pytest_does_not_know_is_its_usage_error(fastest_bin, python_exe, tmp_path):
    project = make_project(tmp_path / "usage", {"pytest.ini": "[pytest]\n", "test_a.py": "def test_a(): pass\n"})
    proc = subprocess.run([fastest_bin, "run", "--python", python_exe, "--no-such-option"], cwd=project,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 4
    assert "unrecognized arguments: --no-such-option" in proc.stderr


@pytest.mark.parametrize("args", [[], ["-k", "inherited or gen"], ["tests/test_inherits.py::TestOnlyInherited"],
                                  ["tests/test_inherits.py"], ["-m", "slow"]],
                         ids=["all", "-k", "class-id", "module", "-m"])
def test_tests_only_pytest_can_list_are_run(fastest_bin, python_exe, tmp_path, args):
    # Tests inherited from an imported base (a class with none of its own, a module with no
    # static test at all) and made by pytest_generate_tests run as pytest runs them, with
    # -k/-m applied inside them and pytest's deselected count.
    project = make_project(tmp_path / "containers", {
        "pytest.ini": "[pytest]\nmarkers =\n    slow: slow ones\n",
        "tests/__init__.py": "",
        "tests/base.py": "import pytest\n\nclass Base:\n    def test_inherited(self):\n        pass\n\n"
                         "    @pytest.mark.slow\n    def test_inherited_slow(self):\n        pass\n",
        "tests/test_inherits.py": "from .base import Base\n\nclass TestOnlyInherited(Base):\n    pass\n\n"
                                  "class TestMixed(Base):\n    def test_own(self):\n        assert False\n",
        "tests/test_only_imports.py": "from .base import Base as _B\n\nclass TestAll(_B):\n    pass\n",
        "tests/test_gen.py": "def pytest_generate_tests(metafunc):\n    if 'v' in metafunc.fixturenames:\n"
                             "        metafunc.parametrize('v', [1, 2])\n\ndef test_gen(v):\n    assert v == 1\n\n"
                             "def test_plain():\n    pass\n",
    })
    ours, theirs = tmp_path / "fastest.xml", tmp_path / "pytest.xml"
    ref = subprocess.run([python_exe, "-m", "pytest", "-p", "no:cacheprovider", f"--junitxml={theirs}", *args],
                         cwd=project, capture_output=True, text=True, timeout=120)
    proc = subprocess.run([fastest_bin, "run", "--python", python_exe, "-n", "2", f"--junitxml={ours}", *args],
                          cwd=project, capture_output=True, text=True, timeout=120)
    assert proc.returncode == ref.returncode, proc.stdout + proc.stderr
    assert outcomes(ours) == outcomes(theirs)
    assert len(outcomes(ours)) > 0
    assert closing_line(proc.stdout) == closing_line(ref.stdout)


def test_a_module_that_fails_to_import_stops_the_session_before_tests_run(fastest_bin, python_exe, tmp_path):
    # pytest collects everything first and runs nothing once a module fails to import. A module
    # whose failure static analysis can foresee (an import not found) is collected first, so no
    # test runs; one it cannot foresee (the failing import is inside a local helper) stops the
    # run as soon as its error arrives, instead of running every test only to drop the results.
    ran = tmp_path / "ran.txt"
    slow_tests = "".join(f"def test_slow_{i}():\n    time.sleep(0.2)\n    open({str(ran)!r}, 'a').write('x\\n')\n\n"
                         for i in range(20))
    project = make_project(tmp_path / "stops", {
        "pytest.ini": "[pytest]\n",
        "test_a_slow.py": "import time\n\n" + slow_tests,
        "test_b_bad.py": "import not_a_module_anywhere\n\ndef test_never():\n    pass\n",
        "helper.py": "import also_not_a_module\n",
        "test_c_indirect.py": "import helper\n\ndef test_never_either():\n    pass\n",
    })
    ref, proc = run_both(fastest_bin, python_exe, project, fastest_args=["-n", "2"])
    assert proc.returncode == ref.returncode == 2
    assert not ran.exists(), "a test ran although pytest's session stops at collection"
    report = lambda out: [line for line in out.splitlines() if line.startswith(("ERROR ", "!!!", "_"))]
    assert report(proc.stdout) == report(ref.stdout)
    collected = lambda out: [line for line in out.splitlines() if line.startswith("collected")]
    assert collected(proc.stdout) == collected(ref.stdout) == ["collected 20 items / 2 errors"]

    (project / "test_b_bad.py").unlink()
    ref, proc = run_both(fastest_bin, python_exe, project, fastest_args=["-n", "2"])
    assert proc.returncode == ref.returncode == 2
    assert report(proc.stdout) == report(ref.stdout)
    assert len(ran.read_text().splitlines()) < 20 if ran.exists() else True


def test_an_import_error_no_rule_foresees_prints_what_pytest_prints(fastest_bin, python_exe, tmp_path):
    # A module that fails only at import (its local helper raises) among many others: pytest
    # collects everything first, so it prints `collected N items / 1 error`, no progress at
    # all, the ERRORS section and exit 2. fastest may run tests before that module's batch is
    # collected, but must show none of them, on the first run and once history mixes modules
    # per batch, with one worker or two.
    files = {f"test_b_{i:02}.py": "import time\n\ndef test_ok():\n    time.sleep(0.02)\n" for i in range(60)}
    files.update({
        "pytest.ini": "[pytest]\n",
        "test_a_ok.py": "def test_a():\n    pass\n\ndef test_fails():\n    assert 0\n",
        "helper.py": "raise RuntimeError('boom')\n",
        "test_c_bad.py": "from helper import x\n\ndef test_c():\n    pass\n",
    })
    progress = re.compile(r"\[\s*\d+%\]$")
    header = lambda out: [line for line in out.splitlines() if line.startswith("collected")]
    for workers in ("1", "2"):
        project = make_project(tmp_path / f"n{workers}", files)
        for attempt in ("first run", "with history"):
            ref, proc = run_both(fastest_bin, python_exe, project, fastest_args=["-n", workers])
            where = f"-n {workers}, {attempt}:\n{proc.stdout}{proc.stderr}"
            assert proc.returncode == ref.returncode == 2, where
            assert header(proc.stdout) == header(ref.stdout) == ["collected 62 items / 1 error"], where
            assert [line for line in proc.stdout.splitlines() if progress.search(line)] == [], where
            assert closing_line(proc.stdout) == closing_line(ref.stdout) == "1 error", where
            assert "Interrupted: 1 error during collection" in proc.stdout, where


def test_a_long_run_collects_every_module_early_and_stops_at_a_late_import_error(fastest_bin, python_exe, tmp_path):
    # Output waits until every module was collected; once a run has held it for 2 s, the
    # modules of the batches still waiting are collected first, so a module whose helper
    # raises at import stops the run within its first seconds, not at its end.
    ran = tmp_path / "ran.txt"
    files = {f"test_b_{i:02}.py": f"import time\n\ndef test_slow():\n    time.sleep(1.0)\n"
                                  f"    open({str(ran)!r}, 'a').write('x\\n')\n" for i in range(14)}
    files.update({
        "pytest.ini": "[pytest]\n",
        "helper.py": "x = 1\n",
        "test_c_uses_helper.py": "from helper import x\n\ndef test_c():\n    pass\n",
    })
    # Short tests at the end of the order: with history they make the run's tail, whose batches
    # start once the long ones are done; test_c_uses_helper.py is among them.
    files.update({f"test_d_{i:02}.py": "import time\n\ndef test_short():\n    time.sleep(0.05)\n" for i in range(10)})
    project = make_project(tmp_path / "long", files)
    clean = subprocess.run([fastest_bin, "run", "--python", python_exe, "-n", "2"], cwd=project,
                           capture_output=True, text=True, timeout=120)
    assert clean.returncode == 0, clean.stdout + clean.stderr  # the history: about 7 s per worker
    (project / "helper.py").write_text("raise RuntimeError('boom')\n")
    ran.unlink()
    ref, proc = run_both(fastest_bin, python_exe, project, fastest_args=["-n", "2"])
    assert proc.returncode == ref.returncode == 2, proc.stdout + proc.stderr
    header = lambda out: [line for line in out.splitlines() if line.startswith("collected")]
    assert header(proc.stdout) == header(ref.stdout) == ["collected 24 items / 1 error"]
    assert closing_line(proc.stdout) == closing_line(ref.stdout) == "1 error"
    assert not re.search(r"\[\s*\d+%\]$", proc.stdout, re.M), proc.stdout
    ran_count = len(ran.read_text().splitlines()) if ran.exists() else 0
    assert ran_count < 10, f"{ran_count} of 14 tests ran before the collection error stopped the run"


@pytest.mark.parametrize("given_in", ["command line", "addopts", "PYTEST_ADDOPTS"])
def test_a_session_that_continues_past_an_unforeseen_import_error_counts_as_pytest(
        fastest_bin, python_exe, tmp_path, monkeypatch, given_in):
    # --continue-on-collection-errors, wherever pytest reads it: pytest prints `collected N items
    # / K errors` (the failing modules' tests are no items), runs the rest with percentages of N,
    # and exits 1. fastest meets the import error only when that module's batch imports it.
    files = {f"test_b_{i:02}.py": "def test_ok():\n    pass\n" for i in range(12)}
    files.update({
        "pytest.ini": "[pytest]\n" + ("addopts = --continue-on-collection-errors\n" if given_in == "addopts" else ""),
        "test_a_ok.py": "def test_a():\n    pass\n\ndef test_fails():\n    assert 0\n",
        "helper.py": "raise ImportError('no backend')\n",
        "test_c_bad.py": "from helper import x\n\ndef test_c():\n    pass\n\ndef test_c2():\n    pass\n",
        "test_d_syntax.py": "def test_d(:\n    pass\n",
    })
    project = make_project(tmp_path / "continue", files)
    args = ["--continue-on-collection-errors"] if given_in == "command line" else []
    if given_in == "PYTEST_ADDOPTS":
        monkeypatch.setenv("PYTEST_ADDOPTS", "--continue-on-collection-errors")
    progress = lambda out: [line for line in out.splitlines() if re.search(r"\[\s*\d+%\]$", line)]
    header = lambda out: [line for line in out.splitlines() if line.startswith("collected")]
    for workers in ("1", "2"):
        ref, proc = run_both(fastest_bin, python_exe, project, *args, fastest_args=["-n", workers])
        where = f"-n {workers}:\n{proc.stdout}{proc.stderr}"
        assert proc.returncode == ref.returncode == 1, where
        assert header(proc.stdout) == header(ref.stdout) == ["collected 14 items / 2 errors"], where
        # Files finish in any order (their lines follow), each line's marks are pytest's, and the
        # percentages climb to 100% of pytest's count.
        marks = lambda out: sorted(re.sub(r"\s*\[\s*\d+%\]$", "", line) for line in progress(out))
        assert marks(proc.stdout) == marks(ref.stdout), where
        percents = [int(re.search(r"(\d+)%\]$", line).group(1)) for line in progress(proc.stdout)]
        assert percents == sorted(percents) and percents[-1] == 100, where
        assert closing_line(proc.stdout) == closing_line(ref.stdout) == "1 failed, 13 passed, 2 errors", where
        assert "Interrupted" not in proc.stdout, where


def test_a_package_whose_init_fails_takes_its_modules_tests_out_of_the_count(fastest_bin, python_exe, tmp_path):
    # pytest reports the package's import error once per module under it: none is an item.
    project = make_project(tmp_path / "pkg_init", {
        "pytest.ini": "[pytest]\n",
        "test_top.py": "def test_a():\n    pass\n",
        "helper_raises.py": "raise ImportError('no backend')\n",
        "pkg/__init__.py": "import helper_raises\n",
        "pkg/test_p.py": "def test_p1():\n    pass\n\ndef test_p2():\n    pass\n",
        "pkg/sub/__init__.py": "",
        "pkg/sub/test_q.py": "def test_q():\n    pass\n",
    })
    ref, proc = run_both(fastest_bin, python_exe, project, "--continue-on-collection-errors")
    assert proc.returncode == ref.returncode == 1, proc.stdout + proc.stderr
    header = lambda out: [line for line in out.splitlines() if line.startswith("collected")]
    assert header(proc.stdout) == header(ref.stdout) == ["collected 1 item / 2 errors"]
    progress = lambda out: [line for line in out.splitlines() if re.search(r"\[\s*\d+%\]$", line)]
    assert progress(proc.stdout) == progress(ref.stdout)
    assert closing_line(proc.stdout) == closing_line(ref.stdout) == "1 passed, 2 errors"


@pytest.mark.parametrize("continue_on_errors", [False, True], ids=["stops", "continues"])
def test_a_module_an_imported_helper_skips_is_no_items_in_the_header(fastest_bin, python_exe, tmp_path, continue_on_errors):
    # A helper that calls pytest.skip(allow_module_level=True) skips every module importing it:
    # nothing static foresees it. pytest counts `collected 1 item / 1 skipped`, and its progress
    # reaches 100% with the one test.
    project = make_project(tmp_path / "skips", {
        "pytest.ini": "[pytest]\n",
        "test_a.py": "def test_1():\n    pass\n",
        "helper.py": "import pytest\npytest.skip('no backend here', allow_module_level=True)\nx = 1\n",
        "test_s.py": "from helper import x\n\ndef test_s1():\n    pass\n\ndef test_s2():\n    pass\n",
    })
    args = ["--continue-on-collection-errors"] if continue_on_errors else []
    ref, proc = run_both(fastest_bin, python_exe, project, *args)
    assert proc.returncode == ref.returncode == 0, proc.stdout + proc.stderr
    header = lambda out: [line for line in out.splitlines() if line.startswith("collected")]
    assert header(proc.stdout) == header(ref.stdout) == ["collected 1 item / 1 skipped"]
    progress = lambda out: [line for line in out.splitlines() if re.search(r"\[\s*\d+%\]$", line)]
    assert progress(proc.stdout) == progress(ref.stdout)
    assert closing_line(proc.stdout) == closing_line(ref.stdout) == "1 passed, 1 skipped"


@pytest.mark.parametrize("with_failing_module", [False, True], ids=["clean", "collection-error"])
def test_strict_configs_unknown_key_ends_the_session_as_pytest(fastest_bin, python_exe, tmp_path, with_failing_module):
    # pytest checks the ini's keys once it has collected: it prints its report (collection errors,
    # no test run), then `ERROR: Unknown config option: KEY` on stderr, and exits 4.
    files = {"pytest.ini": "[pytest]\nstrict_config = true\nnot_a_known_key = 1\ntestpaths = tests\n",
             "tests/test_a.py": "def test_a():\n    pass\n"}
    if with_failing_module:
        files["tests/test_b.py"] = "import not_a_module_anywhere\n"
    project = make_project(tmp_path / "strict", files)
    ref, proc = run_both(fastest_bin, python_exe, project)
    assert proc.returncode == ref.returncode == 4
    assert proc.stderr == ref.stderr
    strip = lambda out: [line for line in out.splitlines() if not line.startswith(("platform", "plugins", "python:", "==="))]
    assert strip(proc.stdout)[:-1] == strip(ref.stdout)[:-1]
    assert closing_line(proc.stdout) == closing_line(ref.stdout)


def test_progress_is_a_line_per_file_as_pytests(fastest_bin, python_exe, tmp_path):
    # pytest's `path marks [ NN%]` lines, a long file wrapped at the edge; with two workers
    # each file's line is still whole (lines in the order files finish).
    many = "".join(f"def test_{i}():\n    pass\n\n" for i in range(150))
    project = make_project(tmp_path / "progress", {
        "pytest.ini": "[pytest]\n",
        "tests/test_a.py": REPORT_KINDS,
        "tests/test_many.py": many,
        "tests/sub/test_c.py": "def test_c():\n    pass\n",
    })
    ref = subprocess.run([python_exe, "-m", "pytest", "-p", "no:cacheprovider"], cwd=project / "tests",
                         capture_output=True, text=True, timeout=120)

    def progress(stdout):
        lines = stdout.splitlines()
        start = next(i for i, line in enumerate(lines) if line.startswith("collected")) + 2
        end = lines.index("", start)
        return lines[start:end]

    expected = progress(ref.stdout)
    assert expected[0].startswith("sub/test_c.py . ") and len(expected) == 5
    one = subprocess.run([fastest_bin, "run", "--python", python_exe, "-n", "1"], cwd=project / "tests",
                         capture_output=True, text=True, timeout=120)
    assert progress(one.stdout) == expected
    two = subprocess.run([fastest_bin, "run", "--python", python_exe, "-n", "2"], cwd=project / "tests",
                         capture_output=True, text=True, timeout=120)

    def marks(lines):  # file -> its marks, sorted (a file may be shown in more than one piece)
        per_file, current = {}, None
        for line in lines:
            body = line[: line.rindex(" [")].rstrip()
            if not body.startswith((".", "s", "x", "X", "F", "E")) or " " in body:
                current, body = body.split(" ", 1)
            per_file[current] = per_file.get(current, "") + body.strip()
        return {name: "".join(sorted(text)) for name, text in per_file.items()}

    assert marks(progress(two.stdout)) == marks(expected)
    assert progress(two.stdout)[-1].endswith("[100%]")


def test_a_failing_initial_conftest_is_pytests_usage_error_and_nothing_else(fastest_bin, python_exe, tmp_path):
    # pytest imports the initial conftests before its session starts: when one fails it prints
    # the ImportError on stderr, nothing on stdout (no header), and exits 4.
    project = make_project(tmp_path / "conftest", {
        "pytest.ini": "[pytest]\n",
        "conftest.py": "import not_a_module_anywhere\n",
        "test_a.py": "def test_a():\n    pass\n",
    })
    ref, proc = run_both(fastest_bin, python_exe, project)
    assert proc.returncode == ref.returncode == 4
    assert proc.stdout == ref.stdout == ""
    assert proc.stderr.strip() == ref.stderr.strip()


@pytest.mark.parametrize("reportchars", ["-rA", "-rP", "-rX", "-ra", "-rfE"])
def test_passes_and_xpasses_sections_as_pytests(fastest_bin, python_exe, tmp_path, reportchars):
    project = make_project(tmp_path / "passes", {
        "pytest.ini": "[pytest]\n",
        "test_x.py": "import pytest\n\n@pytest.fixture\ndef noisy():\n    print('set up')\n    yield\n    print('torn down')\n\n"
                     "@pytest.mark.xfail\ndef test_xpass():\n    print('xpass out')\n\n"
                     "@pytest.mark.xfail\ndef test_xpass_quiet():\n    pass\n\n"
                     "def test_prints(noisy):\n    print('passing output')\n\n"
                     "def test_quiet():\n    pass\n\n"
                     "def test_only_teardown_prints(noisy):\n    pass\n",
    })
    ref, proc = run_both(fastest_bin, python_exe, project, reportchars)

    def report(stdout):  # from after the progress to the closing line
        lines = stdout.splitlines()
        start = next(i for i, line in enumerate(lines) if line.startswith("test_x.py ")) + 1
        return lines[start:-1]

    assert proc.returncode == ref.returncode == 0
    assert report(proc.stdout) == report(ref.stdout), proc.stdout
    progress = lambda out: [line for line in out.splitlines() if line.startswith("test_x.py ")]
    assert progress(proc.stdout) == progress(ref.stdout)  # a file's marks in pytest's order


def test_concurrent_workers_never_read_each_others_output(fastest_bin, python_exe, tmp_path):
    # Workers are forked from one prepared pytest whose output capture had opened its temp files:
    # each must capture into its own, or a test's report shows another worker's output.
    tests = lambda numbers: "import time\n\n" + "".join(
        f"def test_{i}():\n    for _ in range(300):\n        print('mark-{i}')\n    time.sleep(0.01)\n"
        f"    assert False\n\n" for i in numbers)
    project = make_project(tmp_path / "capture", {"pytest.ini": "[pytest]\n", "test_a.py": tests(range(8)),
                                                  "test_b.py": tests(range(8, 16))})
    proc = subprocess.run([fastest_bin, "run", "--python", python_exe, "-n", "2"], cwd=project,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    current, seen = None, 0
    for line in proc.stdout.splitlines():
        if line.startswith("_") and "test_" in line:
            current = line.strip("_ ").removeprefix("test_")
        elif line.startswith("mark-"):
            assert line == f"mark-{current}", f"test_{current}'s report shows {line}"
            seen += 1
    assert seen == 16 * 300


def test_a_rootdir_whose_conftest_decides_collection_runs_as_pytest(fastest_bin, python_exe, tmp_path):
    # The whole rootdir is handed to pytest ("."): its results answer for it, nothing is "not
    # found", and the progress counts what pytest collected.
    project = make_project(tmp_path / "rootdyn", {
        "pytest.ini": "[pytest]\n",
        "conftest.py": "collect_ignore = ['sub/test_skip_%s.py' % 'me']\n",
        "test_a.py": "def test_a():\n    pass\n",
        "sub/test_b.py": "def test_b():\n    pass\n",
        "sub/test_skip_me.py": "def test_x():\n    pass\n",
    })
    ref, proc = run_both(fastest_bin, python_exe, project)
    assert proc.returncode == ref.returncode == 0
    assert closing_line(proc.stdout) == closing_line(ref.stdout) == "2 passed"
    progress = [line for line in proc.stdout.splitlines() if line.endswith("%]")]
    assert progress[-1].endswith("[100%]") and len(progress) == 2
