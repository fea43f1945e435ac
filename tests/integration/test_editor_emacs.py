"""A real client: Emacs (Debian's, batch mode) with eglot and fastest.el runs the test at point."""
import json
import os
import shutil
import subprocess
import time

import pytest

# Debian's elpa-* packages live here; -Q skips the site start-up that would add them.
ELPA = "(let ((default-directory \"/usr/share/emacs/site-lisp/elpa/\")) (normal-top-level-add-subdirs-to-load-path))"
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.mark.skipif(shutil.which("emacs") is None, reason="emacs-nox and elpa-eglot are installed by scripts/setup.sh")
def test_fastest_el_byte_compiles_cleanly(tmp_path):
    shutil.copy(os.path.join(REPO, "editors", "emacs", "fastest.el"), tmp_path)
    proc = subprocess.run(["emacs", "--batch", "-Q", "--eval", ELPA,
                           "--eval", "(setq byte-compile-error-on-warn t)",
                           "-f", "batch-byte-compile", str(tmp_path / "fastest.el")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.skipif(shutil.which("emacs") is None, reason="emacs-nox and elpa-eglot are installed by scripts/setup.sh")
def test_emacs_runs_the_test_at_point(fastest_bin, python_exe, test_project, tmp_path):
    project = tmp_path / "proj"
    shutil.copytree(test_project, project, ignore=shutil.ignore_patterns(".fastest_cache", "__pycache__", ".pytest_cache"))
    target = project / "tests" / "unit" / "test_stock.py"
    line = target.read_text().splitlines().index("def test_take_too_many_raises(full_stock, apple):") + 2
    out = tmp_path / "report.json"
    env = dict(os.environ, FASTEST_EMACS_OUT=str(out), FASTEST_EMACS_FILE=str(target), FASTEST_EMACS_LINE=str(line),
               FASTEST_BIN=str(fastest_bin), FASTEST_PYTHON=python_exe, FASTEST_EMACS_DIR=os.path.join(REPO, "editors", "emacs"),
               HOME=str(tmp_path))
    proc = subprocess.run(["emacs", "--batch", "-Q", "--eval", ELPA, "-l", os.path.join(REPO, "tests", "integration", "emacs", "run_at_point.el")],
                          cwd=project, env=env, capture_output=True, text=True, timeout=120)
    assert out.exists(), proc.stdout + proc.stderr
    report = json.loads(out.read_text())
    # Without a VCS the project is pytest's rootdir (pyproject.toml), not the file's folder.
    assert os.path.realpath(report["root"]) == os.path.realpath(project)
    assert report["tests"] > 40
    test_id = "tests/unit/test_stock.py::test_take_too_many_raises"
    # At point, after an edit that fails it, fastest-rerun-failed (pytest's cache), the tree's `r`.
    assert report["results"] == [{"id": test_id, "state": s} for s in ("passed", "failed", "passed", "passed")]
    assert report["rerun_failures"] == 1
    assert report["marked"] is True  # the result at the end of the test's line
    # Run at point right after an edit runs the text as it reads now (eglot had not sent it yet).
    assert report["edited_state"] == "failed"
    # The tree nests a test under its module; `r` runs the row's test, RET visits it.
    tree = report["tree"]
    assert tree["id"] == test_id and tree["nested"] is True
    assert tree["state"] == "passed"
    assert tree["visited"] == str(target) and tree["line"] == line - 2 + 1
    # fastest.el applied fastest/testsMoved: a blank line at the top moved every test down.
    assert report["moved"] is True
    # ... and a test's renaming: the old id dropped, the new one added.
    assert report["renamed"] is True
    # fastest-toggle-watch: a save re-ran the file's tests, the renamed one under its new id; off again.
    assert report["watch_state"] == "passed"
    assert report["watch_off"] is True
    # fastest-debug-at-point without dape: a message names what is missing and where the test
    # waited, and the run is cancelled (it finishes) instead of waiting for a debugger.
    debug = report["debug"]
    assert "dape" in debug["said"] and str(debug["port"]) in debug["said"] and debug["port"] > 0
    assert debug["finished"] is True
    # fastest-coverage: each line the server measured is marked in the source buffer, executed or
    # missed, again when the file is visited afresh, and fastest-coverage-clear removes them.
    coverage = report["coverage"]
    assert coverage["covered"] == coverage["server_covered"] and len(coverage["covered"]) > 5
    assert coverage["missed"] == coverage["server_missed"]
    source = (project / "src" / "inventory" / "stock.py").read_text().splitlines()
    assert any(source[line - 1].lstrip().startswith("def ") for line in coverage["covered"])
    assert coverage["reopened"] == len(coverage["covered"])
    assert coverage["cleared"] == 0


@pytest.mark.skipif(shutil.which("emacs") is None, reason="emacs-nox and elpa-eglot are installed by scripts/setup.sh")
def test_emacs_attaches_dape_once_debugpy_listens(fastest_bin, python_exe, test_project, tmp_path):
    """The reply's attach configuration waits for fastest/debugListening: attaching at once was refused."""
    project = tmp_path / "proj"
    shutil.copytree(test_project, project, ignore=shutil.ignore_patterns(".fastest_cache", "__pycache__", ".pytest_cache"))
    target = project / "tests" / "unit" / "test_stock.py"
    line = target.read_text().splitlines().index("def test_add_counts(stock, apple):") + 2
    out = tmp_path / "report.json"
    env = dict(os.environ, FASTEST_EMACS_OUT=str(out), FASTEST_EMACS_FILE=str(target), FASTEST_EMACS_LINE=str(line),
               FASTEST_BIN=str(fastest_bin), FASTEST_PYTHON=python_exe, FASTEST_EMACS_DIR=os.path.join(REPO, "editors", "emacs"),
               HOME=str(tmp_path))
    proc = subprocess.run(["emacs", "--batch", "-Q", "--eval", ELPA, "-l", os.path.join(REPO, "tests", "integration", "emacs", "debug_attach.el")],
                          cwd=project, env=env, capture_output=True, text=True, timeout=120)
    assert out.exists(), proc.stdout + proc.stderr
    report = json.loads(out.read_text())
    assert report["calls"] == 1, report
    assert report["connected"] is True, report  # debugpy accepted the connection: it listened when the debugger came
    assert report["port"] == report["reply_port"] == report["listening"]["port"] > 0, report
    assert report["called_at"] >= report["listening"]["at"], report
    # The cancelled run finishes, promptly: its runFinished often comes in the same read as the
    # cancel's reply, which Emacs 28's jsonrpc.el left unread (fastest--read-after-reply).
    assert report["finished"] is True, report
    assert report["finished_after_cancel"] < 10, report
    # No process of the run outlives the session: neither the test's (its group is killed) nor
    # debugpy's adapter, which daemonizes out of that group and ends with its debuggee.
    assert left_running_in(project) == [], report


def left_running_in(folder, wait_s=5.0):
    """The live processes whose working directory is under `folder`, once `wait_s` has passed
    without them all ending (as "pid command line")."""
    deadline = time.monotonic() + wait_s
    while True:
        found = []
        for entry in os.listdir("/proc"):
            try:
                cwd = os.readlink(f"/proc/{entry}/cwd") if entry.isdigit() else ""
                if cwd == str(folder) or cwd.startswith(str(folder) + os.sep):
                    with open(f"/proc/{entry}/stat") as f:
                        if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                            continue
                    with open(f"/proc/{entry}/cmdline", "rb") as f:
                        found.append(entry + " " + f.read().replace(b"\0", b" ").decode(errors="replace"))
            except (OSError, IndexError):
                pass
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


@pytest.mark.skipif(shutil.which("emacs") is None, reason="emacs-nox and elpa-eglot are installed by scripts/setup.sh")
def test_emacs_handles_a_notification_read_with_a_reply(python_exe, tmp_path):
    """A stand-in server writes its reply to a cancel and the run's runFinished at once: Emacs 28's
    jsonrpc.el left what followed a `jsonrpc-request' reply in the same read unparsed, and the
    cancelled run never finished (the stall of the dape test under load, made deterministic)."""
    project = tmp_path / "proj"
    project.mkdir()
    (project / "pytest.ini").write_text("[pytest]\n")
    target = project / "test_a.py"
    target.write_text("def test_a():\n    pass\n")
    out = tmp_path / "report.json"
    env = dict(os.environ, FASTEST_EMACS_OUT=str(out), FASTEST_EMACS_FILE=str(target), FASTEST_PYTHON=python_exe,
               FASTEST_STAND_IN=os.path.join(REPO, "tests", "integration", "emacs", "reply_then_notify_server.py"),
               FASTEST_EMACS_DIR=os.path.join(REPO, "editors", "emacs"), HOME=str(tmp_path))
    proc = subprocess.run(["emacs", "--batch", "-Q", "--eval", ELPA, "-l", os.path.join(REPO, "tests", "integration", "emacs", "read_after_reply.el")],
                          cwd=project, env=env, capture_output=True, text=True, timeout=60)
    assert out.exists(), proc.stdout + proc.stderr
    report = json.loads(out.read_text())
    # The cancel sent with jsonrpc-request, then the one fastest-cancel sends (workspace/executeCommand):
    # each run's runFinished is handled before anything else comes from the server.
    assert report["after_first_cancel"] == ["run-1"], report
    assert report["finished_runs"] == ["run-1", "run-2"], report
