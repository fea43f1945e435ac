"""A scripted LSP client for the end-to-end tests: speaks Content-Length framed JSON-RPC to
`fastest lsp` over pipes and records everything the server sends."""
import json
import os
import queue
import subprocess
import threading
import time
from pathlib import Path


def uri(path) -> str:
    from urllib.parse import quote
    return "file://" + quote(str(path))


class LspClient:
    def __init__(self, fastest_bin, cwd=None, env=None):
        self.proc = subprocess.Popen([str(fastest_bin), "lsp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, cwd=cwd, env=env, start_new_session=True)
        self.messages = []            # everything received, in order
        self.lock = threading.Condition()
        self.next_id = 1
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.stderr = []
        threading.Thread(target=lambda: self.stderr.extend(self.proc.stderr), daemon=True).start()

    # --- wire ------------------------------------------------------------------------------
    def _read(self):
        stream = self.proc.stdout
        while True:
            headers = {}
            while True:
                line = stream.readline()
                if not line:
                    return
                line = line.decode("ascii", "replace").strip()
                if not line:
                    break
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            body = stream.read(int(headers["content-length"]))
            message = json.loads(body)
            # Answer the server's own requests (progress tokens, registrations).
            if "method" in message and "id" in message:
                self.send_raw({"jsonrpc": "2.0", "id": message["id"], "result": None})
            with self.lock:
                self.messages.append(message)
                self.lock.notify_all()

    def send_bytes(self, data: bytes):
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def send_raw(self, message: dict):
        body = json.dumps(message).encode("utf-8")
        self.send_bytes(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    # --- requests --------------------------------------------------------------------------
    def request_async(self, method, params=None) -> int:
        rid = self.next_id
        self.next_id += 1
        self.send_raw({"jsonrpc": "2.0", "id": rid, "method": method, "params": params if params is not None else {}})
        return rid

    def response(self, rid, timeout=30):
        return self.wait_for(lambda m: m.get("id") == rid and "method" not in m, timeout)

    def request(self, method, params=None, timeout=30):
        return self.response(self.request_async(method, params), timeout)

    def notify(self, method, params=None):
        self.send_raw({"jsonrpc": "2.0", "method": method, "params": params if params is not None else {}})

    def wait_for(self, predicate, timeout=30, start=0):
        deadline = time.monotonic() + timeout
        with self.lock:
            while True:
                for m in self.messages[start:]:
                    if predicate(m):
                        return m
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no matching message; got {[x.get('method', x.get('id')) for x in self.messages[-20:]]}")
                self.lock.wait(left)

    def notifications(self, method):
        with self.lock:
            return [m["params"] for m in self.messages if m.get("method") == method]

    def mark(self) -> int:
        with self.lock:
            return len(self.messages)

    # --- session helpers -------------------------------------------------------------------
    def initialize(self, root, capabilities=None, options=None):
        caps = capabilities if capabilities is not None else {
            "window": {"workDoneProgress": True},
            "workspace": {"didChangeWatchedFiles": {"dynamicRegistration": True}},
        }
        params = {"processId": os.getpid(), "rootUri": uri(root), "capabilities": caps,
                  "workspaceFolders": [{"uri": uri(root), "name": Path(root).name}]}
        if options is not None:
            params["initializationOptions"] = options
        result = self.request("initialize", params)
        self.notify("initialized", {})
        return result

    def run_and_wait(self, method, params, timeout=60):
        reply = self.request(method, params)
        assert "result" in reply, reply
        run_id = reply["result"]["runId"]
        finished = self.wait_for(lambda m: m.get("method") == "fastest/runFinished" and m["params"]["runId"] == run_id,
                                 timeout)
        states = [m["params"] for m in self.messages
                  if m.get("method") == "fastest/testStateChanged" and m["params"]["runId"] == run_id]
        return reply["result"], states, finished["params"]

    def close(self):
        try:
            self.request("shutdown", timeout=10)
            self.notify("exit")
            self.proc.wait(timeout=10)
        except Exception:
            self.proc.kill()
            self.proc.wait()
