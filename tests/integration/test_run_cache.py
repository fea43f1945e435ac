"""pytest's daily options in `fastest run`, against real pytest on the same tree: its cache
(--lf, --ff, --nf, --sw, --sw-skip, --lfnf, --cache-clear, --cache-show) shared both ways
through `.pytest_cache`, --durations, and plugin options written with a separate value."""
import json
import re
import shutil
import subprocess

import pytest

FILES = {
    "pytest.ini": "[pytest]\n",
    "tests/a/test_one.py": "def test_a(): pass\ndef test_b(): assert 0\ndef test_c(): pass\n",
    "tests/test_two.py": "import pytest\n@pytest.mark.parametrize('x', [1, 2])\ndef test_p(x): assert x == 1\n"
                         "def test_q(): pass\n",
    "tests/test_three.py": "def test_z(): pass\n",
}


def make_tree(root, files=FILES):
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def fastest(fastest_bin, python_exe, root, *args, workers=2):
    return subprocess.run([str(fastest_bin), "run", "--python", python_exe, "-n", str(workers), *args], cwd=root,
                          capture_output=True, text=True, timeout=120)


def pytest_run(python_exe, root, *args):
    return subprocess.run([python_exe, "-m", "pytest", "-p", "no:xdist", *args], cwd=root, capture_output=True,
                          text=True, timeout=120)


def cached(root, key):
    path = root / ".pytest_cache" / "v" / "cache" / key
    return json.loads(path.read_text()) if path.exists() else None


def collection_lines(stdout):
    """The "collected ..." line and the plugins' lines after it, up to the blank line."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if "collected " in line)
    end = lines.index("", start)
    return [re.sub(r"cache from \S+ ago", "cache from T ago", line) for line in lines[start:end]]


def counts(stdout):
    return re.sub(r" in [\d.]+s.*", "", stdout.strip().splitlines()[-1]).strip("= ")


@pytest.fixture
def trees(tmp_path):
    """Two copies of one tree: pytest runs in the first, fastest in the second."""
    return make_tree(tmp_path / "pytest"), make_tree(tmp_path / "fastest")


def test_fastest_run_writes_the_cache_pytest_lf_reads(fastest_bin, python_exe, trees):
    theirs, ours = trees
    pytest_run(python_exe, theirs)
    proc = fastest(fastest_bin, python_exe, ours)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert cached(ours, "lastfailed") == cached(theirs, "lastfailed")
    assert cached(ours, "nodeids") == cached(theirs, "nodeids")
    assert (ours / ".pytest_cache" / "CACHEDIR.TAG").read_text() == (theirs / ".pytest_cache" / "CACHEDIR.TAG").read_text()
    after = pytest_run(python_exe, ours, "--lf")
    assert collection_lines(after.stdout) == ["collected 2 items",
                                              "run-last-failure: rerun previous 2 failures (skipped 1 file)"]
    assert counts(after.stdout) == "2 failed"


@pytest.mark.parametrize("args", [[], ["tests/test_two.py"], ["-k", "test_p or test_a"], ["-k", "test_q"],
                                  ["tests/test_three.py"], ["--ff"], ["--lfnf", "none"]])
def test_lf_after_pytest_equals_pytest_lf(fastest_bin, python_exe, trees, args):
    theirs, ours = trees
    pytest_run(python_exe, theirs)
    pytest_run(python_exe, ours)
    ref = pytest_run(python_exe, theirs, "--lf", *args)
    proc = fastest(fastest_bin, python_exe, ours, "--lf", *args)
    assert proc.returncode == ref.returncode, proc.stdout + proc.stderr
    assert collection_lines(proc.stdout) == collection_lines(ref.stdout)
    assert counts(proc.stdout) == counts(ref.stdout)
    assert cached(ours, "lastfailed") == cached(theirs, "lastfailed")
    assert cached(ours, "nodeids") == cached(theirs, "nodeids")


def test_lf_with_no_failures_and_lfnf_none(fastest_bin, python_exe, trees):
    theirs, ours = trees
    for root in trees:
        (root / "tests" / "a" / "test_one.py").write_text("def test_a(): pass\n")
        (root / "tests" / "test_two.py").write_text("def test_q(): pass\n")
    for extra in ([], ["--lfnf", "none"], ["--last-failed-no-failures", "all"]):
        ref = pytest_run(python_exe, theirs, "--lf", *extra)
        proc = fastest(fastest_bin, python_exe, ours, "--lf", *extra)
        assert proc.returncode == ref.returncode, proc.stdout + proc.stderr
        assert collection_lines(proc.stdout) == collection_lines(ref.stdout)
        assert counts(proc.stdout) == counts(ref.stdout)


def test_ff_runs_failures_first(fastest_bin, python_exe, trees):
    theirs, ours = trees
    pytest_run(python_exe, theirs)
    fastest(fastest_bin, python_exe, ours)
    ref = pytest_run(python_exe, theirs, "--ff", "-v")
    order = [line.split()[0] for line in ref.stdout.splitlines() if re.search(r" (PASSED|FAILED) +\[", line)]
    proc = fastest(fastest_bin, python_exe, ours, "--failed-first", "--json")
    assert [r["id"] for r in json.loads(proc.stdout)["results"]] == order
    assert order[:2] == ["tests/a/test_one.py::test_b", "tests/test_two.py::test_p[2]"]
    proc = fastest(fastest_bin, python_exe, ours, "--ff")
    ref = pytest_run(python_exe, theirs, "--ff")
    assert collection_lines(proc.stdout) == collection_lines(ref.stdout)
    assert collection_lines(proc.stdout)[-1] == "run-last-failure: rerun previous 2 failures first"


def test_nf_runs_new_tests_first(fastest_bin, python_exe, trees):
    theirs, ours = trees
    pytest_run(python_exe, theirs)
    fastest(fastest_bin, python_exe, ours)
    for root in trees:
        (root / "tests" / "test_new.py").write_text("def test_new(): pass\n")
    ref = pytest_run(python_exe, theirs, "--nf", "-v")
    order = [line.split()[0] for line in ref.stdout.splitlines() if re.search(r" (PASSED|FAILED) +\[", line)]
    proc = fastest(fastest_bin, python_exe, ours, "--nf", "--json")
    assert [r["id"] for r in json.loads(proc.stdout)["results"]][0] == order[0] == "tests/test_new.py::test_new"
    assert "tests/test_new.py::test_new" in cached(ours, "nodeids")


SW_FILES = {
    "pytest.ini": "[pytest]\n",
    "test_sw.py": "def test_1(): pass\ndef test_2(): assert 0\ndef test_3(): pass\ndef test_4(): assert 0\n"
                  "def test_5(): pass\n",
}


def stepwise_state(root):
    state = cached(root, "stepwise")
    return state["last_failed"], state["last_test_count"]


def test_stepwise_stops_and_resumes_as_pytest(fastest_bin, python_exe, tmp_path):
    theirs, ours = make_tree(tmp_path / "pytest", SW_FILES), make_tree(tmp_path / "fastest", SW_FILES)
    ref = pytest_run(python_exe, theirs, "--sw")
    proc = fastest(fastest_bin, python_exe, ours, "--sw", workers=1)
    assert proc.returncode == ref.returncode == 2, proc.stdout + proc.stderr
    assert "Interrupted: Test failed, continuing from this test next run." in proc.stdout
    assert collection_lines(proc.stdout) == collection_lines(ref.stdout)
    assert stepwise_state(ours) == stepwise_state(theirs) == ("test_sw.py::test_2", 5)
    # pytest resumes from what fastest wrote, and the reverse.
    assert collection_lines(pytest_run(python_exe, ours, "--sw").stdout)[1].startswith(
        "stepwise: skipping 1 already passed items (cache from ")
    for root in (theirs, ours):
        (root / "test_sw.py").write_text(SW_FILES["test_sw.py"].replace("def test_2(): assert 0", "def test_2(): pass"))
    ref = pytest_run(python_exe, theirs, "--stepwise")
    proc = fastest(fastest_bin, python_exe, ours, "--stepwise", workers=1)
    assert collection_lines(proc.stdout) == collection_lines(ref.stdout) == [
        "collected 5 items / 1 deselected / 4 selected",
        "stepwise: skipping 1 already passed items (cache from T ago, use --sw-reset to discard)."]
    assert counts(proc.stdout) == counts(ref.stdout) == "1 failed, 2 passed, 1 deselected"
    assert stepwise_state(ours) == stepwise_state(theirs) == ("test_sw.py::test_4", 5)


def test_stepwise_skip_and_reset(fastest_bin, python_exe, tmp_path):
    theirs, ours = make_tree(tmp_path / "pytest", SW_FILES), make_tree(tmp_path / "fastest", SW_FILES)
    for args in (["--sw-skip"], ["--sw-reset"]):
        ref = pytest_run(python_exe, theirs, *args)
        proc = fastest(fastest_bin, python_exe, ours, *args, workers=1)
        assert proc.returncode == ref.returncode, proc.stdout + proc.stderr
        assert collection_lines(proc.stdout) == collection_lines(ref.stdout)
        assert counts(proc.stdout) == counts(ref.stdout)
        assert stepwise_state(ours) == stepwise_state(theirs)


def test_cache_show_and_cache_clear(fastest_bin, python_exe, trees):
    theirs, ours = trees
    pytest_run(python_exe, theirs)
    fastest(fastest_bin, python_exe, ours)

    def listing(stdout, root):
        lines = stdout.splitlines()
        start = next(i for i, line in enumerate(lines) if line.startswith("cachedir: "))
        return [line.replace(str(root), "ROOT") for line in lines[start:lines.index("", start)]]

    for glob in ([], ["lastf*"]):
        ref = pytest_run(python_exe, theirs, "--cache-show", *glob)
        proc = fastest(fastest_bin, python_exe, ours, "--cache-show", *glob)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert listing(proc.stdout, ours) == listing(ref.stdout, theirs)
        assert "no tests ran" in proc.stdout.splitlines()[-1]
    ref = pytest_run(python_exe, theirs, "--cache-clear", "--lf")
    proc = fastest(fastest_bin, python_exe, ours, "--cache-clear", "--lf")
    assert collection_lines(proc.stdout) == collection_lines(ref.stdout) == [
        "collected 7 items", "run-last-failure: no previously failed tests, not deselecting items."]
    assert cached(ours, "lastfailed") == cached(theirs, "lastfailed")


DURATION_FILES = {
    "pytest.ini": "[pytest]\n",
    "test_slow.py": "import time\ndef test_slow(): time.sleep(0.3)\ndef test_fast(): pass\ndef test_other(): pass\n",
}
DURATION_LINE = re.compile(r"^\d+\.\d\ds (setup|call|teardown) +\S+$")


def durations_section(stdout):
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if "slowest" in line and "durations" in line)
    end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith("====="))
    return lines[start:end]


@pytest.mark.parametrize("args", [["--durations=2"], ["--durations", "2"], ["--durations=0", "--durations-min=0.1"],
                                  ["--durations=5", "-vv"]])
def test_durations_section_as_pytest(fastest_bin, python_exe, tmp_path, args):
    root = make_tree(tmp_path, DURATION_FILES)
    ref = pytest_run(python_exe, root, "-p", "no:cacheprovider", *args)
    proc = fastest(fastest_bin, python_exe, root, *args)
    ours, theirs = durations_section(proc.stdout), durations_section(ref.stdout)
    assert ours[0] == theirs[0]  # the banner
    assert "0.3" in ours[1] and ours[1].endswith("call     test_slow.py::test_slow")
    shown = [line for line in ours[1:] if line and not line.startswith("(")]
    assert all(DURATION_LINE.match(line) for line in shown), ours
    # What is hidden depends on this machine's timings (a loaded one may take 5 ms to set up a
    # test), not its form: pytest's note, "-vv" advice unless --durations-min was given.
    hidden = re.compile(r"^\((\d+) durations < ([\d.]+)s hidden\." +
                        ("" if any(a.startswith("--durations-min") for a in args) else
                         r"  Use -vv to show these durations\.") + r"\)$")
    assert all(hidden.match(line) for line in ours + theirs if line.startswith("(")), (ours, theirs)
    if "--durations-min=0.1" in args:  # only test_slow's call is that slow: the same either way
        assert [re.sub(r"^\d+\.\d\ds", "T", line) for line in ours] == \
            [re.sub(r"^\d+\.\d\ds", "T", line) for line in theirs]
    # Durations come before the short test summary, after the sections above it.
    assert proc.stdout.index("slowest") < proc.stdout.rindex("passed")


def test_plugin_options_with_a_separate_value(fastest_bin, python_exe, tmp_path):
    make_tree(tmp_path, {
        "pytest.ini": "[pytest]\n",
        "conftest.py": "def pytest_addoption(parser):\n"
                       "    parser.addoption('--flavour', action='store')\n"
                       "    parser.addoption('--loud', action='store_true')\n",
        "test_opt.py": "def test_flavour(request):\n"
                       "    assert request.config.getoption('flavour') == 'mint'\n"
                       "    assert request.config.getoption('log_level') == 'DEBUG'\n"
                       "    assert request.config.getoption('loud')\n",
        "test_other.py": "def test_other(): pass\n",
    })
    args = ["--flavour", "mint", "--log-level", "DEBUG", "--loud", "test_opt.py"]
    ref = pytest_run(python_exe, tmp_path, "-p", "no:cacheprovider", *args)
    proc = fastest(fastest_bin, python_exe, tmp_path, *args)
    assert ref.returncode == 0, ref.stdout
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert counts(proc.stdout) == counts(ref.stdout) == "1 passed"


COV_FILES = {
    "pytest.ini": "[pytest]\n",
    "src/mod.py": "def f(x):\n    if x:\n        return 1\n    return 2\n\n\ndef g():\n    return 3\n",
    "conftest.py": "import sys\nsys.path.insert(0, 'src')\nimport mod  # imported before the session: its defs count\n",
    "test_a.py": "import mod\ndef test_f(): assert mod.f(1) == 1\n",
    "test_b.py": "import mod\ndef test_g(): assert mod.g() == 3\n",
}


def coverage_table(stdout):
    lines = stdout.splitlines()
    start = lines.index("================================ tests coverage ================================")
    end = next(i for i in range(start, len(lines)) if lines[i].startswith("TOTAL"))
    return lines[start:end + 1]


@pytest.mark.parametrize("args", [["--cov=src", "--cov-report=term-missing"], ["--cov", "src", "--cov-branch"]])
def test_cov_combines_every_worker_as_pytest_cov_reports(fastest_bin, python_exe, tmp_path, args):
    if subprocess.run([python_exe, "-c", "import pytest_cov"]).returncode != 0:
        pytest.skip("pytest-cov is not installed (requirements-dev.txt pins it)")
    theirs, ours = make_tree(tmp_path / "pytest", COV_FILES), make_tree(tmp_path / "fastest", COV_FILES)
    ref = pytest_run(python_exe, theirs, *args)
    proc = fastest(fastest_bin, python_exe, ours, *args)
    assert proc.returncode == ref.returncode == 0, proc.stdout + proc.stderr
    assert coverage_table(proc.stdout) == coverage_table(ref.stdout)
    assert (ours / ".coverage").exists() and not list(ours.glob(".coverage.*"))
    ref = pytest_run(python_exe, theirs, *args, "--cov-fail-under=90")
    proc = fastest(fastest_bin, python_exe, ours, *args, "--cov-fail-under=90")
    assert proc.returncode == ref.returncode == 1
    assert "FAIL Required test coverage of 90% not reached. Total coverage: " in proc.stdout


def test_cache_options_in_addopts(fastest_bin, python_exe, trees):
    """`addopts = --ff -rA`: the run applies --ff, the workers' pytest gets the rest."""
    theirs, ours = trees
    for root in trees:
        pytest_run(python_exe, root)
        (root / "pytest.ini").write_text("[pytest]\naddopts = --ff -rA\n")
    ref = pytest_run(python_exe, theirs)
    proc = fastest(fastest_bin, python_exe, ours)
    assert proc.returncode == ref.returncode == 1, proc.stdout + proc.stderr
    assert collection_lines(proc.stdout) == collection_lines(ref.stdout)
    assert "PASSED tests/test_three.py::test_z" in proc.stdout


def test_lf_on_the_sample_project_as_pytest(fastest_bin, python_exe, test_project, tmp_path):
    """Classes, parametrized and dynamic tests: pytest's --lf keeps a class's tests at collection."""
    theirs, ours = tmp_path / "pytest", tmp_path / "fastest"
    for root in (theirs, ours):
        shutil.copytree(test_project, root, ignore=shutil.ignore_patterns(".pytest_cache", ".fastest_cache"))
    pytest_run(python_exe, theirs)
    fastest(fastest_bin, python_exe, ours)
    assert cached(ours, "lastfailed") == cached(theirs, "lastfailed")
    assert cached(ours, "nodeids") == cached(theirs, "nodeids")
    for args in (["--lf"], ["--ff"]):
        ref = pytest_run(python_exe, theirs, *args)
        proc = fastest(fastest_bin, python_exe, ours, *args)
        assert proc.returncode == ref.returncode, proc.stdout + proc.stderr
        # A whole run's header counts dynamic tests before pytest expands them (48, not 50):
        # not the cache's doing, so only --lf's count is compared.
        skip = 0 if args == ["--lf"] else 1
        assert collection_lines(proc.stdout)[skip:] == collection_lines(ref.stdout)[skip:]
        assert counts(proc.stdout) == counts(ref.stdout)


def test_no_cacheprovider_writes_nothing_and_refuses_cache_options(fastest_bin, python_exe, tmp_path):
    root = make_tree(tmp_path)
    proc = fastest(fastest_bin, python_exe, root, "-p", "no:cacheprovider")
    assert proc.returncode == 1
    assert not (root / ".pytest_cache").exists()
    ref = pytest_run(python_exe, root, "-p", "no:cacheprovider", "--lf")
    proc = fastest(fastest_bin, python_exe, root, "-p", "no:cacheprovider", "--lf")
    assert proc.returncode == ref.returncode == 4
    assert "unrecognized arguments: --lf" in proc.stderr and "unrecognized arguments: --lf" in ref.stderr
    # Disabled by addopts, pytest takes --lf and does nothing with it.
    (root / "pytest.ini").write_text("[pytest]\naddopts = -p no:cacheprovider\n")
    ref = pytest_run(python_exe, root, "--lf")
    proc = fastest(fastest_bin, python_exe, root, "--lf")
    assert proc.returncode == ref.returncode == 1
    assert counts(proc.stdout) == counts(ref.stdout) == "2 failed, 5 passed"
    assert not (root / ".pytest_cache").exists()


def test_the_cache_dir_ini_option_is_where_both_keep_the_cache(fastest_bin, python_exe, tmp_path, monkeypatch):
    """`cache_dir` (with `$VAR` expanded, relative to the rootdir) moves pytest's cache: fastest
    writes there and pytest --lf reads it, and the reverse."""
    monkeypatch.setenv("FASTEST_CACHE_SUBDIR", "ci")
    files = dict(FILES, **{"pytest.ini": "[pytest]\ncache_dir = build/${FASTEST_CACHE_SUBDIR}/pycache\n"})
    root = make_tree(tmp_path / "tree", files)
    first = fastest(fastest_bin, python_exe, root)
    assert first.returncode == 1
    lastfailed = root / "build" / "ci" / "pycache" / "v" / "cache" / "lastfailed"
    assert json.loads(lastfailed.read_text()) == {"tests/a/test_one.py::test_b": True, "tests/test_two.py::test_p[2]": True}
    assert not (root / ".pytest_cache").exists()
    again = pytest_run(python_exe, root, "--lf")
    assert "run-last-failure: rerun previous 2 failures" in again.stdout
    assert counts(again.stdout) == "2 failed"
    (root / "tests/a/test_one.py").write_text("def test_a(): pass\ndef test_b(): pass\ndef test_c(): pass\n")
    pytest_run(python_exe, root, "--lf")  # pytest now records test_b as passed
    twin = tmp_path / "twin"
    shutil.copytree(root, twin)
    expected = pytest_run(python_exe, twin, "--lf")
    ours = fastest(fastest_bin, python_exe, root, "--lf")
    assert "run-last-failure: rerun previous 1 failure" in ours.stdout, ours.stdout
    assert collection_lines(ours.stdout) == collection_lines(expected.stdout)
    assert counts(ours.stdout) == counts(expected.stdout) == "1 failed", ours.stdout


def test_failed_first_runs_the_failures_first_so_exitfirst_stops_where_pytest_does(fastest_bin, python_exe, tmp_path):
    """--ff reorders what runs, not only the report: with -x, pytest stops at the first
    recorded failure before anything else ran; so does a run whose longest test (first by
    recorded durations) lies elsewhere."""
    files = {"pytest.ini": "[pytest]\n",
             "tests/test_long.py": "import time\ndef test_long(): time.sleep(0.3)\n",
             "tests/test_short.py": "def test_ok(): pass\ndef test_bad(): assert 0\n"}
    pytest_tree, fastest_tree = make_tree(tmp_path / "pytest", files), make_tree(tmp_path / "fastest", files)
    assert fastest(fastest_bin, python_exe, fastest_tree, workers=1).returncode == 1  # records durations and the failure
    pytest_run(python_exe, pytest_tree)
    expected = pytest_run(python_exe, pytest_tree, "--ff", "-x")
    ours = fastest(fastest_bin, python_exe, fastest_tree, "--ff", "-x", workers=1)
    assert counts(expected.stdout) == "1 failed"
    assert counts(ours.stdout) == counts(expected.stdout), ours.stdout
    assert ours.returncode == expected.returncode == 1


# --- the `cache` fixture and config.cache in the workers --------------------------------------
CACHE_USERS = {
    "pytest.ini": "[pytest]\n",
    "test_writes.py": '''def test_cache_roundtrip(cache):
    cache.set("demo/value", 42)
    assert cache.get("demo/value", None) == 42


def test_config_cache(request):
    assert request.config.cache.get("demo/missing", "dflt") == "dflt"
''',
}
READS_BACK = '''def test_reads_what_the_last_run_wrote(cache):
    assert cache.get("demo/value", None) == 42
'''


@pytest.mark.parametrize("workers", [1, 2])
def test_the_cache_fixture_works_and_is_shared_with_pytest(fastest_bin, python_exe, tmp_path, workers):
    """Tests and plugins that keep values in pytest's cache (the `cache` fixture, config.cache) run
    as under pytest, in the project's .pytest_cache, which pytest then reads, and the reverse."""
    root = make_tree(tmp_path / "p", CACHE_USERS)
    proc = fastest(fastest_bin, python_exe, root, workers=workers)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert counts(proc.stdout) == "2 passed"
    (root / "test_reads.py").write_text(READS_BACK)
    theirs = pytest_run(python_exe, root, "test_reads.py")
    assert theirs.returncode == 0, theirs.stdout
    # ...and what pytest wrote, fastest's tests read.
    other = make_tree(tmp_path / "q", CACHE_USERS)
    assert pytest_run(python_exe, other, "test_writes.py").returncode == 0
    (other / "test_reads.py").write_text(READS_BACK)
    ours = fastest(fastest_bin, python_exe, other, "test_reads.py", workers=workers)
    assert ours.returncode == 0, ours.stdout + ours.stderr


def test_without_the_cacheprovider_there_is_no_cache_fixture_as_in_pytest(fastest_bin, python_exe, trees):
    theirs_root, ours_root = trees
    for root in trees:
        make_tree(root, {**CACHE_USERS, "pytest.ini": "[pytest]\naddopts = -p no:cacheprovider\n"})
    theirs = pytest_run(python_exe, theirs_root, "test_writes.py")
    ours = fastest(fastest_bin, python_exe, ours_root, "test_writes.py")
    assert ours.returncode == theirs.returncode == 1
    assert counts(ours.stdout) == counts(theirs.stdout) == "1 failed, 1 error"
