"""Whole LSP sessions driven over pipes by a scripted client."""
import os
import shutil
import signal
import socket
import time

import pytest

from lsp_client import LspClient, uri
from test_run_faults import descendants
from test_worker_debug_adapter import adapters_on


@pytest.fixture
def project(tmp_path, test_project, python_exe):
    dest = tmp_path / "proj"
    shutil.copytree(test_project, dest, ignore=shutil.ignore_patterns(".fastest_cache", "__pycache__", ".pytest_cache"))
    return dest


@pytest.fixture
def client(fastest_bin, project, python_exe):
    c = LspClient(fastest_bin, cwd=project)
    c.python = python_exe
    yield c
    c.close()


def init(client, project, **kw):
    return client.initialize(project, options={"pythonPath": client.python, **kw})


def final_states(states):
    return {s["id"]: s for s in states if s["state"] not in ("enqueued", "started")}


def test_lifecycle_and_capabilities(client, project):
    early = client.request("textDocument/codeLens", {"textDocument": {"uri": uri(project / "x.py")}})
    assert early["error"]["code"] == -32002
    result = init(client, project)
    caps = result["result"]["capabilities"]
    assert caps["positionEncoding"] == "utf-16"
    assert caps["codeLensProvider"] is not None
    assert "fastest.runTest" in caps["executeCommandProvider"]["commands"]
    assert client.request("no/such/method")["error"]["code"] == -32601
    client.notify("no/such/notification", {})
    assert client.request("fastest/runTests", {"include": 5})["error"]["code"] == -32602
    # The server registered a file watcher dynamically and reported indexing progress.
    client.wait_for(lambda m: m.get("method") == "client/registerCapability")
    client.wait_for(lambda m: m.get("method") == "$/progress" and m["params"]["value"]["kind"] == "end")


def test_a_client_with_a_test_explorer_gets_no_code_lenses(client, project):
    """VS Code shows run controls in its Testing view: lenses would be a second set on every test."""
    result = client.initialize(project, capabilities={"experimental": {"fastestTestExplorer": True}},
                               options={"pythonPath": client.python})
    assert "codeLensProvider" not in result["result"]["capabilities"]
    client.wait_for(lambda m: m.get("method") == "fastest/discoveredTests")
    test_file = project / "tests" / "unit" / "test_stock.py"
    lenses = client.request("textDocument/codeLens", {"textDocument": {"uri": uri(test_file)}})
    assert lenses["result"] == []


def test_workspace_tree_is_published(client, project):
    init(client, project)
    tree = client.wait_for(lambda m: m.get("method") == "fastest/discoveredTests")["params"]
    ids = {item["id"] for item in tree["items"]}
    assert "tests/unit/test_stock.py::test_price[50-0.5]" in ids
    assert "tests/unit/test_classes.py::TestStockBasics::TestNested::test_inner" in ids
    kinds = {item["kind"] for item in tree["items"]}
    assert kinds == {"folder", "module", "class", "function", "case"}
    case = next(i for i in tree["items"] if i["id"] == "tests/unit/test_stock.py::test_add_rejects_non_positive[very-negative]")
    assert case["parentId"] == "tests/unit/test_stock.py::test_add_rejects_non_positive"
    assert case["uri"] == uri(project / "tests/unit/test_stock.py")
    dynamic = next(i for i in tree["items"] if i["id"] == "tests/integration/test_workflow.py::test_dynamic_range")
    assert dynamic["dynamic"] is True


def test_malformed_input_gets_errors_and_the_server_lives(client, project):
    init(client, project)
    client.send_bytes(b"Content-Length: 5\r\n\r\n{bad}")
    client.send_bytes(b"Content-Length: abc\r\n\r\n")
    client.send_bytes(b"X-Header: 1\r\n\r\n")
    body = b'{"jsonrpc": "2.0", "id": 99, "method": "x", "params": "\xff\xfe"}'
    client.send_bytes(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    client.send_raw({"jsonrpc": "1.0", "id": 7, "method": "shutdown"})
    errors = lambda: [m for m in client.messages if "error" in m and m.get("id") in (None, 7)]
    client.wait_for(lambda m: len(errors()) >= 4, timeout=10)
    assert all(e["error"]["code"] in (-32700, -32600) for e in errors())
    # Still serving.
    lenses = client.request("textDocument/codeLens", {"textDocument": {"uri": uri(project / "tests/unit/test_stock.py")}})
    assert len(lenses["result"]) > 10


def test_code_lenses_on_functions_classes_and_cases(client, project):
    init(client, project)
    client.wait_for(lambda m: m.get("method") == "fastest/discoveredTests")
    lenses = client.request("textDocument/codeLens", {"textDocument": {"uri": uri(project / "tests/unit/test_classes.py")}})["result"]
    args = {l["command"]["arguments"][0]["id"] for l in lenses}
    assert "tests/unit/test_classes.py::TestStockBasics" in args
    assert "tests/unit/test_classes.py::TestParametrizedClass::test_positive[1]" in args
    titles = {l["command"]["title"] for l in lenses if "[" not in l["command"]["arguments"][0]["id"]}
    assert titles == {"▶ Run", "Debug"}
    # A case's lenses name it: several cases may sit on one line.
    case = [l["command"]["title"] for l in lenses
            if l["command"]["arguments"][0]["id"] == "tests/unit/test_classes.py::TestParametrizedClass::test_positive[1]"]
    assert case == ["▶ Run [1]", "Debug [1]"]


def test_incremental_edits_with_multibyte_characters(client, project):
    init(client, project)
    client.wait_for(lambda m: m.get("method") == "fastest/discoveredTests")
    path = project / "tests" / "unit" / "test_emoji.py"
    text = 'X = "😀😀 中文"\n'
    path.write_text(text)
    client.notify("textDocument/didOpen", {"textDocument": {"uri": uri(path), "languageId": "python", "version": 1, "text": text}})
    # Type a test on the same line after the emoji string: `; def` is not valid, so use a new line.
    mark = client.mark()
    client.notify("textDocument/didChange", {"textDocument": {"uri": uri(path), "version": 2}, "contentChanges": [
        {"range": {"start": {"line": 1, "character": 0}, "end": {"line": 1, "character": 0}},
         "text": "@pytest.mark.parametrize('v', ['😀', 'x'])\ndef test_new(v): pass\n"}]})
    scoped = client.wait_for(lambda m: m.get("method") == "fastest/discoveredTests" and
                             m["params"].get("scopeUri") == uri(path) and len(m["params"]["items"]) > 1, start=mark)["params"]
    items = {i["id"]: i for i in scoped["items"]}
    second = items["tests/unit/test_emoji.py::test_new[x]"]
    # '😀' is 2 UTF-16 units: "@pytest.mark.parametrize('v', ['😀', " is 31 + 4 + 2 = 37 units.
    assert second["range"]["start"] == {"line": 1, "character": 37}
    # An edit inside the emoji line by UTF-16 position: replace 中文 (characters 7..9).
    mark = client.mark()
    client.notify("textDocument/didChange", {"textDocument": {"uri": uri(path), "version": 3}, "contentChanges": [
        {"range": {"start": {"line": 0, "character": 7}, "end": {"line": 0, "character": 9}}, "text": "ok"},
        {"range": {"start": {"line": 2, "character": 4}, "end": {"line": 2, "character": 12}}, "text": "test_renamed"}]})
    scoped = client.wait_for(lambda m: m.get("method") == "fastest/discoveredTests" and
                             m["params"].get("scopeUri") == uri(path), start=mark)["params"]
    ids = {i["id"] for i in scoped["items"]}
    assert "tests/unit/test_emoji.py::test_renamed[x]" in ids and "tests/unit/test_emoji.py::test_new[x]" not in ids


def apply_moves(items, moved):
    """What a client does with fastest/testsMoved: shift, drop the removed ids, then take the
    listed items whole."""
    def shift(point):
        if point["line"] > moved["afterLine"]:
            return {"line": point["line"] + moved["lineDelta"], "character": point["character"]}
        return point
    out = {}
    for id_, item in items.items():
        item = dict(item)
        item["range"] = {"start": shift(item["range"]["start"]), "end": shift(item["range"]["end"])}
        out[id_] = item
    for id_ in moved.get("removed", []):
        del out[id_]
    for item in moved["items"]:
        out[item["id"]] = item
    return out


def test_edits_in_one_place_send_moves_and_renames_not_the_whole_file(fastest_bin, client, project):
    """A client that opts in gets fastest/testsMoved for edits that keep every id (Enter in a
    body moves every test below it); applying them gives what a fresh server publishes."""
    client.initialize(project, capabilities={"experimental": {"fastestTestsMoved": True}},
                      options={"pythonPath": client.python})
    client.wait_for(lambda m: m.get("method") == "fastest/discoveredTests")
    path = project / "tests" / "unit" / "test_moves.py"
    text = ("import pytest\n\nclass TestA:\n    def test_one(self):\n        x = 1\n        assert x\n\n"
            "    @pytest.mark.parametrize('v', [1, 2])\n    def test_two(self, v):\n        assert v\n\n"
            "def test_last():\n    pass\n")
    path.write_text(text)
    client.notify("textDocument/didOpen", {"textDocument": {"uri": uri(path), "languageId": "python", "version": 1, "text": text}})
    opened = client.wait_for(lambda m: m.get("method") == "fastest/discoveredTests" and m["params"].get("scopeUri") == uri(path))
    items = {i["id"]: i for i in opened["params"]["items"]}
    lines = text.split("\n")
    # (range, new text, sent as moves?): Enter at a body line's end, Enter + indent mid-body, a
    # join, typing at a test's end; typing in names: a parametrized method (its cases are
    # renamed too), a function; renaming the class renames most of this small file: sent whole.
    edits = [
        ({"start": {"line": 4, "character": len(lines[4])}, "end": {"line": 4, "character": len(lines[4])}}, "\n        ", True),
        ({"start": {"line": 5, "character": 8}, "end": {"line": 5, "character": 8}}, "y = 2\n        ", True),
        ({"start": {"line": 4, "character": len(lines[4])}, "end": {"line": 6, "character": 0}}, "", True),
        ({"start": {"line": 12, "character": 8}, "end": {"line": 12, "character": 8}}, " # done", True),
        ({"start": {"line": 8, "character": 16}, "end": {"line": 8, "character": 16}}, "_b", True),
        ({"start": {"line": 11, "character": 12}, "end": {"line": 11, "character": 13}}, "", True),
        ({"start": {"line": 2, "character": 11}, "end": {"line": 2, "character": 11}}, "Z", False),
    ]
    current = text
    for version, (rng, new_text, as_moves) in enumerate(edits, start=2):
        mark = client.mark()
        client.notify("textDocument/didChange", {"textDocument": {"uri": uri(path), "version": version},
                                                 "contentChanges": [{"range": rng, "text": new_text}]})
        message = client.wait_for(lambda m: m.get("method") in ("fastest/testsMoved", "fastest/discoveredTests") and
                                  uri(path) in (m["params"].get("uri"), m["params"].get("scopeUri")), start=mark)
        if as_moves:
            assert message["method"] == "fastest/testsMoved", message
            # the edited test and its class (a renamed test with its cases), not the file
            assert len(message["params"]["items"]) <= 4 and len(message["params"].get("removed", [])) <= 3
            items = apply_moves(items, message["params"])
        else:
            assert message["method"] == "fastest/discoveredTests", message
            items = {i["id"]: i for i in message["params"]["items"]}
        lines_now = current.split("\n")
        start = sum(len(l) + 1 for l in lines_now[:rng["start"]["line"]]) + rng["start"]["character"]
        end = sum(len(l) + 1 for l in lines_now[:rng["end"]["line"]]) + rng["end"]["character"]
        current = current[:start] + new_text + current[end:]
    # A fresh server on the final text publishes exactly what the client now holds.
    path.write_text(current)
    fresh = LspClient(fastest_bin, cwd=project)
    try:
        fresh.initialize(project, options={"pythonPath": client.python})
        fresh.wait_for(lambda m: m.get("method") == "fastest/discoveredTests")
        fresh.notify("textDocument/didOpen", {"textDocument": {"uri": uri(path), "languageId": "python", "version": 1, "text": current}})
        published = fresh.wait_for(lambda m: m.get("method") == "fastest/discoveredTests" and m["params"].get("scopeUri") == uri(path))
        assert items == {i["id"]: i for i in published["params"]["items"]}
    finally:
        fresh.close()
    # An edit that changes most of the file is published whole.
    mark = client.mark()
    client.notify("textDocument/didChange", {"textDocument": {"uri": uri(path), "version": 20}, "contentChanges": [
        {"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}, "text": "__test__ = False\n"}]})
    whole = client.wait_for(lambda m: m.get("method") in ("fastest/testsMoved", "fastest/discoveredTests") and
                            uri(path) in (m["params"].get("uri"), m["params"].get("scopeUri")), start=mark)
    assert whole["method"] == "fastest/discoveredTests"


def test_doctests_of_an_open_module_follow_edits(fastest_bin, tmp_path, python_exe):
    """With --doctest-modules, editing a docstring adds its DoctestItem to the open file's tree,
    in the place `fastest discover` (and pytest) list it."""
    import subprocess
    root = tmp_path / "dt"
    (root / "pkg").mkdir(parents=True)
    (root / "pytest.ini").write_text("[pytest]\naddopts = --doctest-modules\n")
    (root / "pkg" / "__init__.py").write_text("")
    util = root / "pkg" / "util.py"
    text = 'def double(x):\n    """Twice x.\n\n    >>> double(2)\n    4\n    """\n    return 2 * x\n\n\ndef half(x):\n    """Half x."""\n    return x / 2\n'
    util.write_text(text)
    c = LspClient(fastest_bin, cwd=root)
    try:
        c.initialize(root, options={"pythonPath": python_exe})
        tree = c.wait_for(lambda m: m.get("method") == "fastest/discoveredTests")["params"]["items"]
        assert "pkg/util.py::pkg.util.double" in {i["id"] for i in tree}
        c.notify("textDocument/didOpen", {"textDocument": {"uri": uri(util), "languageId": "python", "version": 1, "text": text}})
        mark = c.mark()
        line = text.split("\n").index('    """Half x."""')
        c.notify("textDocument/didChange", {"textDocument": {"uri": uri(util), "version": 2}, "contentChanges": [
            {"range": {"start": {"line": line, "character": 14}, "end": {"line": line, "character": 14}},
             "text": "\n\n    >>> half(4)\n    2.0\n    "}]})
        published = c.wait_for(lambda m: m.get("method") == "fastest/discoveredTests" and
                               m["params"].get("scopeUri") == uri(util) and len(m["params"]["items"]) == 3, start=mark)
        ids = [i["id"] for i in published["params"]["items"]]
        new_text = text.replace('"""Half x."""', '"""Half x.\n\n    >>> half(4)\n    2.0\n    """')
        util.write_text(new_text)
        cli = subprocess.run([str(fastest_bin), "discover", "--no-settle", "--python", python_exe], cwd=root,
                             capture_output=True, text=True)
        assert ids == ["pkg/util.py", "pkg/util.py::pkg.util.double", "pkg/util.py::pkg.util.half"]
        assert [l for l in cli.stdout.splitlines() if l.startswith("pkg/util.py::")] == ids[1:]
        # Closed, the file is read back from disk with the same collectors: its doctests stay.
        mark = c.mark()
        c.notify("textDocument/didClose", {"textDocument": {"uri": uri(util)}})
        closed = c.wait_for(lambda m: m.get("method") == "fastest/discoveredTests" and
                            m["params"].get("scopeUri") == uri(util), start=mark)
        assert [i["id"] for i in closed["params"]["items"]] == ids
    finally:
        c.close()


def test_syntax_error_is_a_diagnostic_and_other_files_keep_their_tests(client, project):
    init(client, project)
    client.wait_for(lambda m: m.get("method") == "fastest/discoveredTests")
    path = project / "tests" / "unit" / "test_stock.py"
    text = path.read_text()
    client.notify("textDocument/didOpen", {"textDocument": {"uri": uri(path), "languageId": "python", "version": 1, "text": text}})
    client.notify("textDocument/didChange", {"textDocument": {"uri": uri(path), "version": 2}, "contentChanges": [
        {"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}, "text": "def broken(:\n"}]})
    diag = client.wait_for(lambda m: m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri(path)
                           and m["params"]["diagnostics"])["params"]
    assert "syntax error" in diag["diagnostics"][0]["message"]
    lenses = client.request("textDocument/codeLens", {"textDocument": {"uri": uri(project / "tests/unit/test_classes.py")}})
    assert lenses["result"]


def test_run_tests_streams_states_and_failure_diagnostics(client, project):
    init(client, project)
    client.wait_for(lambda m: m.get("method") == "fastest/discoveredTests")
    result, states, finished = client.run_and_wait("fastest/runTests", {"include": ["tests/unit/test_stock.py"], "kind": "run"})
    final = final_states(states)
    assert final["tests/unit/test_stock.py::test_add_counts"]["state"] == "passed"
    assert final["tests/unit/test_stock.py::test_skipped"]["state"] == "skipped"
    assert final["tests/unit/test_stock.py::test_expected_failure"]["state"] == "xfailed"
    failed = final["tests/unit/test_stock.py::test_fails_on_purpose_wrong_count"]
    assert failed["state"] == "failed"
    message = failed["messages"][0]
    assert message["expected"] == "3" and message["actual"] == "2"
    assert message["location"]["uri"] == uri(project / "tests/unit/test_stock.py")
    assert "enqueued" in {s["state"] for s in states} and "started" in {s["state"] for s in states}
    assert finished["counts"]["failed"] == 1
    diag = client.wait_for(lambda m: m.get("method") == "textDocument/publishDiagnostics" and
                           m["params"]["uri"] == uri(project / "tests/unit/test_stock.py") and m["params"]["diagnostics"])
    d = diag["params"]["diagnostics"][0]
    line = (project / "tests/unit/test_stock.py").read_text().splitlines()[d["range"]["start"]["line"]]
    assert "assert stock.count(apple) == 3" in line
    # Fix the test in the editor (unsaved) and run it at the cursor: it passes, the diagnostic clears.
    path = project / "tests/unit/test_stock.py"
    text = path.read_text()
    client.notify("textDocument/didOpen", {"textDocument": {"uri": uri(path), "languageId": "python", "version": 1, "text": text}})
    line_no = d["range"]["start"]["line"]
    client.notify("textDocument/didChange", {"textDocument": {"uri": uri(path), "version": 2}, "contentChanges": [
        {"range": {"start": {"line": line_no, "character": 33}, "end": {"line": line_no, "character": 34}}, "text": "2"}]})
    mark = client.mark()
    result, states, finished = client.run_and_wait("workspace/executeCommand", {
        "command": "fastest.runTest", "arguments": [{"uri": uri(path), "position": {"line": line_no, "character": 8}}]})
    assert result["enqueued"] == ["tests/unit/test_stock.py::test_fails_on_purpose_wrong_count"]
    assert final_states(states)["tests/unit/test_stock.py::test_fails_on_purpose_wrong_count"]["state"] == "passed"
    client.wait_for(lambda m: m.get("method") == "textDocument/publishDiagnostics" and
                    m["params"]["uri"] == uri(path) and not m["params"]["diagnostics"], start=mark)


def test_a_test_typed_a_second_ago_runs_at_the_cursor(client, project):
    init(client, project)
    client.wait_for(lambda m: m.get("method") == "fastest/discoveredTests")
    path = project / "tests" / "unit" / "test_fresh.py"
    path.write_text("")
    client.notify("textDocument/didOpen", {"textDocument": {"uri": uri(path), "languageId": "python", "version": 1, "text": ""}})
    client.notify("textDocument/didChange", {"textDocument": {"uri": uri(path), "version": 2}, "contentChanges": [
        {"text": "def test_typed_just_now():\n    print('hello from the buffer')\n    assert 40 + 2 == 42\n"}]})
    client.wait_for(lambda m: m.get("method") == "fastest/discoveredTests" and m["params"].get("scopeUri") == uri(path)
                    and len(m["params"]["items"]) == 2)
    result, states, _ = client.run_and_wait("workspace/executeCommand", {
        "command": "fastest.runTest", "arguments": [{"uri": uri(path), "position": {"line": 2, "character": 4}}]})
    final = final_states(states)["tests/unit/test_fresh.py::test_typed_just_now"]
    assert final["state"] == "passed"
    assert "hello from the buffer" in final["output"]["text"]


def test_ids_outside_the_workspace_are_refused(client, project):
    init(client, project)
    client.wait_for(lambda m: m.get("method") == "fastest/discoveredTests")
    reply = client.request("fastest/runTests", {"include": ["../../etc/passwd::x"]})
    assert reply["error"]["code"] == -32602
    reply = client.request("fastest/runTests", {"include": ["/etc/passwd"]})
    assert reply["error"]["code"] == -32602


def test_coverage_profile_reports_lines(client, project):
    init(client, project)
    client.wait_for(lambda m: m.get("method") == "fastest/discoveredTests")
    _, _, finished = client.run_and_wait("fastest/runTests", {"include": ["tests/unit/test_stock.py::test_add_counts"], "kind": "coverage"})
    files = {c["uri"]: c for c in finished["coverage"]}
    stock = files[uri(project / "src/inventory/stock.py")]
    assert stock["linesCovered"] and stock["linesMissed"]
    # Import-time lines count as run, as under pytest-cov, though the worker's prepared session
    # had imported the module (through a conftest) before the batch started coverage.py.
    source = (project / "src/inventory/stock.py").read_text().splitlines()
    defs = {n for n, line in enumerate(source, 1) if line.startswith(("class ", "def ", "import ", "from "))}
    assert defs and defs <= set(stock["linesCovered"])


def test_debug_profile_replies_with_an_attach_configuration(client, project):
    init(client, project)
    client.wait_for(lambda m: m.get("method") == "fastest/discoveredTests")
    reply = client.request("fastest/runTests", {"include": ["tests/unit/test_stock.py::test_add_counts"], "kind": "debug"})
    debug = reply["result"]["debug"]
    assert debug["request"] == "attach" and debug["connect"]["host"] == "127.0.0.1" and debug["connect"]["port"] > 0
    # Cancelled while debugpy starts: the run ends, and nothing debugpy started outlives it.
    run_id = reply["result"]["runId"]
    client.request("fastest/cancelRun", {"runId": run_id})
    client.wait_for(lambda m: m.get("method") == "fastest/runFinished" and m["params"]["runId"] == run_id, timeout=30)
    assert adapters_on(debug["connect"]["port"]) == []


def test_debug_run_says_when_debugpy_listens(client, project):
    """The reply comes before the test's process listens (an editor attaching at once was refused):
    fastest/debugListening says when the attach configuration is connectable."""
    init(client, project)
    client.wait_for(lambda m: m.get("method") == "fastest/discoveredTests")
    reply = client.request("fastest/runTests", {"include": ["tests/unit/test_stock.py::test_add_counts"], "kind": "debug"})
    run_id, connect = reply["result"]["runId"], reply["result"]["debug"]["connect"]
    note = client.wait_for(lambda m: m.get("method") == "fastest/debugListening" and m["params"]["runId"] == run_id)
    assert (note["params"]["host"], note["params"]["port"]) == (connect["host"], connect["port"])
    socket.create_connection((connect["host"], connect["port"]), timeout=5).close()
    sent = time.monotonic()
    client.request("fastest/cancelRun", {"runId": run_id})
    client.wait_for(lambda m: m.get("method") == "fastest/runFinished" and m["params"]["runId"] == run_id, timeout=30)
    assert time.monotonic() - sent < 5
    assert adapters_on(connect["port"]) == []  # debugpy's adapter ended with its debuggee


def test_cancel_mid_run_stops_quickly(client, project):
    init(client, project, workers=2)
    client.wait_for(lambda m: m.get("method") == "fastest/discoveredTests")
    path = project / "tests" / "test_slow_suite.py"
    path.write_text("".join(f"import time\ndef test_{i}():\n    time.sleep(30)\n" for i in range(4)))
    client.notify("workspace/didChangeWatchedFiles", {"changes": [{"uri": uri(path), "type": 1}]})
    client.wait_for(lambda m: m.get("method") == "fastest/discoveredTests" and
                    any(i["id"] == "tests/test_slow_suite.py::test_0" for i in m["params"]["items"]))
    reply = client.request("fastest/runTests", {"include": ["tests/test_slow_suite.py"]})
    run_id = reply["result"]["runId"]
    client.wait_for(lambda m: m.get("method") == "fastest/testStateChanged" and m["params"]["state"] == "started")
    time.sleep(0.3)
    sent = time.monotonic()
    client.request("fastest/cancelRun", {"runId": run_id})
    client.wait_for(lambda m: m.get("method") == "fastest/runFinished" and m["params"]["runId"] == run_id, timeout=10)
    assert time.monotonic() - sent < 1.0


def test_client_killed_mid_run_leaves_no_process(fastest_bin, project, python_exe):
    client = LspClient(fastest_bin, cwd=project)
    client.initialize(project, options={"pythonPath": python_exe, "workers": 2})
    client.wait_for(lambda m: m.get("method") == "fastest/discoveredTests")
    path = project / "tests" / "test_hangs.py"
    path.write_text("import time\ndef test_a():\n    time.sleep(60)\ndef test_b():\n    time.sleep(60)\n")
    client.notify("workspace/didChangeWatchedFiles", {"changes": [{"uri": uri(path), "type": 1}]})
    client.wait_for(lambda m: m.get("method") == "fastest/discoveredTests" and
                    any(i["id"] == "tests/test_hangs.py::test_a" for i in m["params"]["items"]))
    client.request("fastest/runTests", {"include": ["tests/test_hangs.py"]})
    client.wait_for(lambda m: m.get("method") == "fastest/testStateChanged" and m["params"]["state"] == "started")
    tree = descendants(client.proc.pid) | {client.proc.pid}
    assert len(tree) >= 4
    # The editor vanishes: its end of the pipes closes.
    client.proc.stdin.close()
    client.proc.wait(timeout=10)
    time.sleep(0.3)
    alive = []
    for p in tree:
        try:
            state = open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()[0]
            if state != "Z":
                alive.append(p)
        except OSError:
            pass
    assert alive == []


def test_dynamic_tests_are_settled_by_a_background_collection(client, project):
    init(client, project)
    workflow = uri(project / "tests/integration/test_workflow.py")
    settled = client.wait_for(lambda m: m.get("method") == "fastest/discoveredTests" and
                              m["params"].get("scopeUri") == workflow, timeout=60)["params"]
    cases = sorted(i["id"] for i in settled["items"] if i["kind"] == "case")
    assert cases == [f"tests/integration/test_workflow.py::test_dynamic_range[{n}]" for n in range(3)]
    assert all(i["parentId"] == "tests/integration/test_workflow.py::test_dynamic_range"
               for i in settled["items"] if i["kind"] == "case")


def test_a_module_pytest_cannot_import_is_a_diagnostic_at_its_import(fastest_bin, tmp_path, python_exe):
    """A dynamic module is settled by a real collection; when pytest cannot import it, the file
    gets a diagnostic at the failing import with pytest's reason, and the other files keep
    their tests. Fixing the import and settling again clears it."""
    root = tmp_path / "ce"
    (root / "tests").mkdir(parents=True)
    (root / "pytest.ini").write_text("[pytest]\n")
    (root / "tests" / "test_fine.py").write_text("def test_ok():\n    pass\n")
    broken = root / "tests" / "test_broken.py"
    broken.write_text("import pytest\nimport not_a_module_anywhere\n\n\n"
                      "@pytest.mark.parametrize('x', [int(i) for i in range(2)])\ndef test_x(x):\n    pass\n")
    c = LspClient(fastest_bin, cwd=root)
    try:
        c.initialize(root, options={"pythonPath": python_exe})
        tree = c.wait_for(lambda m: m.get("method") == "fastest/discoveredTests")["params"]["items"]
        assert "tests/test_fine.py::test_ok" in {i["id"] for i in tree}
        diag = c.wait_for(lambda m: m.get("method") == "textDocument/publishDiagnostics" and
                          m["params"]["uri"] == uri(broken) and m["params"]["diagnostics"], timeout=60)["params"]
        [d] = diag["diagnostics"]
        assert d["range"]["start"]["line"] == 1  # `import not_a_module_anywhere`
        assert "No module named 'not_a_module_anywhere'" in d["message"]
        # The same error, typed, for the test explorer's module item.
        error = c.wait_for(lambda m: m.get("method") == "fastest/collectionError")["params"]
        assert error["id"] == "tests/test_broken.py" and error["rootUri"] == uri(root)
        assert error["message"] == "ModuleNotFoundError: No module named 'not_a_module_anywhere'"
        assert "import not_a_module_anywhere" in error["report"]
        # Fixed on disk: the error is cleared on the item too.
        broken.write_text("import pytest\n\n\n@pytest.mark.parametrize('x', [i for i in range(2)])\ndef test_x(x):\n    pass\n")
        c.notify("workspace/didChangeWatchedFiles", {"changes": [{"uri": uri(broken), "type": 2}]})
        c.wait_for(lambda m: m.get("method") == "fastest/collectionError" and m["params"]["message"] is None, timeout=60)
    finally:
        c.close()


def test_a_changed_conftest_reaches_pooled_workers(client, project):
    """Workers forked from one start-up re-execute themselves when a conftest they imported changes."""
    init(client, project, workers=2)
    client.wait_for(lambda m: m.get("method") == "fastest/discoveredTests")
    folder = project / "tests" / "pooled"
    folder.mkdir()
    (folder / "conftest.py").write_text("import pytest\n@pytest.fixture\ndef value():\n    return 1\n")
    for name in ("a", "b"):
        path = folder / f"test_{name}.py"
        path.write_text("def test_value(value):\n    assert value == 1\n")
        client.notify("workspace/didChangeWatchedFiles", {"changes": [{"uri": uri(path), "type": 1}]})
    client.wait_for(lambda m: m.get("method") == "fastest/discoveredTests" and
                    any(i["id"] == "tests/pooled/test_b.py::test_value" for i in m["params"]["items"]))
    ids = ["tests/pooled/test_a.py::test_value", "tests/pooled/test_b.py::test_value"]
    _, states, _ = client.run_and_wait("fastest/runTests", {"include": ids, "kind": "run"})
    assert {final_states(states)[i]["state"] for i in ids} == {"passed"}
    (folder / "conftest.py").write_text("import pytest\n@pytest.fixture\ndef value():\n    return 2\n")
    _, states, _ = client.run_and_wait("fastest/runTests", {"include": ids, "kind": "run"})
    assert {final_states(states)[i]["state"] for i in ids} == {"failed"}


@pytest.mark.parametrize("moves", [False, True], ids=["discoveredTests", "testsMoved"])
def test_typing_an_unclosed_bracket_hides_no_test(fastest_bin, project, python_exe, moves):
    """`foo(` typed key by key into the first of three tests: after every keystroke the client's
    tree still holds all three (tests after the error are read as Python resumes), none stale;
    a damaged def line keeps that test's last good item, `stale: true`, until the text parses."""
    client = LspClient(fastest_bin, cwd=project)
    try:
        client.initialize(project, capabilities={"experimental": {"fastestTestsMoved": moves}},
                          options={"pythonPath": python_exe})
        client.wait_for(lambda m: m.get("method") == "fastest/discoveredTests")
        path = project / "tests" / "unit" / "test_typing.py"
        text = ("import pytest\n\n\ndef test_a():\n    assert True\n\n\n@pytest.mark.slow\ndef test_b():\n"
                "    assert True\n\n\n@pytest.mark.parametrize('v', [1, 2])\ndef test_c(v):\n    assert v\n")
        path.write_text(text)
        client.notify("textDocument/didOpen", {"textDocument": {"uri": uri(path), "languageId": "python", "version": 1, "text": text}})
        opened = client.wait_for(lambda m: m.get("method") == "fastest/discoveredTests" and m["params"].get("scopeUri") == uri(path))
        items = {i["id"]: i for i in opened["params"]["items"]}
        expected = {"tests/unit/test_typing.py::" + name for name in ("test_a", "test_b", "test_c", "test_c[1]", "test_c[2]")}
        assert expected <= set(items)
        version = 1

        def type_at(line, character, new_text, end_character=None):
            """One didChange, then a request answered after it: everything it published is in."""
            nonlocal items, version
            version += 1
            mark = client.mark()
            end = character if end_character is None else end_character
            client.notify("textDocument/didChange", {"textDocument": {"uri": uri(path), "version": version}, "contentChanges": [
                {"range": {"start": {"line": line, "character": character}, "end": {"line": line, "character": end}},
                 "text": new_text}]})
            client.request("textDocument/codeLens", {"textDocument": {"uri": uri(path)}})
            for m in client.messages[mark:]:
                if m.get("method") == "fastest/discoveredTests" and m["params"].get("scopeUri") == uri(path):
                    items = {i["id"]: i for i in m["params"]["items"]}
                elif m.get("method") == "fastest/testsMoved" and m["params"]["uri"] == uri(path):
                    items = apply_moves(items, m["params"])
            return items

        # `    foo(` typed as a new first line of test_a's body.
        type_at(4, 0, "\n")
        for i, ch in enumerate("    foo("):
            now = type_at(4, i, ch)
            assert expected <= set(now), (i, sorted(now))
            assert not any(item.get("stale") for item in now.values())
        diag = client.wait_for(lambda m: m.get("method") == "textDocument/publishDiagnostics" and
                               m["params"]["uri"] == uri(path) and m["params"]["diagnostics"])
        assert diag
        # Tests after the error are where they are: test_c (its decorator) one line lower.
        assert items["tests/unit/test_typing.py::test_c"]["range"]["start"]["line"] == 13
        assert items["tests/unit/test_typing.py::test_b"]["tags"] == ["slow"]
        # The bracket closed: all fresh.
        now = type_at(4, 8, ")")
        assert expected <= set(now) and not any(item.get("stale") for item in now.values())

        # test_b's def line damaged (`def test_b(:)`): its last good item stays, stale.
        now = type_at(9, 11, ":")
        assert expected <= set(now)
        assert now["tests/unit/test_typing.py::test_b"].get("stale") is True
        assert [i for i, item in now.items() if item.get("stale")] == ["tests/unit/test_typing.py::test_b"]
        now = type_at(9, 11, "", end_character=12)
        assert expected <= set(now) and not any(item.get("stale") for item in now.values())
    finally:
        client.close()


def test_an_open_document_reads_its_conftests_parametrized_fixtures(fastest_bin, tmp_path, python_exe):
    """A test requesting a conftest's parametrized fixture has pytest's cases, statically, in the
    collection and once its file is open in the editor (the document reads the same fixtures)."""
    root = tmp_path / "fx"
    (root / "tests").mkdir(parents=True)
    (root / "pytest.ini").write_text("[pytest]\n")
    (root / "tests" / "conftest.py").write_text(
        "import pytest\n\n@pytest.fixture(params=['a', 'b'])\ndef letter(request):\n    return request.param\n")
    path = root / "tests" / "test_letters.py"
    path.write_text("def test_letter(letter):\n    pass\n")
    expected = {"tests/test_letters.py::test_letter[a]", "tests/test_letters.py::test_letter[b]"}
    c = LspClient(fastest_bin, cwd=root)
    try:
        c.initialize(root, options={"pythonPath": python_exe})
        tree = c.wait_for(lambda m: m.get("method") == "fastest/discoveredTests")["params"]["items"]
        cases = {i["id"]: i for i in tree if i["kind"] == "case"}
        assert set(cases) == expected and not any(i["dynamic"] for i in cases.values())
        mark = c.mark()
        c.notify("textDocument/didOpen", {"textDocument": {"uri": uri(path), "languageId": "python", "version": 1,
                                                           "text": path.read_text() + "\n"}})
        published = c.wait_for(lambda m: m.get("method") == "fastest/discoveredTests"
                               and m["params"].get("scopeUri") == uri(path), start=mark)["params"]["items"]
        cases = {i["id"]: i for i in published if i["kind"] == "case"}
        assert set(cases) == expected and not any(i["dynamic"] for i in cases.values())
    finally:
        c.close()


def test_a_settle_that_cannot_run_is_shown_to_the_user(fastest_bin, tmp_path):
    """Without pytest the dynamic items cannot be settled: the editor is told, once."""
    import subprocess, sys
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pytest.ini").write_text("[pytest]\n")
    (root / "test_dyn.py").write_text("import pytest\n\ndef make(sentinel=id(())):\n    return [1]\n\n"
                                      "@pytest.mark.parametrize('x', make())\ndef test_x(x):\n    pass\n")
    c = LspClient(fastest_bin, cwd=root)
    try:
        c.initialize(root, options={"pythonPath": str(venv / "bin" / "python")})
        shown = c.wait_for(lambda m: m.get("method") == "window/showMessage"
                           and "could not settle" in m["params"]["message"], timeout=60)["params"]
        assert shown["type"] == 1
        assert shown["message"].startswith("fastest: could not settle the dynamic tests of 1 module with pytest: ")
    finally:
        c.close()
