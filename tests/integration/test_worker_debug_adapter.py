"""debugpy's adapter outlives a debug batch killed while debugpy starts: it daemonizes out of the
batch child's process group (setsid, then a second fork), and until its debuggee connects to it
it waits for that connection for ever, holding the debug port. The worker ends it."""
import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import time

import pytest

WORKER = pathlib.Path(__file__).resolve().parents[2] / "worker"

# A worker whose batch child stops inside debugpy.listen once the adapter runs, before the child
# connects to it: where a cancel on a loaded machine can catch it.
DRIVER = """
import os, sys, time
sys.path.insert(0, {worker!r})
import debugpy.server.api as api
from fastest_worker import server, wire
from fastest_worker.channel import Channel

connect = api._settrace
def never_connects(*args, **kwargs):
    if kwargs.get("block_until_connected"):  # the debuggee's connection to its adapter
        open({stalled!r}, "w").close()
        time.sleep(3600)
    return connect(*args, **kwargs)
api._settrace = never_connects

commands, _ = os.pipe()
events = os.open({events!r}, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
command = wire.RunCommand(batch=7, rootdir={root!r}, ids=["test_a.py"], debug_port={port})
print(server._fork_batch(Channel(commands, events), command, None), flush=True)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def adapters_on(port: int) -> list:
    """The debugpy adapters serving `port` (their pids)."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                args = f.read().split(b"\0")
        except OSError:
            continue
        if any(b"debugpy" in a for a in args) and b"--port" in args and args[args.index(b"--port") + 1] == str(port).encode():
            found.append(int(entry))
    return found


@pytest.mark.skipif(subprocess.run([sys.executable, "-c", "import debugpy"]).returncode != 0, reason="debugpy is not installed")
def test_a_debug_batch_killed_while_debugpy_starts_leaves_no_adapter(python_exe, tmp_path):
    if subprocess.run([python_exe, "-c", "import debugpy"]).returncode != 0:
        pytest.skip("debugpy is not installed for the test interpreter")
    (tmp_path / "test_a.py").write_text("def test_a():\n    pass\n")
    port, stalled, events = free_port(), tmp_path / "stalled", tmp_path / "events"
    script = tmp_path / "driver.py"
    script.write_text(DRIVER.format(worker=str(WORKER), stalled=str(stalled), events=str(events), root=str(tmp_path), port=port))
    # Output to a file: the adapter inherits the batch child's stdout and stderr (in a worker, its
    # stderr pipe to the engine), and a pipe would stay open as long as it lives.
    out = tmp_path / "out"
    with open(out, "w") as stdout:
        driver = subprocess.Popen([python_exe, str(script)], cwd=tmp_path, stdout=stdout, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not stalled.exists():
            assert driver.poll() is None and time.monotonic() < deadline, "the batch child never reached its adapter"
            time.sleep(0.05)
        assert adapters_on(port), "debugpy started no adapter"
        child = next(e["pid"] for e in map(json.loads, events.read_text().splitlines()) if e["event"] == "child")
        os.killpg(child, signal.SIGKILL)  # as the engine cancels a batch
        driver.wait(timeout=30)
        status = int(out.read_text())
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
        # Ended by the time the batch is reported done (the worker's _fork_batch has returned).
        assert adapters_on(port) == []
    finally:
        driver.kill()
        for pid in adapters_on(port):
            os.kill(pid, signal.SIGKILL)
