"""Faults the engine survives: each test asserts the fault's verdict AND that nothing else was lost."""
import json
import os
import signal
import subprocess
import textwrap
import time

import pytest

FAULTS = textwrap.dedent("""
    import os, sys, time, ctypes, signal

    def test_before(): pass

    def test_sigkill():
        os.kill(os.getpid(), signal.SIGKILL)

    def test_os_exit():
        os._exit(3)

    def test_segfault():
        ctypes.string_at(0)

    def test_after(): pass

    def test_flood():
        sys.stdout.write("x" * (50 * 1024 * 1024))
        assert False, "flooded"

    def test_reads_stdin():
        assert sys.stdin.read() == ""
""")


@pytest.fixture
def faulty(tmp_path):
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_faults.py").write_text(FAULTS)
    for i in range(4):
        (tmp_path / f"test_ok_{i}.py").write_text("".join(f"def test_{j}(): pass\n" for j in range(5)))
    return tmp_path


def run_json(fastest_bin, python_exe, cwd, *args, timeout=120, env=None):
    proc = subprocess.run([fastest_bin, "run", "--python", python_exe, "--json", *args],
                          cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})
    data = json.loads(proc.stdout)
    return proc.returncode, {r["id"]: r for r in data["results"]}, data


def test_crashes_are_recorded_and_everything_else_runs(fastest_bin, python_exe, faulty):
    rc, results, data = run_json(fastest_bin, python_exe, faulty, "-n", "2")
    assert rc == 1
    assert results["test_faults.py::test_sigkill"]["outcome"] == "crashed"
    assert "signal 9" in results["test_faults.py::test_sigkill"]["message"]
    assert results["test_faults.py::test_os_exit"]["outcome"] == "crashed"
    assert "status 3" in results["test_faults.py::test_os_exit"]["message"]
    assert results["test_faults.py::test_segfault"]["outcome"] == "crashed"
    assert results["test_faults.py::test_before"]["outcome"] == "passed"
    assert results["test_faults.py::test_after"]["outcome"] == "passed"
    # Every other test ran exactly once.
    assert sum(1 for i in results if i.startswith("test_ok_")) == 20
    assert all(r["outcome"] == "passed" for i, r in results.items() if i.startswith("test_ok_"))


def test_output_flood_is_bounded(fastest_bin, python_exe, faulty):
    proc = subprocess.run([fastest_bin, "run", "--python", python_exe, "test_faults.py::test_flood"],
                          cwd=faulty, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "characters of output truncated" in proc.stdout
    assert len(proc.stdout) < 1_000_000


def test_stdin_gives_eof_or_pytests_error_never_hangs(fastest_bin, python_exe, faulty):
    rc, results, _ = run_json(fastest_bin, python_exe, faulty, "test_faults.py::test_reads_stdin", timeout=60)
    assert results["test_faults.py::test_reads_stdin"]["outcome"] in ("passed", "failed")


def test_hanging_test_times_out_and_the_rest_runs(fastest_bin, python_exe, tmp_path):
    (tmp_path / "test_hang.py").write_text(
        "import time\ndef test_a(): pass\ndef test_hang():\n    time.sleep(600)\ndef test_z(): pass\n")
    start = time.monotonic()
    rc, results, _ = run_json(fastest_bin, python_exe, tmp_path, "--timeout", "1", "-n", "1")
    assert time.monotonic() - start < 30
    assert results["test_hang.py::test_hang"]["outcome"] == "timeout"
    assert results["test_hang.py::test_a"]["outcome"] == "passed"
    assert results["test_hang.py::test_z"]["outcome"] == "passed"
    assert rc == 1


def test_a_slow_worker_start_does_not_hold_up_the_run(fastest_bin, python_exe, tmp_path):
    """The run starts on the first worker that is ready; a late one joins or is not needed.
    (Workers forked from one pool start together: this is about workers started on their own.)"""
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    # Imported by each worker while it prepares its session: the first one to get here stalls.
    (tmp_path / "conftest.py").write_text(
        "import os, time\n"
        "try:\n"
        "    os.close(os.open(os.path.join(os.path.dirname(__file__), 'stalled'), os.O_CREAT | os.O_EXCL))\n"
        "    time.sleep(20)\n"
        "except FileExistsError:\n"
        "    pass\n")
    (tmp_path / "test_a.py").write_text("def test_a(): pass\n")
    (tmp_path / "test_b.py").write_text("def test_b(): pass\n")
    start = time.monotonic()
    rc, results, _ = run_json(fastest_bin, python_exe, tmp_path, "-n", "2", env={"FASTEST_NO_WORKER_POOL": "1"})
    assert time.monotonic() - start < 15
    assert rc == 0
    assert {r["outcome"] for r in results.values()} == {"passed"} and len(results) == 2


def test_workers_share_one_start_up_and_survive_each_others_death(fastest_bin, python_exe, tmp_path):
    """-n 2 imports the conftest once (one interpreter start-up, forked into both workers); a
    test that kills its own worker is `crashed`, and the other worker's tests are unaffected."""
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "conftest.py").write_text(
        "import os\nwith open(os.path.join(os.path.dirname(__file__), 'imports.log'), 'a') as f:\n"
        "    f.write(f'{os.getpid()}\\n')\n")
    record = ("import os, time\n"
              "def record():\n"
              "    with open(os.path.join(os.path.dirname(__file__), 'workers.log'), 'a') as f:\n"
              "        worker = os.getppid()\n"
              "        pool = open(f'/proc/{worker}/stat').read().rsplit(')', 1)[1].split()[1]\n"
              "        f.write(f'{worker} {pool}\\n')\n")
    (tmp_path / "test_a.py").write_text(record + "def test_a():\n    record()\n    time.sleep(1.5)\n")
    (tmp_path / "test_b.py").write_text(
        record + "import signal\ndef test_kills_its_worker():\n    record()\n    time.sleep(0.3)\n"
        "    os.kill(os.getppid(), signal.SIGKILL)\n    time.sleep(5)\n")
    rc, results, _ = run_json(fastest_bin, python_exe, tmp_path, "-n", "2")
    assert results["test_a.py::test_a"]["outcome"] == "passed"
    assert results["test_b.py::test_kills_its_worker"]["outcome"] == "crashed"
    assert rc == 1
    # The first import is the pool's (a replacement for the killed worker may import again).
    first_import = (tmp_path / "imports.log").read_text().split()[0]
    workers = dict(line.split() for line in (tmp_path / "workers.log").read_text().splitlines())
    assert len(workers) == 2
    assert set(workers.values()) == {first_import}


def descendants(pid):
    """Every live process whose ancestry includes pid (from /proc)."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                if fields[0] != "Z":
                    parents[int(entry)] = int(fields[1])
            except (OSError, IndexError):
                pass
    found, frontier = set(), {pid}
    while frontier:
        frontier = {p for p, pp in parents.items() if pp in frontier} - found
        found |= frontier
    return found


def test_ctrl_c_cancels_within_200ms_and_leaves_no_process(fastest_bin, python_exe, tmp_path):
    (tmp_path / "test_slow.py").write_text(
        "import time, subprocess\n" + "".join(
            f"def test_{i}():\n    subprocess.Popen(['sleep', '300'])\n    time.sleep(300)\n" for i in range(4)))
    proc = subprocess.Popen([fastest_bin, "run", "--python", python_exe, "-n", "2"], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(descendants(proc.pid)) < 6:
        time.sleep(0.05)
    tree = descendants(proc.pid)
    assert len(tree) >= 6, "workers, batch children and their sleeps should be running"
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=10)
    took = time.monotonic() - sent
    assert took < 1.0  # the CLI itself exits promptly; the tests stopped well within that
    assert proc.returncode == 2
    time.sleep(0.2)
    alive = [p for p in tree if os.path.exists(f"/proc/{p}") and open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()[0] != "Z"]
    assert alive == [], f"orphans left: {alive}"


def test_durations_are_remembered_between_runs(fastest_bin, python_exe, tmp_path):
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_d.py").write_text("import time\ndef test_slow():\n    time.sleep(0.2)\ndef test_fast(): pass\n")
    run_json(fastest_bin, python_exe, tmp_path)
    history = json.loads((tmp_path / ".fastest_cache" / "durations.json").read_text())["durations"]
    assert history["test_d.py::test_slow"] > 0.15
    assert history["test_d.py::test_fast"] < 0.1


def test_rewritten_modules_cached_outside_the_tree_stay_fresh(fastest_bin, python_exe, tmp_path):
    """With PYTHONDONTWRITEBYTECODE, rewritten test modules are cached in .fastest_cache only,
    and an edited module is rewritten again (its new assertion is what runs)."""
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    test_file = tmp_path / "test_edit.py"
    test_file.write_text("def test_value():\n    assert 1 == 1\n")
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    run = lambda: subprocess.run([str(fastest_bin), "run", "--python", python_exe, "--json"],
                                 cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    for _ in range(2):  # the second run reads the cached module
        assert json.loads(run().stdout)["counts"] == {"passed": 1}
    assert list((tmp_path / ".fastest_cache" / "pycache").rglob("test_edit.*.pyc"))
    test_file.write_text("def test_value():\n    assert 1 == 2\n")
    result = json.loads(run().stdout)["results"][0]
    assert result["outcome"] == "failed" and "assert 1 == 2" in result["message"]
    assert not (tmp_path / "__pycache__").exists()


def pytest_run(python_exe, cwd, *args):
    return subprocess.run([python_exe, "-m", "pytest", "-p", "no:cacheprovider", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def report_after_header(stdout):
    """What pytest prints after its header's `collected N items` line, times masked."""
    import re
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("collected ")) + 1
    return [re.sub(r"=+ (.*) in [0-9.]+s =+", r"== \1 ==", line) for line in lines[start:]]


KEYBOARD_INTERRUPT = ("def test_a(): pass\ndef test_b(): pass\n"
                      "def test_c():\n    raise KeyboardInterrupt\n"
                      "def test_d(): pass\ndef test_e(): assert 0\n")


def test_keyboard_interrupt_in_a_test_stops_the_run_as_pytest_does(fastest_bin, python_exe, tmp_path):
    """pytest ends its session at a test raising KeyboardInterrupt: what ran is reported, then
    `!!! KeyboardInterrupt !!!` with where it was raised, exit 2. No test becomes an internal error."""
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_ki.py").write_text(KEYBOARD_INTERRUPT)
    expected = pytest_run(python_exe, tmp_path)
    assert expected.returncode == 2
    proc = subprocess.run([fastest_bin, "run", "--python", python_exe, "-n", "1"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert report_after_header(proc.stdout) == report_after_header(expected.stdout)
    assert "internal error" not in proc.stdout + proc.stderr
    rc, results, data = run_json(fastest_bin, python_exe, tmp_path, "-n", "1")
    assert rc == 2
    assert {i: r["outcome"] for i, r in results.items()} == {"test_ki.py::test_a": "passed", "test_ki.py::test_b": "passed"}
    assert data["interrupted"]["id"] == "test_ki.py::test_c"


@pytest.mark.parametrize("call, code", [("pytest.exit('bye')", 2), ("pytest.exit('bye', returncode=7)", 7),
                                         ("pytest.exit('ok', returncode=0)", 0)])
def test_pytest_exit_in_a_test_stops_the_run_as_pytest_does(fastest_bin, python_exe, tmp_path, call, code):
    """pytest.exit(returncode=N) ends the session with exit code N, as pytest's wrap_session does."""
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_exit.py").write_text(
        f"import pytest\ndef test_a(): pass\ndef test_b(): {call}\ndef test_c(): pass\n")
    expected = pytest_run(python_exe, tmp_path)
    proc = subprocess.run([fastest_bin, "run", "--python", python_exe, "-n", "1"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == expected.returncode == code
    assert report_after_header(proc.stdout) == report_after_header(expected.stdout)


def test_keyboard_interrupt_in_a_test_over_lsp_fails_that_test_and_runs_the_rest(fastest_bin, python_exe, tmp_path):
    """The language server has no session to stop: the test that raised fails with its
    traceback, and every other test of its batch still gets its own verdict."""
    from lsp_client import LspClient
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_ki.py").write_text(KEYBOARD_INTERRUPT + "".join(f"def test_more_{i}(): pass\n" for i in range(8)))
    client = LspClient(fastest_bin, cwd=tmp_path)
    try:
        client.initialize(tmp_path, options={"pythonPath": python_exe})
        _, states, finished = client.run_and_wait("fastest/runTests", {"include": ["test_ki.py"], "kind": "run"})
    finally:
        client.close()
    final = {s["id"]: s for s in states if s["state"] not in ("enqueued", "started")}
    assert final["test_ki.py::test_c"]["state"] == "failed"
    assert "KeyboardInterrupt" in final["test_ki.py::test_c"]["messages"][0]["message"]
    assert final["test_ki.py::test_c"]["messages"][0]["location"]["range"]["start"]["line"] == 3
    assert final["test_ki.py::test_e"]["state"] == "failed"
    others = {i: s["state"] for i, s in final.items() if i not in ("test_ki.py::test_c", "test_ki.py::test_e")}
    assert others == {i: "passed" for i in others} and len(others) == 11
    assert "internal error" not in str(states)


FORKS = ("import os, pathlib, time\n"
         "def test_forks():\n"
         "    pid = os.fork()\n"
         "    if pid == 0:\n"
         "        time.sleep(300)\n"
         "        os._exit(0)\n"
         "    pathlib.Path(__file__).with_name('child.pid').write_text(str(pid))\n")


def assert_gone_within_a_second(pid):
    def alive():
        try:
            with open(f"/proc/{pid}/stat") as f:
                return f.read().rsplit(")", 1)[1].split()[0] != "Z"
        except FileNotFoundError:
            return False

    deadline = time.monotonic() + 1.0
    while alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    if alive():
        os.kill(pid, signal.SIGKILL)
        pytest.fail("the test's forked child outlived its batch")


def test_a_child_forked_by_a_test_dies_with_its_batch(fastest_bin, python_exe, tmp_path):
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_fork.py").write_text(FORKS)
    rc, results, _ = run_json(fastest_bin, python_exe, tmp_path)
    assert rc == 0 and results["test_fork.py::test_forks"]["outcome"] == "passed"
    assert_gone_within_a_second(int((tmp_path / "child.pid").read_text()))


def test_a_child_forked_by_a_test_over_lsp_dies_with_its_batch(fastest_bin, python_exe, tmp_path):
    """The language server's workers stay warm after a run: the child must not wait for them."""
    from lsp_client import LspClient
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_fork.py").write_text(FORKS)
    client = LspClient(fastest_bin, cwd=tmp_path)
    try:
        client.initialize(tmp_path, options={"pythonPath": python_exe})
        _, states, _ = client.run_and_wait("fastest/runTests", {"include": ["test_fork.py"], "kind": "run"})
        assert [s["state"] for s in states if s["id"] == "test_fork.py::test_forks"][-1] == "passed"
        assert_gone_within_a_second(int((tmp_path / "child.pid").read_text()))
    finally:
        client.close()


def run_with_stderr(fastest_bin, python_exe, cwd, *args):
    proc = subprocess.run([fastest_bin, "run", "--python", python_exe, "--json", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)
    return proc.returncode, json.loads(proc.stdout), proc.stderr


def test_an_unusable_duration_history_warns_and_the_run_goes_on(fastest_bin, python_exe, tmp_path):
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_h.py").write_text("def test_a(): pass\ndef test_b(): pass\n")
    history = tmp_path / ".fastest_cache" / "durations.json"
    history.mkdir(parents=True)
    rc, data, stderr = run_with_stderr(fastest_bin, python_exe, tmp_path)
    assert rc == 0 and data["counts"] == {"passed": 2}
    assert "warning" in stderr and "durations.json" in stderr
    history.rmdir()
    history.write_text("{not json")
    rc, data, stderr = run_with_stderr(fastest_bin, python_exe, tmp_path)
    assert rc == 0 and data["counts"] == {"passed": 2}
    assert "durations.json" in stderr
    assert set(json.loads(history.read_text())["durations"]) == {"test_h.py::test_a", "test_h.py::test_b"}


def test_two_runs_at_once_keep_both_their_durations(fastest_bin, python_exe, tmp_path):
    """Two `fastest run` on disjoint parts of a project, overlapping in time: the history holds
    the durations of both (merged under a lock), not only the last writer's."""
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    for part in ("a", "b"):
        (tmp_path / f"test_{part}.py").write_text(
            "import time\n" + "".join(f"def test_{part}{i}():\n    time.sleep(0.3)\n" for i in range(3)))
    runs = [subprocess.Popen([fastest_bin, "run", "--python", python_exe, "-n", "1", f"test_{part}.py"], cwd=tmp_path,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE) for part in ("a", "b")]
    for run in runs:
        run.communicate(timeout=120)
        assert run.returncode == 0
    history = json.loads((tmp_path / ".fastest_cache" / "durations.json").read_text())["durations"]
    assert set(history) == {f"test_{part}.py::test_{part}{i}" for part in ("a", "b") for i in range(3)}
