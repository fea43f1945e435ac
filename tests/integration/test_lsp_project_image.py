"""The warm project image (worker/fastest_worker/image.py; docs/execution.md, "The project
image"): the server's workers pre-import what the test modules import, and batches fork from
that image; through the real server, against real pytest.

Each test module notes whether its project module was already imported when pytest imported
the test module: `test_held` passes only in a child forked from an image that holds it."""
import os
import time

import pytest

from lsp_client import LspClient, uri
from test_run_parity import make_project

HELPER = "VALUE = 1\n"
COLLECTED_MODULE = ("import os\n\nimport pytest\n\nIMPORTED_IN = os.getpid()\n\n\n"
                    "def test_collected(answer):\n    assert answer == 42 and IMPORTED_IN != os.getpid()\n\n\n"
                    "@pytest.mark.parametrize('n', [1, 2])\ndef test_param(n):\n    assert n > 0\n")
FILES = {
    "pytest.ini": "[pytest]\npythonpath = .\nfilterwarnings =\n    ignore:a warning the project ignores\n",
    "app/__init__.py": "",
    "app/helper.py": HELPER,
    "app/threaded.py": ("import threading\nimport time\n\n"
                        "threading.Thread(target=time.sleep, args=(3600,), daemon=True, name='poller').start()\n"
                        "STARTED = True\n"),
    "tests/test_helper.py": ("import sys\n\nHELD = 'app.helper' in sys.modules\n\nfrom app import helper\n\n\n"
                             "def test_value():\n    assert helper.VALUE == 1\n\n\n"
                             "def test_held():\n    assert HELD\n"),
    "tests/test_threaded.py": ("import sys\n\nHELD = 'app.threaded' in sys.modules\n\nfrom app import helper, threaded\n\n\n"
                               "def test_started():\n    assert threaded.STARTED and not HELD\n"),
    "app/connected.py": "import socket\n\nCONNECTION = socket.socketpair()\n",
    "tests/test_connected.py": ("import sys\n\nHELD = 'app.connected' in sys.modules\n\nfrom app import connected, helper\n\n\n"
                                "def test_connected():\n    assert connected.CONNECTION and not HELD\n"),
    "tests/test_crash.py": ("import ctypes\nimport os\n\nfrom app import helper\n\n\n"
                            "def test_exit():\n    os._exit(3)\n\n\n"
                            "def test_segfault():\n    ctypes.string_at(0)\n"),
    # The image's collected process (collected.py): a module imported in an ancestor process
    # was collected there; conftest fixtures still reach its tests.
    "tests/conftest.py": "import pytest\n\n\n@pytest.fixture\ndef answer():\n    return 42\n",
    "tests/test_collected.py": COLLECTED_MODULE,
    "tests/test_warns.py": ("import os\n\nIMPORTED_IN = os.getpid()\n\n\n"
                            "class TestHasInit:  # pytest warns while collecting it: cannot collect\n"
                            "    def __init__(self):\n        pass\n\n\n"
                            "def test_imported_by_its_batch():\n    assert IMPORTED_IN == os.getpid()\n"),
    # A package whose __init__ fails after importing a submodule: pytest's error every time.
    "broken/__init__.py": "from .sub import X\nimport a_module_nobody_installed\n",
    "broken/sub.py": "X = 1\n",
    "tests/test_broken.py": "from app import helper\nfrom broken.sub import X\n\n\ndef test_x():\n    assert X == 1\n",
    "tests/test_ignored_warning.py": ("import os\nimport warnings\n\n"
                                      "warnings.warn('a warning the project ignores')\nIMPORTED_IN = os.getpid()\n\n\n"
                                      "def test_held():\n    assert IMPORTED_IN != os.getpid()\n"),
}
VALUE, HELD = "tests/test_helper.py::test_value", "tests/test_helper.py::test_held"
COLLECTED = "tests/test_collected.py::test_collected"


@pytest.fixture
def tree(tmp_path):
    return make_project(tmp_path / "proj", FILES)


@pytest.fixture
def client(fastest_bin, tree, python_exe):
    c = LspClient(fastest_bin, cwd=tree, env=dict(os.environ, FASTEST_LOG="info"))
    c.initialize(tree, options={"pythonPath": python_exe, "workers": 1})
    yield c
    c.close()


def run(client, *ids):
    """{id: final state}, each with `message`: its failure text ("" when none)."""
    _, states, _ = client.run_and_wait("fastest/runTests", {"include": list(ids)})
    final = {s["id"]: s for s in states if s["state"] not in ("enqueued", "started")}
    for state in final.values():
        state["message"] = "\n".join(m["message"] for m in state.get("messages", []))
    return final


def log(client) -> str:
    """The server's log so far. The engine reads what a worker says about its image during a
    run, so a line shows once a run came after it."""
    return b"".join(list(client.stderr)).decode(errors="replace")


def logged(client, text, timeout=15) -> bool:
    """Whether the server's log shows `text`, waiting a little: its stderr is read by a thread,
    so a line written just before a run's last notification may not be in the buffer yet."""
    deadline = time.monotonic() + timeout
    while text not in log(client):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def run_until(client, test_id, done, timeout=90):
    """Runs `test_id` until `done(state)` holds (e.g. the image is ready); returns that state."""
    deadline = time.monotonic() + timeout
    while True:
        state = run(client, test_id)[test_id]
        if done(state):
            return state
        assert time.monotonic() < deadline, f"{test_id}: {state}; the server's log:\n{log(client)[-3000:]}"
        time.sleep(0.2)


def warm(client):
    """A first run tells the worker what the tests import; the image is built, then used."""
    assert run(client, VALUE)[VALUE]["state"] == "passed"
    run_until(client, HELD, lambda state: state["state"] == "passed")  # forked from the image
    assert logged(client, "project image ready"), log(client)[-3000:]


def edit_unsaved(client, path, text):
    """Opens `path` in the editor and types `text` over it, without saving."""
    client.notify("textDocument/didOpen", {"textDocument": {"uri": uri(path), "languageId": "python", "version": 1,
                                                            "text": path.read_text()}})
    client.notify("textDocument/didChange", {"textDocument": {"uri": uri(path), "version": 2},
                                             "contentChanges": [{"text": text}]})


def touch_later(path, text):
    """Writes `text` with an mtime clearly after the old one (as a save a moment later would)."""
    before = path.stat().st_mtime_ns
    written = path.with_name(path.name + ".saving")  # renamed over: a reader never sees half a file
    written.write_text(text)
    os.utime(written, ns=(before + 2_000_000_000, before + 2_000_000_000))
    os.replace(written, path)


def test_an_edit_on_disk_of_a_module_the_image_holds_is_seen_by_the_next_run(client, tree):
    warm(client)
    touch_later(tree / "app/helper.py", "VALUE = 2\n")
    result = run(client, VALUE)[VALUE]
    assert result["state"] == "failed" and "assert 2 == 1" in result["message"], result
    assert logged(client, "helper.py changed on disk"), log(client)[-3000:]
    # Rebuilt in the background with the new helper, used again: still the new code.
    run_until(client, HELD, lambda state: state["state"] == "passed")
    result = run(client, VALUE)[VALUE]
    assert result["state"] == "failed" and "assert 2 == 1" in result["message"], result


def test_an_unsaved_buffer_of_a_module_the_image_holds_overrides_it(client, tree):
    warm(client)
    path = tree / "app/helper.py"
    edit_unsaved(client, path, "VALUE = 3\n")
    result = run(client, VALUE)[VALUE]
    assert result["state"] == "failed" and "assert 3 == 1" in result["message"], result
    marker = "helper.py has unsaved changes in the editor"
    assert logged(client, marker), log(client)[-3000:]
    # The image built meanwhile leaves the edited module out: the buffer's text still runs.
    run_until(client, VALUE, lambda state: "project image ready" in log(client).partition(marker)[2]
              and "assert 3 == 1" in state["message"])
    states = run(client, VALUE, HELD)
    assert states[HELD]["state"] == "failed"
    assert states[VALUE]["state"] == "failed" and "assert 3 == 1" in states[VALUE]["message"]


@pytest.mark.parametrize("test_id, marker", [
    ("tests/test_threaded.py::test_started",
     "app.threaded is not pre-imported: it started the thread(s) 'poller' at import"),
    ("tests/test_connected.py::test_connected", "app.connected is not pre-imported: it opened a socket at import"),
])
def test_a_module_that_starts_a_thread_or_opens_a_socket_at_import_is_left_out_and_logged(client, test_id, marker):
    # Each run passes: before the image, while it is built, and forked from the image built without it.
    run_until(client, test_id, lambda state: state["state"] == "passed" and
              "project image ready" in log(client).partition(marker)[2])
    assert run(client, test_id)[test_id]["state"] == "passed"


def test_a_crash_in_a_child_of_the_image_is_recorded_and_the_next_run_works(client):
    warm(client)
    for name in ("test_exit", "test_segfault"):
        test_id = f"tests/test_crash.py::{name}"
        assert run(client, test_id)[test_id]["state"] == "crashed"
        assert run(client, HELD)[HELD]["state"] == "passed"  # the image is still there, and used
    assert "project image failed" not in log(client)


def collected(client, test_id=COLLECTED):
    """Runs `test_id` until its module comes from the image's collected process."""
    run_until(client, COLLECTED, lambda state: state["state"] == "passed")
    assert logged(client, "project image collected"), log(client)[-3000:]


def test_a_test_module_is_collected_once_and_each_run_forks_from_it(client):
    collected(client)
    for _ in range(3):
        assert run(client, COLLECTED)[COLLECTED]["state"] == "passed"
    param = "tests/test_collected.py::test_param[2]"
    states = run(client, param)
    assert list(states) == [param] and states[param]["state"] == "passed"
    states = run(client, "tests/test_collected.py")
    assert {i: s["state"] for i, s in states.items()} == {
        COLLECTED: "passed", "tests/test_collected.py::test_param[1]": "passed",
        "tests/test_collected.py::test_param[2]": "passed"}


def test_an_edited_test_module_runs_its_new_text_while_the_collected_process_held_the_old(client, tree):
    collected(client)
    path = tree / "tests/test_collected.py"
    edited = COLLECTED_MODULE.replace("answer == 42", "answer == 43") + "\n\ndef test_added():\n    pass\n"
    mark = client.mark()
    edit_unsaved(client, path, edited)
    added = "tests/test_collected.py::test_added"
    client.wait_for(lambda m: m.get("method") == "fastest/discoveredTests" and
                    any(i["id"] == added for i in m["params"]["items"]), start=mark)
    for _ in range(3):  # before and after the collected process is started again without it
        result = run(client, COLLECTED)[COLLECTED]
        assert result["state"] == "failed" and "42 == 43" in result["message"], result
        assert run(client, added)[added]["state"] == "passed"
    # Saved (another text on disk), then closed: the disk's text runs. The file is written before
    # didClose, as an editor does: the server reads the disk when the buffer closes.
    touch_later(path, COLLECTED_MODULE.replace("answer == 42", "answer == 44"))
    client.notify("textDocument/didClose", {"textDocument": {"uri": uri(path)}})
    result = run(client, COLLECTED)[COLLECTED]
    assert result["state"] == "failed" and "42 == 44" in result["message"], result


def test_a_module_whose_collection_warns_is_left_out_of_the_collected_process(client):
    test_id = "tests/test_warns.py::test_imported_by_its_batch"
    run_until(client, test_id, lambda state: state["state"] == "passed" and
              "test_warns.py: pytest warned while collecting it (PytestCollectionWarning)" in log(client))
    assert run(client, test_id)[test_id]["state"] == "passed"


def test_a_warning_the_project_filters_out_does_not_leave_its_module_out(client):
    test_id = "tests/test_ignored_warning.py::test_held"
    run_until(client, test_id, lambda state: state["state"] == "passed")  # imported in the collected process
    assert "test_ignored_warning.py" not in log(client).partition("uncollected")[2]


def test_a_package_whose_init_fails_stays_an_error_once_the_image_is_ready(client):
    """The image's failed import of `broken` left `broken.sub` behind: a child forked from it
    imported `from broken.sub import X` without running the failing __init__, and passed."""
    test_id = "tests/test_broken.py::test_x"
    run_until(client, test_id, lambda state: "project image ready" in log(client))
    for _ in range(3):
        assert run(client, test_id)[test_id]["state"] == "errored"
