"""A run cancelled while its workers are still starting ends at once (fastest/runFinished with a
cancelled count), rather than after the workers' start-up. The interpreter here takes 6 s to
start (a wrapper that sleeps before running the real one)."""
import os
import time

from lsp_client import LspClient


def processes_running(script):
    """Processes whose command line names `script` (the wrapper's shell)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if script.encode() in f.read():
                    found.append(int(pid))
        except OSError:
            pass
    return found


def test_a_run_cancelled_while_the_workers_start_finishes_at_once(fastest_bin, python_exe, tmp_path):
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pytest.ini").write_text("[pytest]\n")
    (root / "test_a.py").write_text("def test_a():\n    pass\n")
    slow = tmp_path / "slow-python"
    slow.write_text(f"#!/bin/sh\nsleep 6\nexec '{python_exe}' \"$@\"\n")
    slow.chmod(0o755)
    client = LspClient(fastest_bin, cwd=root)
    try:
        client.initialize(root, options={"pythonPath": str(slow)})
        client.wait_for(lambda m: m.get("method") == "fastest/discoveredTests", timeout=30)
        start = client.mark()
        reply = client.request("fastest/runTests", {"include": ["test_a.py::test_a"]})
        run = reply["result"]["runId"]
        time.sleep(0.5)  # the workers are starting (for 6 s)
        cancelled_at = time.monotonic()
        client.request("fastest/cancelRun", {"runId": run})
        finished = client.wait_for(lambda m: m.get("method") == "fastest/runFinished" and m["params"]["runId"] == run,
                                   timeout=30, start=start)["params"]
        waited = time.monotonic() - cancelled_at
        assert waited < 2.0, f"runFinished came {waited:.1f} s after the cancel"
        assert finished["counts"].get("cancelled") == 1, finished
        assert "error" not in finished, finished
    finally:
        client.close()
    deadline = time.monotonic() + 5
    while processes_running(str(slow)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not processes_running(str(slow)), "a worker being started outlived the server"
