"""The private channel to the engine: JSON lines on inherited file descriptors.

Test code may print to, redirect or close stdout/stderr: none of that touches these fds,
which the worker moves far above the standard ones.
"""
import json
import os
import threading

_lock = threading.Lock()


class Channel:
    def __init__(self, command_fd: int, event_fd: int):
        self._commands = os.fdopen(command_fd, "r", encoding="utf-8", buffering=1)
        self._event_fd = event_fd

    def read_command(self):
        line = self._commands.readline()
        if not line:
            return None
        return json.loads(line)

    def send(self, event: dict) -> None:
        data = (json.dumps(event, ensure_ascii=False, default=str) + "\n").encode("utf-8", "replace")
        with _lock:
            view = memoryview(data)
            while view:
                written = os.write(self._event_fd, view)
                view = view[written:]
