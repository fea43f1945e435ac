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
        self._command_fd = command_fd
        self._pending = bytearray()  # read from the pipe, not yet a whole line
        self._event_fd = event_fd

    def fileno(self) -> int:
        return self._command_fd

    def has_command(self) -> bool:
        """A whole command is already read: waiting on the fd would miss it."""
        return b"\n" in self._pending

    def read_command(self):
        start = 0
        while (end := self._pending.find(b"\n", start)) < 0:
            start = len(self._pending)
            data = os.read(self._command_fd, 1 << 16)
            if not data:
                if not self._pending:
                    return None
                end = len(self._pending)  # the last line without its newline, as readline gives it
                break
            self._pending += data
        line = bytes(self._pending[:end])
        del self._pending[:end + 1]
        return json.loads(line)

    def send(self, event: dict) -> None:
        data = (json.dumps(event, ensure_ascii=False, default=str) + "\n").encode("utf-8", "replace")
        with _lock:
            view = memoryview(data)
            while view:
                written = os.write(self._event_fd, view)
                view = view[written:]
