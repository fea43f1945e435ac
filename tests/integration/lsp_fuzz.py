#!/usr/bin/env python3
"""A structured fuzzer for `fastest lsp`, seeded and deterministic in what it sends (up to the
workspace's path: offsets into a message scale with its length, the random sequence does not shift).

It builds valid messages of every method the server accepts (the method table in
server/lsp/lsp_server.cpp), then mutates them: a field replaced by a value of another type or
deleted, truncated bodies, byte flips, invalid UTF-8, CR LF and astral text in documents with
UTF-16 positions inside surrogate pairs, overlapping and reversed ranges, mutated headers.
After each batch it sends a probe (an unknown method with an id, which must be answered -32601
within 5 s) and fails on a crash (the process exited), a hang (no probe answer) or a desync
(the probe's answer missing or wrong, or a well-framed request of the batch left unanswered).
The same seed sends the same bytes: a failure names the seed and batch to rerun, and the
failing batch's bytes are written to a file.

    tests/integration/lsp_fuzz.py --fastest build/fastest --seed 1 --batches 150
"""
import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lsp_client import LspClient, uri  # noqa: E402

PROBE_TIMEOUT = 5.0
# shutdown joins every run thread, and runs still waiting for their root's engine run to the
# end first (server/lsp/runs.cpp): a few seconds per queued run.
SHUTDOWN_TIMEOUT = 60.0
ASTRAL = ["😀", "𝕏", "🐍", "中", "é", "\u200b", "\U0010ffff"]
INVALID_UTF8 = [b"\xff", b"\xfe\xfe", b"\xc0\x80", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"\x80", b"\xe2\x82"]


class FuzzFailure(AssertionError):
    pass


def make_workspace(test_project: Path, dest: Path) -> Path:
    """A small copy of test_project: its config, its package and the unit tests."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(test_project / "pyproject.toml", dest / "pyproject.toml")
    ignore = shutil.ignore_patterns("__pycache__", ".pytest_cache", ".fastest_cache")
    shutil.copytree(test_project / "src", dest / "src", ignore=ignore)
    shutil.copytree(test_project / "tests" / "unit", dest / "tests" / "unit", ignore=ignore)
    shutil.copy(test_project / "tests" / "conftest.py", dest / "tests" / "conftest.py")
    (dest / "other").mkdir(exist_ok=True)
    return dest


class Fuzzer:
    def __init__(self, fastest_bin, workspace: Path, python: str, seed: int, batches: int, batch_size: int = 25,
                 failure_dir: Path = None, allow_runs: bool = True, max_run_requests: int = 40):
        self.fastest = fastest_bin
        self.ws = Path(workspace)
        self.python = python
        self.rng = random.Random(seed)
        self.seed = seed
        self.batches = batches
        self.batch_size = batch_size
        self.failure_dir = Path(failure_dir or tempfile.gettempdir())
        self.allow_runs = allow_runs
        self.run_requests_left = max_run_requests
        self.files = sorted(p for p in (self.ws / "tests").rglob("*.py"))
        self.texts = {p: p.read_text() for p in self.files}
        self.next_id = 10 ** 6  # apart from the client's own ids (initialize, shutdown)
        self.sent = 0
        self.shutdown_seconds = None

    # --- values ------------------------------------------------------------------------------
    def other_value(self, near=None):
        """A value of a (usually) different type than `near`. Never "file:///": a workspace folder
        at / is walked whole on the server's io thread (a hang, but not a protocol fault)."""
        r = self.rng
        pool = [None, True, False, 0, -1, 1, 3, 2 ** 31, -(2 ** 31) - 1, 2 ** 63, 2 ** 64 + 1, 1.5, -0.0, 1e300,
                "", "x", "😀" * 3, "file:///nonexistent/", "file:///nonexistent/x.py", "../../etc/passwd", "\u0000", [],
                [1, "a"], [[[]]], {}, {"a": 1}, {"uri": 5}, {"line": -1, "character": "a"}]
        value = r.choice(pool)
        if type(value) is type(near) and r.random() < 0.7:
            value = r.choice(pool)
        return value

    def position(self, text: str):
        r = self.rng
        lines = text.split("\n")
        kind = r.random()
        if kind < 0.6:
            line = r.randrange(len(lines))
            return {"line": line, "character": r.randrange(len(lines[line].encode("utf-16-le")) // 2 + 2)}
        if kind < 0.8:
            return {"line": r.choice([len(lines), len(lines) + 5, 10 ** 6, 2 ** 32 - 1]), "character": r.choice([0, 3, 2 ** 31])}
        return {"line": r.choice([-1, 0, 2 ** 40]), "character": r.choice([-5, 0, 2 ** 32 + 1, 1])}

    def snippet(self):
        r = self.rng
        parts = [r.choice(["", "def test_new(): pass\n", "\n", "    assert 1\n", "@pytest.mark.parametrize('v', ['😀', 'x'])\n",
                           "class TestX:\n    def test_m(self): pass\n", "(", ")", "\"\"\"", "\r\n", "\r", "x = '", "\t"])
                 for _ in range(r.randrange(1, 4))]
        if r.random() < 0.4:
            parts.insert(r.randrange(len(parts) + 1), "".join(r.choice(ASTRAL) for _ in range(r.randrange(1, 5))))
        return "".join(parts)

    def document(self):
        path = self.rng.choice(self.files)
        return path, self.texts[path]

    # --- valid messages ----------------------------------------------------------------------
    def params_for(self, method):
        r = self.rng
        path, text = self.document()
        doc = {"uri": uri(path)}
        if method == "initialize":
            return {"processId": os.getpid(), "rootUri": uri(self.ws), "capabilities": {}}
        if method == "textDocument/didOpen":
            body = text if r.random() < 0.6 else self.snippet() + text.replace("\n", r.choice(["\n", "\r\n", "\r"]))
            return {"textDocument": {**doc, "languageId": "python", "version": r.randrange(100), "text": body}}
        if method == "textDocument/didChange":
            changes = []
            for _ in range(r.choice([1, 1, 2, 3])):
                if r.random() < 0.1:
                    changes.append({"text": self.snippet() + text})
                    continue
                start, end = self.position(text), self.position(text)
                if r.random() < 0.3 and changes and "range" in changes[-1]:  # overlapping the previous one
                    start = dict(changes[-1]["range"]["start"])
                changes.append({"range": {"start": start, "end": end}, "text": self.snippet()})
            return {"textDocument": {**doc, "version": r.randrange(100)}, "contentChanges": changes}
        if method in ("textDocument/didSave", "textDocument/didClose", "textDocument/codeLens"):
            return {"textDocument": doc}
        if method == "workspace/didChangeWatchedFiles":
            return {"changes": [{"uri": uri(r.choice(self.files)), "type": r.choice([1, 2, 3])}]}
        if method == "workspace/didChangeConfiguration":
            return {"settings": {"fastest": {"pythonPath": self.python, "workers": 1, "timeout": r.choice([0, 30]),
                                             "extraArgs": r.choice([[], ["-q"]]), "env": {"FUZZ": "1"}}}}
        if method == "workspace/didChangeWorkspaceFolders":
            # Only a folder of its own: removing the main root while documents are open is a
            # separate (lifetime) bug, tested where it is fixed.
            other = {"uri": uri(self.ws / "other"), "name": "other"}
            return {"event": {"added": [other] if r.random() < 0.5 else [], "removed": [other] if r.random() < 0.5 else []}}
        if method == "workspace/executeCommand":
            command = r.choice(["fastest.runTest", "fastest.runFile", "fastest.runAll", "fastest.cancelRun", "fastest.debugTest",
                                "fastest.nope"])
            if command == "fastest.runTest":
                args = [r.choice([{"id": "tests/unit/test_stock.py::test_add_counts"}, {"uri": uri(path), "position": self.position(text)},
                                  "tests/unit/test_stock.py::test_price"])]
            elif command == "fastest.runFile":
                args = [{"uri": uri(path)}]
            elif command == "fastest.debugTest":
                args = [self.other_value()]  # never a valid target: a debug run waits for a debugger
            else:
                args = [{"runId": "run-1"}] if r.random() < 0.5 else []
            return {"command": command, "arguments": args}
        if method == "fastest/runTests":
            return {"include": [r.choice(["tests/unit/test_stock.py::test_add_counts", "tests/unit/test_classes.py", "nope::x", "/abs",
                                          "../x"])], "exclude": [], "kind": r.choice(["run", "run", "bogus"])}
        if method == "fastest/cancelRun":
            return {"runId": r.choice(["run-1", "run-2", "nope"])}
        if method == "$/cancelRequest":
            return {"id": r.choice([self.next_id - 1, self.next_id, self.next_id + 1, "x"])}
        return {}

    REQUESTS = ["textDocument/codeLens", "workspace/executeCommand", "fastest/runTests", "fastest/cancelRun",
                "fastest/discoverTests", "initialize", "fastest/unknown"]
    NOTIFICATIONS = ["textDocument/didOpen", "textDocument/didChange", "textDocument/didSave", "textDocument/didClose",
                     "workspace/didChangeWatchedFiles", "workspace/didChangeConfiguration",
                     "workspace/didChangeWorkspaceFolders", "initialized", "$/cancelRequest", "$/unknown"]

    def message(self):
        r = self.rng
        weights = {"textDocument/didChange": 5, "textDocument/didOpen": 3, "textDocument/codeLens": 3, "workspace/executeCommand": 2}
        methods = self.REQUESTS + self.NOTIFICATIONS
        method = r.choices(methods, [weights.get(m, 1) for m in methods])[0]
        if method in ("fastest/runTests", "workspace/executeCommand"):
            # A few runs go a long way: each spawns workers, and shutdown waits for queued runs.
            if not self.allow_runs or self.run_requests_left <= 0:
                method = "fastest/unknown"
            self.run_requests_left -= 1
        message = {"jsonrpc": "2.0", "method": method, "params": self.params_for(method)}
        if method in self.REQUESTS:
            message["id"] = self.next_id
            self.next_id += 1
        return message

    # --- mutations ---------------------------------------------------------------------------
    def paths(self, value, prefix=()):
        yield prefix
        if isinstance(value, dict):
            for k, v in value.items():
                yield from self.paths(v, prefix + (k,))
        elif isinstance(value, list):
            for i, v in enumerate(value):
                yield from self.paths(v, prefix + (i,))

    def mutate_structure(self, message):
        """Replace one field by another type, or delete it. Never turns a message into a run."""
        r = self.rng
        paths = [p for p in self.paths(message) if p and p != ("id",) or r.random() < 0.2]
        paths = [p for p in paths if p]
        path = r.choice(paths)
        parent = message
        for key in path[:-1]:
            parent = parent[key]
        key = path[-1]
        if r.random() < 0.25 and isinstance(parent, dict):
            del parent[key]
        else:
            parent[key] = self.other_value(parent[key])
        cfg = message.get("params")
        if message.get("method") == "workspace/didChangeConfiguration" and isinstance(cfg, dict):
            fastest = cfg.get("settings", {}).get("fastest") if isinstance(cfg.get("settings"), dict) else None
            if isinstance(fastest, dict) and isinstance(fastest.get("workers"), (int, float)) and not isinstance(fastest["workers"], bool):
                fastest["workers"] = 1  # a valid huge worker count is not a protocol fault
        if message.get("method") in ("fastest/runTests", "workspace/executeCommand") and not self.allow_runs:
            message["method"] = "fastest/unknown"
        return message

    def encode(self, message):
        """The frame's bytes, and whether it is still a well-framed JSON message."""
        r = self.rng
        body = json.dumps(message, ensure_ascii=r.random() < 0.3).encode("utf-8", "surrogatepass")
        intact = True
        roll = r.random()
        if roll < 0.08:  # truncated
            body = body[:int(r.random() * len(body))]
            intact = False
        elif roll < 0.16:  # byte flips
            body = bytearray(body)
            for _ in range(r.randrange(1, 4)):
                body[int(r.random() * len(body))] = r.randrange(256)
            body = bytes(body)
            intact = False
        elif roll < 0.22:  # invalid UTF-8 in a string
            at = body.find(b'"', int(r.random() * len(body)))
            if at > 0:
                body = body[:at] + r.choice(INVALID_UTF8) + body[at:]
                intact = False
        elif roll < 0.25:  # an escaped lone surrogate
            body = body.replace(b'"uri": "', b'"uri": "\\ud800', 1)
            intact = b"\\ud800" not in body
        header = b"Content-Length: %d\r\n\r\n" % len(body)
        body_intact = intact
        roll = r.random()
        if roll < 0.1:
            intact = False
            header = r.choice([
                b"Content-Length: %d\r\n\r\n" % (len(body) + r.choice([-3, -1, 1, 7, 1000])),
                b"Content-Length: %d\n\n" % len(body),
                b"content-length:%d\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n" % len(body),
                b"Content-Length: abc\r\n\r\n", b"Content-Length: -2\r\n\r\n", b"Content-Length: +2\r\n\r\n",
                b"Content-Length: 99999999999999999999999\r\n\r\n", b"X-Header: 1\r\n\r\n",
                b"Content-Length: 10\r\nX-Junk: " + b"a" * r.choice([10, 9000]),
                b"Content-Length: %d\r\n" % len(body),
            ])
            if header.startswith(b"content-length:%d" % len(body)):
                intact = body_intact  # a valid spelling
        elif roll < 0.13:
            body = body + b"\r\n"  # trailing whitespace: still valid JSON, counted
            header = b"Content-Length: %d\r\n\r\n" % len(body)
        return header + body, intact

    def frame(self):
        message = self.message()
        if self.rng.random() < 0.6:
            message = self.mutate_structure(message)
        data, intact = self.encode(message)
        expects = None
        rid = message.get("id") if isinstance(message, dict) else None
        valid_id = type(rid) is str or (type(rid) is int and -2 ** 63 <= rid < 2 ** 64)  # else a float in JSON
        if intact and valid_id and not ("method" not in message and ("result" in message or "error" in message)):
            expects = message["id"]
        return data, expects

    # --- the session -------------------------------------------------------------------------
    def fail(self, kind, batch, data, client, detail=""):
        path = self.failure_dir / f"lsp-fuzz-seed{self.seed}-batch{batch}.bin"
        path.write_bytes(data)
        stderr = b"".join(client.stderr[-20:]).decode("utf-8", "replace")
        raise FuzzFailure(f"{kind} after batch {batch} (seed {self.seed}): {detail}; reproduce with --seed {self.seed} "
                          f"--batches {batch + 1} (same batch size); the batch's bytes are in {path}\n{stderr}")

    def probe(self, client, batch, data, expected):
        pid = f"probe-{batch}"
        client.send_raw({"jsonrpc": "2.0", "id": pid, "method": "fastest/fuzzProbe", "params": {}})
        try:
            reply = client.wait_for(lambda m: m.get("id") == pid and "method" not in m, PROBE_TIMEOUT)
        except TimeoutError:
            kind = f"crash (exit {client.proc.returncode})" if client.proc.poll() is not None else "hang or desync"
            self.fail(kind, batch, data, client, "no probe answer")
        if reply.get("error", {}).get("code") != -32601:
            self.fail("desync", batch, data, client, f"probe answered {reply}")
        with client.lock:
            answered = {m.get("id") for m in client.messages if "method" not in m}
        missing = [i for i in expected if i not in answered]
        if missing:
            self.fail("desync", batch, data, client, f"requests left unanswered: {missing}")

    def run(self):
        started = time.monotonic()
        client = LspClient(self.fastest, cwd=self.ws)
        try:
            encoding = self.rng.choice([["utf-16"], ["utf-8"]])
            client.initialize(self.ws, capabilities={"general": {"positionEncodings": encoding}},
                              options={"pythonPath": self.python, "workers": 1})
            for batch in range(self.batches):
                frames = [self.frame() for _ in range(self.batch_size)]
                data = b"".join(f[0] for f in frames)
                try:
                    client.send_bytes(data)
                except (BrokenPipeError, OSError):
                    self.fail(f"crash (exit {client.proc.wait(5)})", batch, data, client, "stdin closed")
                self.sent += len(frames)
                self.probe(client, batch, data, [f[1] for f in frames if f[1] is not None])
            # Not the 5 s of a probe: shutdown waits for the runs still queued (see SHUTDOWN_TIMEOUT).
            shutdown_started = time.monotonic()
            reply = client.request("shutdown", None, timeout=SHUTDOWN_TIMEOUT)
            self.shutdown_seconds = round(time.monotonic() - shutdown_started, 1)
            if "result" not in reply:
                self.fail("desync", self.batches, b"", client, f"shutdown answered {reply}")
            client.notify("exit")
            code = client.proc.wait(10)
            if code != 0:
                self.fail(f"bad exit code {code}", self.batches, b"", client)
        finally:
            if client.proc.poll() is None:
                client.proc.kill()
                client.proc.wait()
        return {"messages": self.sent, "seconds": round(time.monotonic() - started, 1),
                "shutdown_seconds": self.shutdown_seconds}


def main():
    here = Path(__file__).resolve()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fastest", default=str(here.parents[2] / "build" / "fastest"))
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batches", type=int, default=150)
    parser.add_argument("--batch-size", type=int, default=25)
    parser.add_argument("--no-runs", action="store_true", help="never start test runs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ws = make_workspace(here.parents[2] / "test_project", Path(tmp) / "ws")
        result = Fuzzer(args.fastest, ws, args.python, args.seed, args.batches, args.batch_size,
                        failure_dir=Path.cwd(), allow_runs=not args.no_runs).run()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
