"""Continuous runs in the server (VS Code's supportsContinuousRun, the Neovim/Emacs watch
toggles): `fastest/runTests` with `continuous: true` arms the selection; each save starts a
cycle (`fastest/runStarted`) running only the selected tests whose static imports reach the
saved file, last failures first; `fastest/cancelRun` with the armed id disarms it. Real pytest."""
import time

import pytest

from lsp_client import LspClient, uri
from test_run_parity import make_project

FILES = {
    "pytest.ini": "[pytest]\n",
    "src/shop/__init__.py": "",
    "src/shop/money.py": "def add(a, b):\n    return a + b\n",
    "src/shop/cart.py": "from shop.money import add\n\ndef total(xs):\n    s = 0\n    for x in xs:\n        s = add(s, x)\n    return s\n",
    "src/shop/names.py": "def upper(s):\n    return s.upper()\n",
    "tests/conftest.py": "import sys, pathlib\nsys.path.insert(0, str(pathlib.Path(__file__).parent.parent / 'src'))\n",
    "tests/test_money.py": "from shop.money import add\n\ndef test_add():\n    assert add(1, 2) == 3\n",
    "tests/test_cart.py": "from shop.cart import total\n\ndef test_total():\n    assert total([1, 2, 3]) == 6\n",
    "tests/test_names.py": "from shop import names\n\ndef test_upper():\n    assert names.upper('a') == 'A'\n",
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


def save(client, tree, rel, text):
    path = tree / rel
    client.notify("textDocument/didOpen", {"textDocument": {"uri": uri(path), "languageId": "python", "version": 1,
                                                            "text": path.read_text()}})
    client.notify("textDocument/didChange", {"textDocument": {"uri": uri(path), "version": 2},
                                             "contentChanges": [{"text": text}]})
    path.write_text(text)
    client.notify("textDocument/didSave", {"textDocument": {"uri": uri(path)}})


def next_cycle(client, watch_id, start):
    started = client.wait_for(lambda m: m.get("method") == "fastest/runStarted"
                              and m["params"]["continuousRunId"] == watch_id, timeout=60, start=start)["params"]
    run_id = started["runId"]
    client.wait_for(lambda m: m.get("method") == "fastest/runFinished" and m["params"]["runId"] == run_id, timeout=60)
    states = {m["params"]["id"]: m["params"]["state"] for m in client.messages
              if m.get("method") == "fastest/testStateChanged" and m["params"]["runId"] == run_id
              and m["params"]["state"] not in ("enqueued", "started")}
    return started, states


def test_arming_runs_nothing_and_a_save_runs_what_imports_the_file(client, tree):
    reply = client.request("fastest/runTests", {"include": [""], "continuous": True})["result"]
    watch = reply["runId"]
    assert reply["continuous"] is True and reply["enqueued"] == []
    time.sleep(0.5)
    assert client.notifications("fastest/runStarted") == []
    assert client.notifications("fastest/testStateChanged") == []

    # money.py is imported by test_money directly and by test_cart through cart.py.
    mark = client.mark()
    save(client, tree, "src/shop/money.py", "def add(a, b):\n    return a + b + 0\n")
    started, states = next_cycle(client, watch, mark)
    assert sorted(started["enqueued"]) == ["tests/test_cart.py::test_total", "tests/test_money.py::test_add"]
    assert states == {"tests/test_cart.py::test_total": "passed", "tests/test_money.py::test_add": "passed"}

    # The saved code is what runs: a bug in names.py fails test_names, and only it runs.
    mark = client.mark()
    save(client, tree, "src/shop/names.py", "def upper(s):\n    return s.lower()\n")
    started, states = next_cycle(client, watch, mark)
    assert states == {"tests/test_names.py::test_upper": "failed"}

    # A conftest reaches every test under it.
    mark = client.mark()
    save(client, tree, "tests/conftest.py", FILES["tests/conftest.py"] + "\n")
    started, states = next_cycle(client, watch, mark)
    assert len(states) == 3 and states["tests/test_names.py::test_upper"] == "failed"

    # Disarmed: the armed run finishes, and a save runs nothing.
    assert client.request("fastest/cancelRun", {"runId": watch})["result"] is None
    client.wait_for(lambda m: m.get("method") == "fastest/runFinished" and m["params"]["runId"] == watch)
    mark = client.mark()
    save(client, tree, "src/shop/money.py", "def add(a, b):\n    return b + a\n")
    time.sleep(1.0)
    assert not any(m.get("method") == "fastest/runStarted" for m in client.messages[mark:])


def test_a_narrow_selection_stays_narrow_and_a_test_module_save_runs_itself(client, tree):
    watch = client.request("fastest/runTests", {"include": ["tests/test_cart.py::test_total"],
                                                "continuous": True})["result"]["runId"]
    mark = client.mark()
    save(client, tree, "src/shop/money.py", "def add(a, b):\n    return a - b\n")
    started, states = next_cycle(client, watch, mark)
    assert states == {"tests/test_cart.py::test_total": "failed"}  # test_money is not in the selection

    # A save that reaches nothing selected starts no cycle.
    mark = client.mark()
    save(client, tree, "src/shop/names.py", "def upper(s):\n    return s.upper()  # same\n")
    time.sleep(1.0)
    assert not any(m.get("method") == "fastest/runStarted" for m in client.messages[mark:])

    mark = client.mark()
    save(client, tree, "tests/test_cart.py", FILES["tests/test_cart.py"] + "\ndef test_new():\n    pass\n")
    started, states = next_cycle(client, watch, mark)
    assert states == {"tests/test_cart.py::test_total": "failed"}


def test_failures_run_first_in_a_cycle(client, tree):
    client.run_and_wait("fastest/runTests", {"include": [""]})
    (tree / "tests/test_money.py").write_text("from shop.money import add\n\ndef test_add():\n    assert add(1, 2) == 4\n")
    client.run_and_wait("fastest/runTests", {"include": ["tests/test_money.py"]})  # records the failure
    watch = client.request("fastest/runTests", {"include": [""], "continuous": True})["result"]["runId"]
    mark = client.mark()
    save(client, tree, "src/shop/money.py", "def add(a, b):\n    return a + b\n\n")
    started, _ = next_cycle(client, watch, mark)
    order = [m["params"]["id"] for m in client.messages[mark:]
             if m.get("method") == "fastest/testStateChanged" and m["params"]["runId"] == started["runId"]
             and m["params"]["state"] == "started"]
    assert order[0] == "tests/test_money.py::test_add", order


def test_on_type_runs_the_unsaved_buffer_after_a_pause(client, tree):
    watch = client.request("fastest/runTests", {"include": [""], "continuous": True, "onType": True})["result"]["runId"]
    path = tree / "src/shop/names.py"
    client.notify("textDocument/didOpen", {"textDocument": {"uri": uri(path), "languageId": "python", "version": 1,
                                                            "text": path.read_text()}})
    mark = client.mark()
    client.notify("textDocument/didChange", {"textDocument": {"uri": uri(path), "version": 2},
                                             "contentChanges": [{"text": "def upper(s):\n    return s + '!'\n"}]})
    started, states = next_cycle(client, watch, mark)
    assert states == {"tests/test_names.py::test_upper": "failed"}  # the buffer, not the disk, ran
    assert "return s.upper()" in path.read_text()
