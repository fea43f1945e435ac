"""A stand-in language server for fastest.el: it answers fastest/cancelRun and
workspace/executeCommand (fastest.cancelRun) together with the run's fastest/runFinished, in one
write, as the real server's two messages often arrive on a loaded machine. Every other request
gets a null result; notifications are ignored."""
import json
import os
import sys


def frame(message: dict) -> bytes:
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def read_message(stream):
    length = None
    while True:
        line = stream.readline()
        if not line:
            return None
        line = line.strip()
        if not line:
            break
        name, _, value = line.decode().partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    return json.loads(stream.read(length))


def main() -> int:
    stdin = sys.stdin.buffer
    while True:
        message = read_message(stdin)
        if message is None or message.get("method") == "exit":
            return 0
        if "id" not in message:
            continue
        method, params = message["method"], message.get("params") or {}
        if method == "initialize":
            result = {"capabilities": {"textDocumentSync": 2, "executeCommandProvider": {"commands": ["fastest.cancelRun"]}}}
        else:
            result = None
        out = frame({"jsonrpc": "2.0", "id": message["id"], "result": result})
        run = params.get("runId") or (params.get("arguments") or [{}])[0].get("runId")
        if method == "fastest/cancelRun" or (method == "workspace/executeCommand" and params.get("command") == "fastest.cancelRun"):
            out += frame({"jsonrpc": "2.0", "method": "fastest/runFinished",
                          "params": {"runId": run, "counts": {"cancelled": 1}, "durationMs": 5}})
        os.write(1, out)  # one write: the client reads the reply and the notification at once


if __name__ == "__main__":
    sys.exit(main())
