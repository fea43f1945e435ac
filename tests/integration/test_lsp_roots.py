"""Workspace folders removed while documents are open, runs run and settles settle; malformed
edits; exit while background work is under way. The server must neither crash nor use a root
it no longer has, and must exit cleanly (code 0: no abort, no sanitizer report)."""
import time

import pytest

from lsp_client import LspClient, uri


def make_root(path, files):
    path.mkdir(parents=True)
    (path / "pytest.ini").write_text("[pytest]\n")
    for name, text in files.items():
        (path / name).write_text(text)
    return path


def start(fastest_bin, python_exe, root, folders=None):
    c = LspClient(fastest_bin, cwd=root)
    c.initialize(root, options={"pythonPath": python_exe})
    if folders:
        c.notify("workspace/didChangeWorkspaceFolders",
                 {"event": {"added": [{"uri": uri(f), "name": f.name} for f in folders], "removed": []}})
    return c


def remove_folder(c, folder):
    c.notify("workspace/didChangeWorkspaceFolders",
             {"event": {"added": [], "removed": [{"uri": uri(folder), "name": folder.name}]}})


def open_doc(c, path):
    """Opens a test file of a root and waits for its publication."""
    mark = c.mark()
    c.notify("textDocument/didOpen", {"textDocument": {"uri": uri(path), "languageId": "python", "version": 1,
                                                       "text": path.read_text()}})
    c.wait_for(lambda m: m.get("method") == "fastest/discoveredTests" and m["params"]["scopeUri"] == uri(path),
               start=mark)


def edit(c, path, version, line, text):
    c.notify("textDocument/didChange", {"textDocument": {"uri": uri(path), "version": version}, "contentChanges": [
        {"range": {"start": {"line": line, "character": 0}, "end": {"line": line, "character": 0}}, "text": text}]})


def alive(c):
    reply = c.request("textDocument/codeLens", {"textDocument": {"uri": "file:///nowhere/x.py"}}, timeout=20)
    assert reply.get("result") == [], reply


def close_cleanly(c):
    reply = c.request("shutdown", timeout=30)
    assert "result" in reply, reply
    c.notify("exit")
    assert c.proc.wait(timeout=30) == 0, "".join(x.decode(errors="replace") for x in c.stderr)[-3000:]


TWO_TESTS = "def test_a():\n    pass\n\n\ndef test_b():\n    pass\n"


def test_edit_of_a_document_whose_root_was_removed(fastest_bin, python_exe, tmp_path):
    root = make_root(tmp_path / "r", {"test_x.py": TWO_TESTS})
    c = start(fastest_bin, python_exe, root)
    try:
        c.wait_for(lambda m: m.get("method") == "fastest/discoveredTests")
        open_doc(c, root / "test_x.py")
        remove_folder(c, root)
        mark = c.mark()
        edit(c, root / "test_x.py", 2, 0, "\n")
        edit(c, root / "test_x.py", 3, 0, "def test_new():\n    pass\n")
        alive(c)
        # Rootless now: its edits publish nothing, and it has no lenses.
        assert not [m for m in c.messages[mark:] if m.get("method") == "fastest/discoveredTests"]
        lenses = c.request("textDocument/codeLens", {"textDocument": {"uri": uri(root / "test_x.py")}})
        assert lenses["result"] == []
        c.notify("textDocument/didClose", {"textDocument": {"uri": uri(root / "test_x.py")}})
        alive(c)
        close_cleanly(c)
    finally:
        c.proc.kill()


def test_a_document_of_a_removed_root_moves_to_the_root_around_it(fastest_bin, python_exe, tmp_path):
    outer = make_root(tmp_path / "outer", {})
    inner = make_root(outer / "pkg", {"test_x.py": TWO_TESTS})
    c = start(fastest_bin, python_exe, outer, folders=[inner])
    try:
        doc = inner / "test_x.py"
        c.wait_for(lambda m: m.get("method") == "fastest/discoveredTests" and m["params"]["scopeUri"] == uri(inner))
        open_doc(c, doc)
        remove_folder(c, inner)
        mark = c.mark()
        edit(c, doc, 2, 0, "def test_new():\n    pass\n\n\n")
        # The outer root has it now, under its own rootdir.
        published = c.wait_for(lambda m: m.get("method") == "fastest/discoveredTests" and
                               m["params"]["scopeUri"] == uri(doc) and
                               any(i["id"] == "pkg/test_x.py::test_new" for i in m["params"]["items"]), start=mark)
        assert "pkg/test_x.py::test_a" in {i["id"] for i in published["params"]["items"]}
        lenses = c.request("textDocument/codeLens", {"textDocument": {"uri": uri(doc)}})
        assert any(lens["command"]["arguments"][0]["id"] == "pkg/test_x.py::test_new" for lens in lenses["result"])
        close_cleanly(c)
    finally:
        c.proc.kill()


def test_root_removed_while_its_run_runs(fastest_bin, python_exe, tmp_path):
    root = make_root(tmp_path / "r", {"test_slow.py": "import time\n\n\ndef test_slow():\n    time.sleep(2)\n\n\n"
                                                      "def test_after():\n    pass\n"})
    c = start(fastest_bin, python_exe, root)
    try:
        c.wait_for(lambda m: m.get("method") == "fastest/discoveredTests")
        open_doc(c, root / "test_slow.py")
        reply = c.request("fastest/runTests", {"include": ["test_slow.py"], "kind": "run"})
        run_id = reply["result"]["runId"]
        c.wait_for(lambda m: m.get("method") == "fastest/testStateChanged" and m["params"]["state"] == "started",
                   timeout=60)
        remove_folder(c, root)
        edit(c, root / "test_slow.py", 2, 0, "\n")
        # The run ends (its root is gone: cancelled), and the server goes on serving.
        c.wait_for(lambda m: m.get("method") == "fastest/runFinished" and m["params"]["runId"] == run_id, timeout=30)
        alive(c)
        close_cleanly(c)
    finally:
        c.proc.kill()


SLOW_DYNAMIC = ("import time\nimport pytest\n\ntime.sleep(2)  # a slow import: the settle takes a while\n\n\n"
                "def cases(sentinel=id(())):\n    return [1, 2]\n\n\n"
                "@pytest.mark.parametrize('x', cases())\ndef test_dyn(x):\n    pass\n")


def test_root_removed_while_it_settles(fastest_bin, python_exe, tmp_path):
    root = make_root(tmp_path / "r", {"test_dyn.py": SLOW_DYNAMIC})
    c = start(fastest_bin, python_exe, root)
    try:
        c.wait_for(lambda m: m.get("method") == "fastest/discoveredTests")
        open_doc(c, root / "test_dyn.py")
        remove_folder(c, root)
        mark = c.mark()
        edit(c, root / "test_dyn.py", 2, 0, "\n")
        time.sleep(4)  # past the settle's end, had it not been cancelled
        alive(c)
        # Nothing was published for the removed root.
        assert not [m for m in c.messages[mark:] if m.get("method") == "fastest/discoveredTests"]
        close_cleanly(c)
    finally:
        c.proc.kill()


def test_exit_while_settling_is_clean(fastest_bin, python_exe, tmp_path):
    root = make_root(tmp_path / "r", {"test_dyn.py": SLOW_DYNAMIC})
    c = start(fastest_bin, python_exe, root)
    try:
        c.wait_for(lambda m: m.get("method") == "fastest/discoveredTests")
        started = time.monotonic()
        close_cleanly(c)
        assert time.monotonic() - started < 15
    finally:
        c.proc.kill()


def test_exit_without_shutdown_while_settling_is_clean(fastest_bin, python_exe, tmp_path):
    root = make_root(tmp_path / "r", {"test_dyn.py": SLOW_DYNAMIC})
    c = start(fastest_bin, python_exe, root)
    try:
        c.wait_for(lambda m: m.get("method") == "fastest/discoveredTests")
        c.proc.stdin.close()  # the editor vanished: stdin EOF
        assert c.proc.wait(timeout=30) == 0, "".join(x.decode(errors="replace") for x in c.stderr)[-3000:]
    finally:
        c.proc.kill()


@pytest.mark.parametrize("range_", [
    {},
    {"start": {"line": 0, "character": 0}},
    {"start": {"line": 0}, "end": {"line": 0, "character": 0}},
    {"start": {"line": "0", "character": 0}, "end": {"line": 0, "character": 0}},
    {"start": {"line": -1, "character": 0}, "end": {"line": 0, "character": 0}},
    [],
])
def test_a_malformed_change_is_logged_and_leaves_the_document(fastest_bin, python_exe, tmp_path, range_):
    root = make_root(tmp_path / "r", {"test_x.py": TWO_TESTS})
    doc = root / "test_x.py"
    c = start(fastest_bin, python_exe, root)
    try:
        c.wait_for(lambda m: m.get("method") == "fastest/discoveredTests")
        open_doc(c, doc)
        mark = c.mark()
        c.notify("textDocument/didChange", {"textDocument": {"uri": uri(doc), "version": 2},
                                            "contentChanges": [{"range": range_, "text": "def test_bad():\n    pass\n"}]})
        logged = c.wait_for(lambda m: m.get("method") == "window/logMessage" and m["params"]["type"] == 1, start=mark)
        assert "didChange" in logged["params"]["message"]
        lenses = c.request("textDocument/codeLens", {"textDocument": {"uri": uri(doc)}})["result"]
        assert {lens["command"]["arguments"][0]["id"] for lens in lenses} == {"test_x.py::test_a", "test_x.py::test_b"}
        # The next good edit applies to the unchanged text.
        edit(c, doc, 3, 0, "def test_new():\n    pass\n\n\n")
        lenses = c.request("textDocument/codeLens", {"textDocument": {"uri": uri(doc)}})["result"]
        assert {lens["command"]["arguments"][0]["id"] for lens in lenses} == {
            "test_x.py::test_new", "test_x.py::test_a", "test_x.py::test_b"}
        assert lenses[0]["range"]["start"]["line"] == 0
        close_cleanly(c)
    finally:
        c.proc.kill()


# --- ids qualified by their root (two packages of a monorepo with the same test file) ----------
def two_packages(tmp_path):
    billing = make_root(tmp_path / "mono" / "billing", {})
    shipping = make_root(tmp_path / "mono" / "shipping", {})
    for root, verdict in ((billing, "True"), (shipping, "False")):
        (root / "tests").mkdir()
        (root / "tests" / "test_api.py").write_text(f"def test_a():\n    assert {verdict}\n")
    return billing, shipping


def finals(states):
    return sorted((s["rootUri"], s["id"], s["state"]) for s in states if s["state"] not in ("enqueued", "started"))


def test_the_same_id_in_two_roots_runs_where_the_client_says(fastest_bin, python_exe, tmp_path):
    billing, shipping = two_packages(tmp_path)
    c = start(fastest_bin, python_exe, billing, folders=[shipping])
    try:
        for folder in (billing, shipping):
            c.wait_for(lambda m: m.get("method") == "fastest/settleState" and m["params"]["rootUri"] == uri(folder)
                       and m["params"]["state"] == "settled", timeout=60)
        published = {p["rootUri"] for p in c.notifications("fastest/discoveredTests")}
        assert published == {uri(billing), uri(shipping)}
        test_id = "tests/test_api.py::test_a"
        # {id, rootUri}: that root only.
        _, states, _ = c.run_and_wait("fastest/runTests", {"include": [{"id": test_id, "rootUri": uri(shipping)}]})
        assert finals(states) == [(uri(shipping), test_id, "failed")]
        assert all(s["rootUri"] == uri(shipping) for s in states)
        # {id, uri}, as a code lens's argument: the root holding that file.
        _, states, _ = c.run_and_wait("workspace/executeCommand", {"command": "fastest.runTest", "arguments": [
            {"id": test_id, "uri": uri(billing / "tests" / "test_api.py")}]})
        assert finals(states) == [(uri(billing), test_id, "passed")]
        # A bare id names it in every root that has it, each result saying which.
        _, states, _ = c.run_and_wait("fastest/runTests", {"include": [test_id]})
        assert finals(states) == sorted([(uri(billing), test_id, "passed"), (uri(shipping), test_id, "failed")])
        # ...and an exclude can be qualified the same way.
        _, states, _ = c.run_and_wait("fastest/runTests", {"include": [test_id],
                                                           "exclude": [{"id": "tests", "rootUri": uri(billing)}]})
        assert finals(states) == [(uri(shipping), test_id, "failed")]
        bad = c.request("fastest/runTests", {"include": [{"id": test_id, "rootUri": uri(tmp_path / "elsewhere")}]})
        assert bad["error"]["code"] == -32602 and "no workspace folder" in bad["error"]["message"]
        bad = c.request("fastest/runTests", {"include": [{"rootUri": uri(billing)}]})
        assert bad["error"]["code"] == -32602
        close_cleanly(c)
    finally:
        c.close()
