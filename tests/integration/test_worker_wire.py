"""The worker wire (server/execution/worker_wire.*, worker/fastest_worker/wire.py): both sides
speak the same messages and version, a worker of another version is refused with a clear
error, and a batch the engine could not hand to a worker runs on another one."""
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
WORKER = REPO / "worker"
sys.path.insert(0, str(WORKER))
from fastest_worker import wire  # noqa: E402


def cpp_wire():
    return (REPO / "server/execution/worker_wire.h").read_text() + (REPO / "server/execution/worker_wire.cpp").read_text()


def test_both_sides_carry_the_same_protocol_version():
    version = re.search(r"kWorkerProtocolVersion = (\d+);", cpp_wire()).group(1)
    assert int(version) == wire.PROTOCOL_VERSION


def test_every_event_the_worker_can_send_is_one_the_engine_decodes():
    decoded = set(re.findall(r'kind == "(\w+)"', cpp_wire()))
    sent = set(re.findall(r'"event": "(\w+)"', (WORKER / "fastest_worker/wire.py").read_text()))
    assert sent == decoded
    # ...and no other module of the worker writes an event by hand.
    for path in (WORKER / "fastest_worker").glob("*.py"):
        if path.name != "wire.py":
            assert '"event":' not in path.read_text(), path


def test_result_fields_are_the_ones_the_engine_reads():
    cpp = cpp_wire()
    for name in wire.RESULT_FIELDS:
        assert f'"{name}"' in cpp, name
    with pytest.raises(ValueError):
        wire.result(1, "t.py::test", "passed", 0.1, stdot="typo")
    with pytest.raises(ValueError):
        wire.result(1, "t.py::test", "green", 0.1)


def test_a_run_command_round_trips_and_a_malformed_one_is_refused():
    command = wire.RunCommand(batch=3, rootdir="/p", ids=["t.py"], overlays={"/p/t.py": "x"}, debug_port=5)
    assert wire.RunCommand.decode(json.loads(json.dumps(command.encode()))) == command
    with pytest.raises(ValueError):
        wire.RunCommand.decode({"cmd": "run", "batch": "3", "rootdir": "/p"})
    with pytest.raises(ValueError):
        wire.RunCommand.decode({"cmd": "run", "batch": 3, "rootdir": "/p", "ids": "t.py"})


def copy_worker(tmp_path, main_prefix=""):
    """A copy of the worker package whose __main__ starts with `main_prefix`."""
    target = tmp_path / "worker"
    shutil.copytree(WORKER, target, ignore=shutil.ignore_patterns("__pycache__"))
    main = target / "fastest_worker" / "__main__.py"
    main.write_text(main_prefix + main.read_text())
    return target


def project(tmp_path):
    root = tmp_path / "proj"
    root.mkdir()
    (root / "test_a.py").write_text("".join(f"def test_{i}(): pass\n" for i in range(3)))
    return root


def run(fastest_bin, python_exe, cwd, worker_dir, **env):
    return subprocess.run([str(fastest_bin), "run", "--python", python_exe, "-n", "1"], cwd=cwd,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "FASTEST_WORKER_DIR": str(worker_dir), **env})


def test_a_worker_of_another_protocol_version_is_refused_with_a_clear_error(fastest_bin, python_exe, tmp_path):
    worker = copy_worker(tmp_path, "from fastest_worker import wire as _wire\n_wire.PROTOCOL_VERSION = 999\n")
    proc = run(fastest_bin, python_exe, project(tmp_path), worker)
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr
    assert "protocol version 999" in out and f"version {wire.PROTOCOL_VERSION}" in out, out
    assert "passed" not in proc.stdout


# The first N workers close their command pipe before saying `ready`: the engine's send fails.
FLAKY = """
import os as _os
from fastest_worker import server as _server
_marker = _os.environ["FLAKY_MARKER"]
_count = len(open(_marker).read()) if _os.path.exists(_marker) else 0
if _count < int(_os.environ["FLAKY_TIMES"]):
    with open(_marker, "a") as _f:
        _f.write("x")

    class _DeafChannel(_server.Channel):
        def send(self, event):
            if event.get("event") == "ready":
                _os.close(self.fileno())
            super().send(event)

        def read_command(self):
            import time
            time.sleep(60)

    _server.Channel = _DeafChannel
"""


def test_a_batch_that_could_not_be_sent_runs_on_a_new_worker(fastest_bin, python_exe, tmp_path):
    marker = tmp_path / "flaky"
    proc = run(fastest_bin, python_exe, project(tmp_path), copy_worker(tmp_path, FLAKY),
               FLAKY_MARKER=str(marker), FLAKY_TIMES="1")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "3 passed" in proc.stdout
    assert marker.read_text() == "x"  # the first worker was deaf


def test_a_batch_no_worker_can_be_handed_is_reported_not_dropped(fastest_bin, python_exe, tmp_path):
    marker = tmp_path / "flaky"
    proc = run(fastest_bin, python_exe, project(tmp_path), copy_worker(tmp_path, FLAKY),
               FLAKY_MARKER=str(marker), FLAKY_TIMES="100")
    assert proc.returncode != 0
    assert "3 crashed" in proc.stdout or proc.stdout.count("CRASHED") == 3, proc.stdout
    assert "no Python worker could be handed" in proc.stdout, proc.stdout
