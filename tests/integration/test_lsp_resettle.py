"""Settled items survive edits, saves and watched-file events; only the modules a change can
affect are re-settled, and fastest/settleState says when the tree is pytest's again."""
import time

import pytest

from lsp_client import LspClient, uri

MODULE = """import pytest


def make(sentinel=id(())):  # a default only Python makes: what make() gives is pytest's to say
    return [1, 2, 3]


@pytest.mark.parametrize("x", make())
def test_x(x):
    pass


def letters(sentinel=id(())):  # the fixture's params are known only to pytest (literal ones are static)
    return ["a", "b"]


@pytest.fixture(params=letters())
def letter(request):
    return request.param


def test_letter(letter):
    pass
"""

CASES = {"tests/test_x.py::test_x[1]", "tests/test_x.py::test_x[2]", "tests/test_x.py::test_x[3]",
         "tests/test_x.py::test_letter[a]", "tests/test_x.py::test_letter[b]"}


@pytest.fixture
def root(tmp_path):
    r = tmp_path / "proj"
    (r / "tests").mkdir(parents=True)
    (r / "pytest.ini").write_text("[pytest]\n")
    (r / "tests" / "test_x.py").write_text(MODULE)
    (r / "tests" / "test_plain.py").write_text("def test_ok():\n    pass\n")
    return r


@pytest.fixture
def client(fastest_bin, root, python_exe):
    c = LspClient(fastest_bin, cwd=root)
    c.initialize(root, options={"pythonPath": python_exe})
    wait_settled(c, 0)
    yield c
    c.close()


def wait_settled(client, start, timeout=60):
    return client.wait_for(lambda m: m.get("method") == "fastest/settleState" and m["params"]["state"] == "settled",
                           timeout, start)["params"]


def cases(items):
    return {i["id"]: i.get("stale", False) for i in items if i["kind"] == "case"}


def publications(client, start, scope):
    with client.lock:
        return [m["params"]["items"] for m in client.messages[start:]
                if m.get("method") == "fastest/discoveredTests" and m["params"]["scopeUri"] == scope]


def next_publication(client, start, scope, timeout=30):
    return client.wait_for(lambda m: m.get("method") == "fastest/discoveredTests" and m["params"]["scopeUri"] == scope,
                           timeout, start)["params"]["items"]


def test_settled_cases_are_published_once_settled(client, root):
    assert cases(publications(client, 0, uri(root / "tests/test_x.py"))[-1]) == {c: False for c in CASES}


def edit(client, path, version, line, text):
    client.notify("textDocument/didChange", {
        "textDocument": {"uri": uri(path), "version": version},
        "contentChanges": [{"range": {"start": {"line": line, "character": 0}, "end": {"line": line, "character": 0}},
                            "text": text}]})


def open_module(client, path):
    client.notify("textDocument/didOpen", {"textDocument": {"uri": uri(path), "languageId": "python", "version": 1,
                                                            "text": path.read_text()}})
    sync(client)


def sync(client):
    """Waits until the server handled everything sent so far (handlers run in order)."""
    client.request("textDocument/codeLens", {"textDocument": {"uri": "file:///nowhere.py"}})


def test_a_typed_character_keeps_the_cases_stale_then_resettles_them(client, root):
    path = root / "tests" / "test_x.py"
    open_module(client, path)
    assert cases(publications(client, 0, uri(path))[-1]) == {c: False for c in CASES}
    start = client.mark()
    t0 = time.monotonic()
    edit(client, path, 2, 2, "#")  # one character, on a blank line
    first = next_publication(client, start, uri(path))
    first_latency = time.monotonic() - t0
    assert cases(first) == {c: True for c in CASES}
    assert first_latency < 0.3
    wait_settled(client, start)
    assert cases(publications(client, start, uri(path))[-1]) == {c: False for c in CASES}


def test_an_edit_of_the_parametrize_source_is_resettled_from_the_buffer(client, root):
    path = root / "tests" / "test_x.py"
    open_module(client, path)
    start = client.mark()
    # `return [1, 2, 3]` -> `return [1, 2, 3, 4]`, unsaved: the re-settle must read the buffer.
    client.notify("textDocument/didChange", {
        "textDocument": {"uri": uri(path), "version": 2},
        "contentChanges": [{"range": {"start": {"line": 4, "character": 19}, "end": {"line": 4, "character": 19}},
                            "text": ", 4"}]})
    first = next_publication(client, start, uri(path))
    assert cases(first) == {c: True for c in CASES}
    wait_settled(client, start)
    assert cases(publications(client, start, uri(path))[-1]) == {
        **{c: False for c in CASES}, "tests/test_x.py::test_x[4]": False}


def test_a_renamed_test_loses_its_cases_at_once(client, root):
    path = root / "tests" / "test_x.py"
    open_module(client, path)
    start = client.mark()
    # `def test_x(x):` -> `def test_y(x):`
    client.notify("textDocument/didChange", {
        "textDocument": {"uri": uri(path), "version": 2},
        "contentChanges": [{"range": {"start": {"line": 8, "character": 9}, "end": {"line": 8, "character": 10}},
                            "text": "y"}]})
    first = next_publication(client, start, uri(path))
    assert cases(first) == {"tests/test_x.py::test_letter[a]": True, "tests/test_x.py::test_letter[b]": True}
    wait_settled(client, start)
    assert cases(publications(client, start, uri(path))[-1]) == {
        "tests/test_x.py::test_y[1]": False, "tests/test_x.py::test_y[2]": False, "tests/test_x.py::test_y[3]": False,
        "tests/test_x.py::test_letter[a]": False, "tests/test_x.py::test_letter[b]": False}


def test_editor_lock_and_backup_files_do_not_recollect(client, root):
    start = client.mark()
    names = [".#test_x.py", "#test_x.py#", "test_x.py~", ".test_x.py.swp", "4913"]
    client.notify("workspace/didChangeWatchedFiles",
                  {"changes": [{"uri": uri(root / "tests" / n), "type": 1} for n in names]})
    sync(client)  # anything the event published comes before this answer
    with client.lock:
        sent = [m.get("method") for m in client.messages[start:] if "method" in m]
    assert "fastest/discoveredTests" not in sent and "fastest/settleState" not in sent


@pytest.mark.parametrize("change", ["saved module", "conftest"])
def test_a_watched_change_keeps_the_cases_stale_and_resettles_only_what_it_touches(client, root, change):
    path = root / "tests" / "test_x.py"
    if change == "saved module":
        path.write_text(MODULE.replace("[1, 2, 3]", "[1, 2]"))
        changed = path
        expected = CASES - {"tests/test_x.py::test_x[3]"}
    else:
        changed = root / "tests" / "conftest.py"
        changed.write_text("import pytest\n\n@pytest.fixture(params=['a', 'b', 'c'])\ndef letter(request):\n"
                           "    return request.param\n")
        expected = CASES  # the module's own fixture overrides the conftest's
    start = client.mark()
    client.notify("workspace/didChangeWatchedFiles", {"changes": [{"uri": uri(changed), "type": 2}]})
    first = next_publication(client, start, uri(root))
    assert cases(first) == {c: True for c in CASES}
    state = wait_settled(client, start)
    assert state["modules"] == 1  # test_plain.py has nothing dynamic: not re-settled
    assert cases(publications(client, start, uri(path))[-1]) == {c: False for c in expected}


def test_a_newer_edit_supersedes_a_resettle_in_flight(client, root):
    path = root / "tests" / "test_x.py"
    open_module(client, path)

    def set_values(version, values):
        client.notify("textDocument/didChange", {
            "textDocument": {"uri": uri(path), "version": version},
            "contentChanges": [{"text": MODULE.replace("return [1, 2, 3]", values)}]})

    start = client.mark()
    # Collecting this takes pytest a second: the re-settle is still in flight at the next edit.
    set_values(2, "import time; time.sleep(1)\n    return [1, 2, 3, 4]")
    client.wait_for(lambda m: m.get("method") == "fastest/settleState", 10, start)
    time.sleep(0.5)
    second = client.mark()
    set_values(3, "return [1, 2]")
    wait_settled(client, second)
    after = publications(client, second, uri(path))
    # No publication after the second edit shows the first edit's answer as current.
    assert not any(cases(items).get("tests/test_x.py::test_x[4]") is False for items in after)
    assert cases(after[-1]) == {c: False for c in CASES - {"tests/test_x.py::test_x[3]"}}


def test_running_a_stale_case_runs_what_pytest_now_has_for_its_function(fastest_bin, root, python_exe):
    """A settled case is only a guess once its module changed: the run hands pytest its function
    (the rule `fastest run` uses for dynamic cases), not an id pytest may no longer have."""
    c = LspClient(fastest_bin, cwd=root)
    try:
        c.initialize(root, options={"pythonPath": python_exe, "resettleDelayMs": 60000})
        wait_settled(c, 0)
        path = root / "tests" / "test_x.py"
        open_module(c, path)
        # `return [1, 2, 3]` -> `return [1, 2, 5]`, unsaved: test_x[3] is gone, test_x[5] new.
        c.notify("textDocument/didChange", {
            "textDocument": {"uri": uri(path), "version": 2},
            "contentChanges": [{"range": {"start": {"line": 4, "character": 18}, "end": {"line": 4, "character": 19}},
                                "text": "5"}]})
        _, states, finished = c.run_and_wait("fastest/runTests", {"include": ["tests/test_x.py::test_x[3]"]})
        final = {s["id"]: s["state"] for s in states if s["state"] not in ("enqueued", "started")}
        assert final == {"tests/test_x.py::test_x[1]": "passed", "tests/test_x.py::test_x[2]": "passed",
                         "tests/test_x.py::test_x[5]": "passed"}, final
    finally:
        c.close()
