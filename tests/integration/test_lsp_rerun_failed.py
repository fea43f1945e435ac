"""The editor's "rerun failed" shares pytest's own cache (.pytest_cache/v/cache/lastfailed):
editor runs record their results there as pytest would, and fastest.rerunFailed runs what it
lists, as `pytest --lf` would; through the real server, against real pytest."""
import json
import subprocess

import pytest

from lsp_client import LspClient, uri
from test_run_parity import make_project

FILES = {
    "pytest.ini": "[pytest]\n",
    "tests/test_one.py": "def test_a(): pass\ndef test_b(): assert 0\ndef test_c(): pass\n",
    "tests/test_two.py": "def test_q(): pass\n",
}


@pytest.fixture
def tree(tmp_path):
    return make_project(tmp_path / "proj", FILES)


@pytest.fixture
def client(fastest_bin, tree, python_exe):
    c = LspClient(fastest_bin, cwd=tree)
    c.initialize(tree, options={"pythonPath": python_exe, "workers": 1})
    yield c
    c.close()


def lastfailed(root, cache=".pytest_cache"):
    path = root / cache / "v" / "cache" / "lastfailed"
    return json.loads(path.read_text()) if path.exists() else None


def pytest_run(python_exe, root, *args):
    return subprocess.run([python_exe, "-m", "pytest", "-p", "no:xdist", "-rA", *args], cwd=root,
                          capture_output=True, text=True, timeout=120)


def ran(states):
    return {s["id"]: s["state"] for s in states if s["state"] not in ("enqueued", "started")}


def rerun_failed(client, argument=None):
    return client.request("workspace/executeCommand", {"command": "fastest.rerunFailed", "arguments": [argument or {}]})


def test_the_command_is_advertised(fastest_bin, tree, python_exe):
    c = LspClient(fastest_bin, cwd=tree)
    try:
        caps = c.initialize(tree, options={"pythonPath": python_exe})["result"]["capabilities"]
        assert "fastest.rerunFailed" in caps["executeCommandProvider"]["commands"]
    finally:
        c.close()


def test_an_editor_run_writes_lastfailed_that_pytest_lf_honours(client, tree, python_exe):
    _, states, _ = client.run_and_wait("fastest/runTests", {"include": ["tests/test_one.py"]})
    assert ran(states) == {"tests/test_one.py::test_a": "passed", "tests/test_one.py::test_b": "failed",
                           "tests/test_one.py::test_c": "passed"}
    assert lastfailed(tree) == {"tests/test_one.py::test_b": True}
    after = pytest_run(python_exe, tree, "--lf")
    assert "run-last-failure: rerun previous 1 failure" in after.stdout, after.stdout
    assert "FAILED tests/test_one.py::test_b" in after.stdout
    assert "PASSED" not in after.stdout  # test_a, test_c and test_q did not run


def test_pytests_failures_are_what_rerun_failed_runs(client, tree, python_exe):
    assert pytest_run(python_exe, tree).returncode == 1
    assert lastfailed(tree) == {"tests/test_one.py::test_b": True}
    _, states, _ = client.run_and_wait("workspace/executeCommand", {"command": "fastest.rerunFailed", "arguments": [{}]})
    assert ran(states) == {"tests/test_one.py::test_b": "failed"}


def test_a_passing_rerun_clears_the_entry(client, tree, python_exe):
    assert pytest_run(python_exe, tree).returncode == 1
    (tree / "tests/test_one.py").write_text("def test_a(): pass\ndef test_b(): pass\ndef test_c(): pass\n")
    reply, states, _ = client.run_and_wait("workspace/executeCommand",
                                           {"command": "fastest.rerunFailed", "arguments": [{"rootUri": uri(tree)}]})
    assert reply["failures"] == 1
    assert ran(states) == {"tests/test_one.py::test_b": "passed"}
    assert lastfailed(tree) == {}
    again = rerun_failed(client)
    assert again["error"]["message"] == "no failed tests recorded: the last run passed"
    # pytest agrees: nothing failed, so --lf runs everything.
    assert "no previously failed tests, not deselecting items." in pytest_run(python_exe, tree, "--lf").stdout


def test_nothing_recorded_is_said_and_nothing_runs(client, tree):
    mark = client.mark()
    reply = rerun_failed(client)
    assert reply["error"]["message"] == "no failed tests recorded: the last run passed"
    assert not [m for m in client.messages[mark:] if m.get("method") == "fastest/testStateChanged"]


def test_the_cache_dir_option_and_a_disabled_cacheprovider_are_respected(fastest_bin, tree, python_exe):
    (tree / "pytest.ini").write_text("[pytest]\ncache_dir = build/pycache\n")
    c = LspClient(fastest_bin, cwd=tree)
    try:
        c.initialize(tree, options={"pythonPath": python_exe, "workers": 1})
        c.run_and_wait("fastest/runTests", {"include": ["tests/test_one.py::test_b"]})
        assert lastfailed(tree, "build/pycache") == {"tests/test_one.py::test_b": True}
        assert lastfailed(tree) is None
    finally:
        c.close()
    (tree / "pytest.ini").write_text("[pytest]\naddopts = -p no:cacheprovider\n")
    c = LspClient(fastest_bin, cwd=tree)
    try:
        c.initialize(tree, options={"pythonPath": python_exe, "workers": 1})
        c.run_and_wait("fastest/runTests", {"include": ["tests/test_one.py::test_b"]})
        assert not (tree / ".pytest_cache").exists()
        assert "cache is disabled" in rerun_failed(c)["error"]["message"]
    finally:
        c.close()


def test_a_module_that_failed_to_collect_is_recorded_as_pytest_does_and_rerun_whole(client, tree, python_exe, tmp_path):
    broken = {"tests/test_broken.py": "import not_a_module_anywhere\ndef test_x(): pass\ndef test_y(): pass\n"}
    for root in (tree, tmp_path / "theirs"):
        for name, text in {**FILES, **broken}.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(text)
    pytest_run(python_exe, tmp_path / "theirs", "tests/test_broken.py")
    client.notify("workspace/didChangeWatchedFiles", {"changes": [{"uri": uri(tree / "tests/test_broken.py"), "type": 1}]})
    client.request("fastest/discoverTests", {})
    client.run_and_wait("fastest/runTests", {"include": ["tests/test_broken.py"]})
    assert lastfailed(tree) == lastfailed(tmp_path / "theirs") == {"tests/test_broken.py": True}
    for root in (tree, tmp_path / "theirs"):
        (root / "tests/test_broken.py").write_text("def test_x(): pass\ndef test_y(): pass\n")
    client.notify("workspace/didChangeWatchedFiles", {"changes": [{"uri": uri(tree / "tests/test_broken.py"), "type": 2}]})
    client.request("fastest/discoverTests", {})
    _, states, _ = client.run_and_wait("workspace/executeCommand", {"command": "fastest.rerunFailed", "arguments": [{}]})
    assert ran(states) == {"tests/test_broken.py::test_x": "passed", "tests/test_broken.py::test_y": "passed"}
    assert lastfailed(tree) == {}
    pytest_run(python_exe, tmp_path / "theirs")  # pytest forgets the module once it collects, too
    assert lastfailed(tmp_path / "theirs") == {"tests/test_one.py::test_b": True}
