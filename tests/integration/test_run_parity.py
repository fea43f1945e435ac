"""`fastest run` judges every test as pytest does: compare both JUnit XML reports."""
import json
import subprocess
import xml.etree.ElementTree as ET


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
    assert "3 failed, 43 passed, 2 skipped, 2 xfailed" in proc.stdout.splitlines()[-1]


def test_failures_section_shows_pytests_explanation(fastest_bin, python_exe, test_project):
    proc = subprocess.run([fastest_bin, "run", "--python", python_exe,
                           "tests/unit/test_stock.py::test_fails_on_purpose_wrong_count"],
                          cwd=test_project, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "= FAILURES =" in proc.stdout
    assert "assert 2 == 3" in proc.stdout
    assert "FAILED tests/unit/test_stock.py::test_fails_on_purpose_wrong_count - AssertionError" in proc.stdout


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


def test_interpreter_without_pytest_names_what_to_install(fastest_bin, tmp_path):
    venv = tmp_path / "bare"
    subprocess.run(["python3", "-m", "venv", "--without-pip", str(venv)], check=True)
    (tmp_path / "test_a.py").write_text("def test_a(): pass\n")
    proc = subprocess.run([fastest_bin, "run", "--python", str(venv / "bin" / "python")], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 4
    assert "pip install pytest" in proc.stderr
