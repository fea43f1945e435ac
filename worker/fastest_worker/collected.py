"""The image's collected process: forked from the warm project image, it collects the test
modules recent small batches ran (precollect.py) and then forks each batch it is given, so
that run-at-cursor finds its module imported and its nodes collected.

It lives beside the image, not instead of it: while a test module it holds is being edited
(an unsaved buffer, or a change on disk), the collected process is dropped and batches fork
from the image as before (the heavy imports stay warm); it is collected again, without the
unsaved files, after that batch. A file whose collection is unclean (precollect.py) is left
out for the image's lifetime.

Processes: worker -> image -> collected -> one child per batch. Each dies with its parent.
"""
import gc
import os
import signal
import sys
import tempfile
import threading
import time
import traceback

from . import image, precollect

MAX_FAILURES = 3
# A test module's import-time values (a date, a random seed) would otherwise stay the same
# for every run for as long as the process lives; pytest imports them afresh each run.
MAX_AGE_S = 300


def _main(command_fd, message_fd, files, unsaved, holdings_file, channel, prepared):
    from .server import _die_with_parent
    _die_with_parent()
    started = time.perf_counter()
    holdings = image.Holdings()
    baseline = {"threads": {t.ident for t in threading.enumerate()}, "sockets": image._sockets()}

    def after_module():
        holdings.take()
        why = image._unsafe_because(baseline["threads"], baseline["sockets"])
        baseline.update(threads={t.ident for t in threading.enumerate()}, sockets=image._sockets())
        return why

    skip = image._SkipUnsaved(unsaved) if unsaved else None
    if skip:
        sys.meta_path.insert(0, skip)
    try:
        kept, unclean = precollect.collect(prepared, files, after_module)
    finally:
        if skip:
            sys.meta_path.remove(skip)
    if unclean:
        image._send(message_fd, {"unclean": unclean})
        return
    changed = holdings.changed_while_taken()
    if changed:
        image._send(message_fd, {"changed": changed})
        return
    holdings.write(holdings_file)
    gc.freeze()
    image._send(message_fd, {"ready": kept, "note": f"{len(kept)} test modules collected "
                                                     f"in {time.perf_counter() - started:.2f} s"})
    image.serve_batches(command_fd, message_fd, channel, prepared)


class Collected:
    """In the image: the collected process in use, the one being started, and what to hold."""

    def __init__(self, fork_batch, channel, prepared, files, unsaved):
        self.fork_batch, self.channel, self.prepared = fork_batch, channel, prepared
        self.files = list(files or [])
        self.unclean = {}  # file -> why it is left out
        self.unsaved = set(unsaved or ())
        self.ready = None
        self.ready_since = 0.0
        self.dropped = None
        self.building = None
        self.failures = 0
        self.enabled = prepared is not None and precollect.supported()
        self._start()

    def wait_fd(self):
        return self.building.message_fd if self.building else None

    def poll(self, timeout=0.0):
        while self.building is not None:
            message = self.building.message(timeout)
            if message is None:
                return
            building, self.building = self.building, None
            if message is not False and "changed" in message:
                building.end()  # started again after the next batch: never chased in a loop
            elif message is False or "unclean" in message:
                building.end()
                if message is False:
                    self.failures += 1
                else:
                    self.unclean.update(message["unclean"])
                    self._note("uncollected", "; ".join(f"{os.path.basename(f)}: {why}"
                                                        for f, why in list(message["unclean"].items())[:10]))
                self._start()
            else:
                building.load_holdings()
                building.names = set(message["ready"])
                if self.ready is not None:
                    self.ready.end()
                self.ready = building
                self.ready_since = time.monotonic()
                self.failures = 0
                self._note("collected", message.get("note", ""))

    def run(self, command) -> int:
        """Runs the batch in the collected process when it holds every id's module and nothing
        it imported changed; else forks it here. Its status as os.waitpid gives it."""
        self.poll()
        self.unsaved = {os.path.realpath(p) for p in command.overlays}
        if self.ready is not None:
            why = self.ready.changed(self.unsaved) if self.ready.alive() else "the process is gone"
            if why is not None:  # ended after this batch, whose CPU its teardown would take
                self.dropped, self.ready = self.ready, None
            elif precollect.covers(command.ids, command.rootdir, self.ready.names):
                status = image.forward(self.ready, command)
                if status is not None:
                    return status
                self.ready.end()
                self.ready = None
                self.failures += 1
                return signal.SIGKILL  # as os.waitpid reports a child killed by SIGKILL
        return self.fork_batch(self.channel, command, self.prepared)

    def after_batch(self):
        if self.ready is not None and time.monotonic() - self.ready_since > MAX_AGE_S:
            self.dropped, self.ready = self.ready, None
        if self.dropped is not None:
            self.dropped.end()
            self.dropped = None
        if self.ready is None and self.building is None:
            self._start()

    def want(self, files):
        """The test files to hold (most recent first); started again when they differ."""
        if list(files) == self.files:
            return
        self.files = list(files)
        if self.building is not None:
            self.building.end()
            self.building = None
        self._start()

    def close(self):
        for process in (self.ready, self.building, self.dropped):
            if process is not None:
                process.end()
        self.ready = self.building = self.dropped = None

    def _start(self):
        files = [f for f in self.files if f not in self.unclean and os.path.realpath(f) not in self.unsaved]
        if not self.enabled or not files or self.building is not None or self.failures >= MAX_FAILURES:
            return
        if self.ready is not None and set(files) <= self.ready.names:
            return
        to_child, command_fd = os.pipe()
        message_fd, from_child = os.pipe()
        holdings_file = tempfile.TemporaryFile()
        pid = os.fork()
        if pid == 0:
            try:
                for fd in (command_fd, message_fd) + (
                        (self.ready.command_fd, self.ready.message_fd) if self.ready else ()):
                    os.close(fd)
                _main(to_child, from_child, files, self.unsaved, holdings_file, self.channel, self.prepared)
            except BaseException:
                traceback.print_exc()
            os._exit(0)
        os.close(to_child)
        os.close(from_child)
        self.building = image.Process(pid, command_fd, message_fd, set(), holdings_file)

    def _note(self, state, text):
        # The image's messages reach the worker between a batch's status lines (image.forward).
        try:
            image._send(image.message_fd_to_worker, {"note": state, "text": text[:image.MAX_MESSAGE]})
        except (OSError, TypeError):
            pass
