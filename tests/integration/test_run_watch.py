"""`fastest run --watch`: after the run, each change runs again only the test files whose static
imports reach it (a conftest: every test below it), with pytest's output, until Ctrl-C; editors'
lock and backup files start nothing. Real pytest, real inotify."""
import os
import signal
import subprocess
import threading
import time

import pytest

from test_lsp_continuous import FILES
from test_run_parity import make_project


class Watcher:
    def __init__(self, fastest_bin, python_exe, tree, *args):
        self.proc = subprocess.Popen([str(fastest_bin), "run", "--python", python_exe, "-n", "1", "--watch", *args],
                                     cwd=tree, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     start_new_session=True)
        self.lines = []
        self.cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            with self.cond:
                self.lines.append(line.rstrip("\n"))
                self.cond.notify_all()

    def wait_for(self, predicate, start=0, timeout=60):
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for i, line in enumerate(self.lines[start:], start):
                    if predicate(line):
                        return i
                left = deadline - time.monotonic()
                assert left > 0, "\n".join(self.lines)
                self.cond.wait(left)

    def watching(self, start=0):
        return self.wait_for(lambda l: l.startswith("fastest: watching"), start) + 1

    def cycle(self, start):
        """The lines of the cycle that starts after `start`, up to pytest's closing line."""
        begin = self.wait_for(lambda l: " changed: " in l, start)
        end = self.wait_for(lambda l: l.startswith("=") and (" passed" in l or " failed" in l or "no tests ran" in l), begin)
        return self.lines[begin:end + 1], end + 1

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
            try:
                return self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        return self.proc.returncode


@pytest.fixture
def tree(tmp_path):
    return make_project(tmp_path / "proj", FILES)


def test_watch_runs_what_the_change_reaches(fastest_bin, python_exe, tree):
    w = Watcher(fastest_bin, python_exe, tree)
    try:
        at = w.watching()
        assert any("3 passed" in l for l in w.lines[:at])

        (tree / "src/shop/names.py").write_text("def upper(s):\n    return s.lower()\n")
        lines, at = w.cycle(at)
        assert lines[0] == "fastest: src/shop/names.py changed: running 1 test file"
        assert "collected 1 item" in lines
        assert lines[-1].startswith("=") and "1 failed" in lines[-1]
        assert any(l.startswith("FAILED tests/test_names.py::test_upper") for l in lines)

        at = w.watching(at)
        (tree / "src/shop/money.py").write_text("def add(a, b):\n    return b + a\n")
        lines, at = w.cycle(at)
        assert lines[0] == "fastest: src/shop/money.py changed: running 2 test files"
        assert "collected 2 items" in lines and "2 passed" in lines[-1]

        # Lock and backup files, and a file nothing imports, run nothing.
        at = w.watching(at)
        (tree / "src/shop/.#money.py").write_text("x")
        (tree / "src/shop/money.py~").write_text("x")
        time.sleep(1.5)
        assert not any(" changed: " in l for l in w.lines[at:])
        (tree / "src/unused.py").write_text("x = 1\n")
        w.wait_for(lambda l: "no selected test imports it" in l, at)

        # A conftest reaches every test below it: the failure recorded runs first (--ff).
        at = w.watching(at)
        (tree / "tests/conftest.py").write_text(FILES["tests/conftest.py"] + "\n")
        lines, at = w.cycle(at)
        assert lines[0] == "fastest: tests/conftest.py changed: running 3 test files"
        assert "collected 3 items" in lines
        progress = [l for l in lines if l.startswith("tests/test_")]
        assert progress[0].startswith("tests/test_names.py F"), lines
    finally:
        code = w.stop()
    assert code == 1  # the last cycle's exit: test_names still fails


def test_a_cycle_on_warm_workers_sees_a_changed_conftest(fastest_bin, python_exe, tmp_path):
    # The workers stay warm between cycles; one that loaded a conftest that changed starts afresh.
    tree = make_project(tmp_path / "proj", {
        "pytest.ini": "[pytest]\n",
        "tests/conftest.py": "import pytest\n\n@pytest.fixture\ndef answer():\n    return 42\n",
        "tests/test_answer.py": "def test_answer(answer):\n    assert answer == 42\n",
    })
    w = Watcher(fastest_bin, python_exe, tree)
    try:
        at = w.watching()
        assert any("1 passed" in l for l in w.lines[:at])
        (tree / "tests/conftest.py").write_text("import pytest\n\n@pytest.fixture\ndef answer():\n    return 41\n")
        lines, at = w.cycle(at)
        assert "1 failed" in lines[-1], lines
        at = w.watching(at)
        (tree / "tests/test_answer.py").write_text("def test_answer(answer):\n    assert answer == 41\n")
        lines, at = w.cycle(at)
        assert "1 passed" in lines[-1], lines
    finally:
        w.stop()
