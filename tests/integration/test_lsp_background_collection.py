"""A root's collection runs in the background: while a big workspace is walked and parsed the
server answers (an open file's code lenses, shutdown), a run waits for the whole tree, and a
shutdown stops the walk instead of waiting for it."""
import time

from lsp_client import LspClient, uri


def big_workspace(root, files=3000):
    (root / "pytest.ini").write_text("[pytest]\n")
    tests = root / "tests"
    for folder in range(files // 100):
        d = tests / f"pkg_{folder}"
        d.mkdir(parents=True)
        for i in range(100):
            (d / f"test_m{i}.py").write_text("".join(f"def test_{t}():\n    assert {t} >= 0\n\n" for t in range(3)))
    opened = tests / "pkg_0" / "test_open.py"
    opened.write_text("def test_here():\n    pass\n\ndef test_there():\n    pass\n")
    return opened


def discovered_log(client):
    return [n for n in client.notifications("window/logMessage") if "tests discovered" in n["message"]]


def test_an_open_file_is_answered_while_the_workspace_is_collected(fastest_bin, python_exe, tmp_path):
    opened = big_workspace(tmp_path)
    client = LspClient(fastest_bin, cwd=tmp_path)
    try:
        client.initialize(tmp_path, options={"pythonPath": python_exe})
        client.notify("textDocument/didOpen", {"textDocument": {"uri": uri(opened), "languageId": "python",
                                                                "version": 1, "text": opened.read_text()}})
        lenses = client.request("textDocument/codeLens", {"textDocument": {"uri": uri(opened)}})
        assert len(lenses["result"]) == 4  # run and debug, for each of its two tests
        assert discovered_log(client) == [], "the code lenses waited for the whole workspace"
        # A run resolves its ids against the whole tree: it waits for it, then runs.
        _, states, _ = client.run_and_wait("fastest/runTests", {"include": ["tests/pkg_7/test_m3.py::test_2"]})
        assert {s["id"]: s["state"] for s in states if s["state"] == "passed"} == {"tests/pkg_7/test_m3.py::test_2": "passed"}
        assert discovered_log(client)[0]["message"] == "fastest: 9002 tests discovered"
    finally:
        client.close()


def test_shutdown_during_the_collection_stops_it(fastest_bin, python_exe, tmp_path):
    big_workspace(tmp_path, files=6000)
    client = LspClient(fastest_bin, cwd=tmp_path)
    client.initialize(tmp_path, options={"pythonPath": python_exe})
    started = time.monotonic()
    reply = client.request("shutdown", timeout=10)
    assert "result" in reply
    client.notify("exit")
    assert client.proc.wait(timeout=10) == 0
    assert discovered_log(client) == [], "the collection was not cancelled: it ran to its end"
    assert time.monotonic() - started < 5


def test_an_open_buffer_with_lone_cr_line_breaks_reads_as_python_and_lsp_count_lines(fastest_bin, python_exe, tmp_path):
    """Python and LSP both take a lone CR for a line break (old Mac files, some generators):
    the open buffer's tests are on the lines pytest names, and edits land where the editor put them."""
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    module = tmp_path / "test_cr.py"
    text = "def test_a():\r    pass\r\rdef test_b():\r    pass\r"
    module.write_bytes(text.encode())
    client = LspClient(fastest_bin, cwd=tmp_path)
    scope = uri(module)

    def lines(start=0):
        items = client.wait_for(lambda m: m.get("method") == "fastest/discoveredTests" and
                                m["params"].get("scopeUri") == scope, 30, start)["params"]["items"]
        return {i["id"]: i["range"]["start"]["line"] for i in items if i["kind"] == "function"}

    try:
        client.initialize(tmp_path, options={"pythonPath": python_exe})
        client.notify("textDocument/didOpen", {"textDocument": {"uri": scope, "languageId": "python", "version": 1,
                                                                "text": text}})
        assert lines() == {"test_cr.py::test_a": 0, "test_cr.py::test_b": 3}
        # A CR typed at the top (a new line), then a test appended after the last CR.
        mark = client.mark()
        client.notify("textDocument/didChange", {"textDocument": {"uri": scope, "version": 2}, "contentChanges": [
            {"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}, "text": "\r"}]})
        assert lines(mark) == {"test_cr.py::test_a": 1, "test_cr.py::test_b": 4}
        mark = client.mark()
        client.notify("textDocument/didChange", {"textDocument": {"uri": scope, "version": 3}, "contentChanges": [
            {"range": {"start": {"line": 6, "character": 0}, "end": {"line": 6, "character": 0}},
             "text": "def test_c():\r    pass\r"}]})
        assert lines(mark) == {"test_cr.py::test_a": 1, "test_cr.py::test_b": 4, "test_cr.py::test_c": 6}
    finally:
        client.close()
