"""`fastest run --shard K/N`, `--durations-path` and `fastest merge-junit`: N CI jobs whose union
is the unsharded run, balanced by the recorded durations, with one JUnit report at the end."""
import json
import re
import subprocess
import textwrap
import xml.etree.ElementTree as ET

import pytest

FILES = {
    "pytest.ini": "[pytest]\n",
    "test_plain.py": "".join(f"def test_{i}(): pass\n" for i in range(7)),
    "test_params.py": textwrap.dedent("""
        import pytest
        @pytest.mark.parametrize("x", [1, 2, 3, 4, 5])
        def test_case(x):
            assert x < 5
        def make(sentinel=id(())):
            return ["a", "b", "c"]
        @pytest.mark.parametrize("y", make())   # dynamic: only pytest lists the cases
        def test_dynamic(y): pass
    """),
    "test_class.py": textwrap.dedent("""
        import pytest
        @pytest.fixture(scope="module")
        def resource():
            return object()
        class TestThing:
            def test_one(self, resource): pass
            def test_two(self, resource): pass
            @pytest.mark.skip(reason="not today")
            def test_three(self): pass
    """),
    "base_tests.py": "class Base:\n    def test_inherited(self): pass\n",
    "test_inherits.py": "from base_tests import Base\nclass TestChild(Base):\n    def test_own(self): pass\n",
    "sub/__init__.py": "",
    "sub/test_deep.py": "".join(f"def test_deep_{i}(): pass\n" for i in range(4)),
}


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "proj"
    for name, text in FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def run(fastest_bin, python_exe, cwd, *args):
    return subprocess.run([str(fastest_bin), "run", "--python", python_exe, *args], cwd=cwd,
                          capture_output=True, text=True, timeout=180)


def run_json(fastest_bin, python_exe, cwd, *args):
    proc = run(fastest_bin, python_exe, cwd, "--json", *args)
    data = json.loads(proc.stdout)
    return proc, {r["id"]: r["outcome"] for r in data["results"]}


@pytest.mark.parametrize("count", [2, 3, 5])
def test_shards_partition_the_unsharded_run(fastest_bin, python_exe, project, tmp_path, count):
    history = tmp_path / "ci" / "durations.json"
    whole, everything = run_json(fastest_bin, python_exe, project, "--durations-path", str(history))
    assert whole.returncode == 1  # test_case[5] fails
    assert len(everything) == 24 and "test_params.py::test_dynamic[b]" in everything
    seen = {}
    for k in range(1, count + 1):
        copy = tmp_path / f"shard-{k}.json"  # each CI job restores the same history
        copy.write_text(history.read_text())
        proc, results = run_json(fastest_bin, python_exe, project, "--shard", f"{k}/{count}",
                                 "--durations-path", str(copy))
        assert f"shard {k}/{count}: " in proc.stderr
        assert proc.returncode in (0, 1), proc.stderr
        assert not set(results) & set(seen), "a test ran on two shards"
        seen.update(results)
    assert seen == everything  # same tests, same outcomes


def test_shards_follow_the_recorded_durations(fastest_bin, python_exe, project, tmp_path):
    # Four slow tests (by the history) in four modules of different sizes: two shards take two
    # each, and each shard's estimate is half the total.
    history = tmp_path / "durations.json"
    everything = run_json(fastest_bin, python_exe, project, "--durations-path", str(tmp_path / "unused.json"))[1]
    slow = ["test_plain.py::test_0", "test_class.py::TestThing::test_one", "sub/test_deep.py::test_deep_0",
            "test_params.py::test_case[1]"]
    durations = {i: 10.0 if i in slow else 0.01 for i in everything}
    history.write_text(json.dumps({"version": 1, "durations": durations}))
    ran = []
    for k in (1, 2):
        history.write_text(json.dumps({"version": 1, "durations": durations}))
        proc, results = run_json(fastest_bin, python_exe, project, "--shard", f"{k}/2",
                                 "--durations-path", str(history))
        ran.append(set(results))
        assert re.search(r"estimated 20\.\d\ds \(all shards 40\.20s, longest 20\.\d\ds\)", proc.stderr), proc.stderr
    assert [len(set(slow) & r) for r in ran] == [2, 2]


def test_same_inputs_same_shards(fastest_bin, python_exe, project, tmp_path):
    history = tmp_path / "durations.json"
    run_json(fastest_bin, python_exe, project, "--durations-path", str(history))
    before = history.read_text()
    first = run_json(fastest_bin, python_exe, project, "--shard", "2/3", "--durations-path", str(history))[1]
    history.write_text(before)  # the shard's run updated it
    second = run_json(fastest_bin, python_exe, project, "--shard", "2/3", "--durations-path", str(history))[1]
    assert set(first) == set(second)


def test_the_header_counts_other_shards_tests_as_deselected(fastest_bin, python_exe, project):
    proc = run(fastest_bin, python_exe, project, "--shard", "1/2", "test_plain.py")
    assert "collected 7 items / 3 deselected / 4 selected" in proc.stdout
    assert "4 passed, 3 deselected" in proc.stdout


def test_durations_path_is_read_and_written_there(fastest_bin, python_exe, project, tmp_path):
    history = tmp_path / "cache" / "nested" / "durations.json"
    proc = run(fastest_bin, python_exe, project, "--durations-path", str(history), "test_plain.py")
    assert proc.returncode == 0, proc.stderr
    recorded = json.loads(history.read_text())["durations"]
    assert set(recorded) == {f"test_plain.py::test_{i}" for i in range(7)}
    assert not (project / ".fastest_cache" / "durations.json").exists()
    # Relative to the current directory, as CI writes it.
    proc = run(fastest_bin, python_exe, project, "--durations-path", "ci-durations.json", "test_plain.py")
    assert (project / "ci-durations.json").is_file()


@pytest.mark.parametrize("bad", ["0/2", "3/2", "2", "a/b", "1/0"])
def test_shard_spec_is_validated(fastest_bin, python_exe, project, bad):
    proc = run(fastest_bin, python_exe, project, "--shard", bad)
    assert proc.returncode == 4
    assert "--shard expects K/N with 1 <= K <= N" in proc.stderr
    assert proc.stdout == ""


def test_an_empty_shard_is_no_failure(fastest_bin, python_exe, project):
    proc = run(fastest_bin, python_exe, project, "--shard", "3/3", "test_plain.py::test_1", "test_plain.py::test_2")
    assert "shard 3/3: 0 of 2 selected tests" in proc.stderr
    assert proc.returncode == 0
    # The other shards' tests are deselected here, and pytest's closing line says so.
    assert "== 2 deselected in " in proc.stdout


def junit_cases(path):
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    cases = {}
    for suite in suites:
        for case in suite.findall("testcase"):
            outcome = next((child.tag for child in case if child.tag in ("failure", "error", "skipped")), "passed")
            cases[(case.get("classname"), case.get("name"))] = outcome
    return cases


def suite_counts(path):
    root = ET.parse(path).getroot()
    suite = root if root.tag == "testsuite" else root.find("testsuite")
    return {k: int(suite.get(k)) for k in ("tests", "failures", "errors", "skipped")}


def test_merge_junit_joins_the_shards_reports(fastest_bin, python_exe, project, tmp_path):
    whole, base = tmp_path / "whole.xml", tmp_path / "base.json"
    run(fastest_bin, python_exe, project, f"--junitxml={whole}", "--durations-path", str(base))
    parts = []
    for k in (1, 2, 3):
        parts.append(tmp_path / f"shard-{k}.xml")
        copy = tmp_path / f"shard-{k}.json"
        copy.write_text(base.read_text())
        run(fastest_bin, python_exe, project, "--shard", f"{k}/3", f"--junitxml={parts[-1]}",
            "--durations-path", str(copy))
    merged = tmp_path / "merged.xml"
    proc = subprocess.run([str(fastest_bin), "merge-junit", str(merged), *map(str, parts)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    root = ET.parse(merged).getroot()
    assert root.tag == "testsuites" and len(root.findall("testsuite")) == 1
    assert junit_cases(merged) == junit_cases(whole)
    assert suite_counts(merged) == suite_counts(whole) == {"tests": 24, "failures": 1, "errors": 0, "skipped": 1}
    assert int(root.get("tests")) == 24


def test_merge_junit_reads_pytests_reports_and_refuses_others(fastest_bin, python_exe, project, tmp_path):
    a, b = tmp_path / "a.xml", tmp_path / "b.xml"
    for out, target in ((a, "test_plain.py"), (b, "test_class.py")):
        subprocess.run([python_exe, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={out}", target],
                       cwd=project, capture_output=True, timeout=120)
    merged = tmp_path / "merged.xml"
    proc = subprocess.run([str(fastest_bin), "merge-junit", str(merged), str(a), str(b)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert suite_counts(merged) == {"tests": 10, "failures": 0, "errors": 0, "skipped": 1}
    (tmp_path / "bad.xml").write_text("<testsuites><oops")
    proc = subprocess.run([str(fastest_bin), "merge-junit", str(merged), str(a), str(tmp_path / "bad.xml")],
                          capture_output=True, text=True)
    assert proc.returncode == 4 and "bad.xml is not XML" in proc.stderr
    proc = subprocess.run([str(fastest_bin), "merge-junit", str(merged), str(tmp_path / "missing.xml")],
                          capture_output=True, text=True)
    assert proc.returncode == 4 and "cannot read" in proc.stderr


def test_merge_durations_joins_the_shards_histories(fastest_bin, python_exe, project, tmp_path):
    base = tmp_path / "base.json"
    run(fastest_bin, python_exe, project, "--durations-path", str(base), "test_plain.py")
    recorded = json.loads(base.read_text())["durations"]
    shards = []
    for k in (1, 2):
        copy = tmp_path / f"shard-{k}.json"
        copy.write_text(base.read_text())
        shards.append(copy)
        run(fastest_bin, python_exe, project, "--shard", f"{k}/2", "--durations-path", str(copy))
    out = tmp_path / "merged.json"
    proc = subprocess.run([str(fastest_bin), "merge-durations", str(out), str(base), *map(str, shards)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    merged = json.loads(out.read_text())["durations"]
    every_test = set(run_json(fastest_bin, python_exe, project, "--durations-path", str(tmp_path / "x.json"))[1])
    covered = {i for i in every_test if i in merged or i.split("[")[0] in merged}
    assert covered == every_test  # both shards' new tests are in
    # test_plain's tests ran again on one shard each: their averages moved from the base's.
    per_shard = [json.loads(s.read_text())["durations"] for s in shards]
    for test_id, old in recorded.items():
        changed = [d[test_id] for d in per_shard if d[test_id] != old]
        assert merged[test_id] == (changed[0] if changed else old)
    (tmp_path / "bad.json").write_text("{")
    proc = subprocess.run([str(fastest_bin), "merge-durations", str(out), str(base), str(tmp_path / "bad.json")],
                          capture_output=True, text=True)
    assert proc.returncode == 4 and "bad.json" in proc.stderr
