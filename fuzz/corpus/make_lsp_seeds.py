#!/usr/bin/env python3
"""Writes the hand-made LSP seed streams of fuzz/corpus/{framing,lsp}/ (run from anywhere).

Each seed is what a client writes on the server's stdin: Content-Length frames. URIs name the
small project fuzz_lsp.cpp creates at /tmp/fastest-fuzz-lsp.
"""
import json
import pathlib

HERE = pathlib.Path(__file__).resolve().parent
ROOT = "file:///tmp/fastest-fuzz-lsp"
TEST = ROOT + "/tests/test_sample.py"
NEW = ROOT + "/tests/test_new.py"


def frame(message, raw=None):
    body = raw if raw is not None else json.dumps(message, ensure_ascii=False).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def req(i, method, params=None):
    m = {"jsonrpc": "2.0", "id": i, "method": method}
    if params is not None:
        m["params"] = params
    return m


def note(method, params=None):
    m = {"jsonrpc": "2.0", "method": method}
    if params is not None:
        m["params"] = params
    return m


def rng(l1, c1, l2, c2):
    return {"start": {"line": l1, "character": c1}, "end": {"line": l2, "character": c2}}


TEXT = open(HERE.parent / "corpus" / "discovery" / "parametrize.py", encoding="utf-8").read() \
    if (HERE / "discovery" / "parametrize.py").exists() else "def test_a():\n    pass\n"

SESSIONS = {
    "open_edit_close": [
        note("textDocument/didOpen", {"textDocument": {"uri": NEW, "languageId": "python", "version": 1, "text": TEXT}}),
        note("textDocument/didChange", {"textDocument": {"uri": NEW, "version": 2},
                                        "contentChanges": [{"range": rng(0, 0, 0, 0), "text": "\n"}]}),
        note("textDocument/didChange", {"textDocument": {"uri": NEW, "version": 3},
                                        "contentChanges": [{"range": rng(3, 4, 3, 8), "text": "def test_renamed("}]}),
        req(1, "textDocument/codeLens", {"textDocument": {"uri": NEW}}),
        note("textDocument/didChange", {"textDocument": {"uri": NEW, "version": 4},
                                        "contentChanges": [{"text": "def test_whole():\n    pass\n"}]}),
        note("textDocument/didSave", {"textDocument": {"uri": NEW}}),
        note("textDocument/didClose", {"textDocument": {"uri": NEW}}),
        req(2, "shutdown"),
        note("exit"),
    ],
    "existing_file_unicode": [
        note("textDocument/didOpen", {"textDocument": {"uri": TEST, "languageId": "python", "version": 1,
                                                       "text": "def test_é😀():\n    x = '😀'\n"}}),
        note("textDocument/didChange", {"textDocument": {"uri": TEST, "version": 2},
                                        "contentChanges": [{"range": rng(1, 9, 1, 10), "text": "ü"},
                                                           {"range": rng(0, 4, 0, 4), "text": "("}]}),
        req(3, "textDocument/codeLens", {"textDocument": {"uri": TEST}}),
        note("textDocument/didClose", {"textDocument": {"uri": TEST}}),
    ],
    "cancel_and_config": [
        note("$/cancelRequest", {"id": 7}),
        req(7, "textDocument/codeLens", {"textDocument": {"uri": TEST}}),
        note("workspace/didChangeConfiguration", {"settings": {"fastest": {"workers": 2, "timeout": 1.5}}}),
        note("workspace/didChangeWatchedFiles", {"changes": [{"uri": TEST, "type": 2}]}),
        req(8, "fastest/discoverTests", {}),
        req(9, "fastest/cancelRun", {"runId": "nope"}),
        {"jsonrpc": "2.0", "id": "fastest-1", "result": None},
        req(10, "no/such/method", {}),
    ],
    "folders": [
        note("workspace/didChangeWorkspaceFolders", {"event": {"removed": [{"uri": ROOT, "name": "r"}], "added": []}}),
        note("textDocument/didOpen", {"textDocument": {"uri": TEST, "languageId": "python", "version": 1,
                                                       "text": "def test_a():\n    pass\n"}}),
        req(11, "textDocument/codeLens", {"textDocument": {"uri": TEST}}),
    ],
}

# Framing-level oddities (the decoder's paths), each followed by a good frame.
GOOD = frame(req(1, "echo", {"a": [1, 2, {"b": "c"}]}))
STREAMS = {
    "bad_length_then_good": b"Content-Length: abc\r\n\r\n{}" + GOOD,
    "negative_length": b"Content-Length: -2\r\n\r\n{}" + GOOD,
    "lf_only_header": b"Content-Length: 2\n\n{}" + GOOD,
    "missing_length": b"Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n{}" + GOOD,
    "short_body": b"Content-Length: 50\r\n\r\n{\"jsonrpc\":\"2.0\"}" + GOOD,
    "two_headers": b"Content-Length: 2\r\nContent-Type: x\r\n\r\n{}" + GOOD,
    "invalid_utf8": frame(None, b'{"jsonrpc":"2.0","id":1,"method":"echo","params":"\xff"}') + GOOD,
    "lifecycle": frame(req(0, "initialize", {"capabilities": {}})) + frame(note("initialized", {}))
                 + frame(req(1, "textDocument/codeLens", {"textDocument": {"uri": TEST}}))
                 + frame(note("$/cancelRequest", {"id": 2})) + frame(req(2, "echo", [1]))
                 + frame(req(3, "fail", {"x": 1})) + frame(req(4, "shutdown")) + frame(note("exit")),
    "batch_and_response": frame(None, b'[{"jsonrpc":"2.0","id":1,"method":"echo"}]')
                          + frame({"jsonrpc": "2.0", "id": 9, "result": {}}) + GOOD,
}


def main():
    for name in ("framing", "lsp"):
        (HERE / name).mkdir(exist_ok=True)
    for name, messages in SESSIONS.items():
        data = b"".join(frame(m) for m in messages)
        (HERE / "lsp" / (name + ".lsp")).write_bytes(data)
        (HERE / "framing" / (name + ".lsp")).write_bytes(data)
    # The same sessions as JSON lines (fuzz::lsp_stream frames each line).
    for name, messages in SESSIONS.items():
        lines = b"\n".join(json.dumps(m, ensure_ascii=False).encode() for m in messages)
        (HERE / "lsp" / (name + ".jsonl")).write_bytes(lines)
        (HERE / "framing" / (name + ".jsonl")).write_bytes(lines)
    lifecycle = [req(0, "initialize", {"capabilities": {}}), note("initialized", {}), note("$/cancelRequest", {"id": 2}),
                 req(2, "echo", [1]), req(3, "fail", {"x": 1}), req("s", "textDocument/codeLens", {"textDocument": {"uri": 1}}),
                 note("textDocument/didOpen", {"textDocument": {"text": "x"}}), {"jsonrpc": "2.0", "id": 9, "result": {}},
                 req(4, "shutdown"), note("exit")]
    (HERE / "framing" / "lifecycle.jsonl").write_bytes(b"\n".join(json.dumps(m).encode() for m in lifecycle))
    for name, data in STREAMS.items():
        (HERE / "framing" / (name + ".lsp")).write_bytes(data)
        (HERE / "lsp" / (name + ".lsp")).write_bytes(data)


main()
