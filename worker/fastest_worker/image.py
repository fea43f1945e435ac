"""The warm project image: a process forked from the prepared worker that pre-imports what the
test modules import, so that a batch forked from it pays only for its own test modules.

A test module that starts with `import numpy as np; import pandas as pd` costs each batch
child ~0.5 s of imports; forked from the image, the child finds them in sys.modules.

What goes in: the modules a batch child imported (it reports them when it ends: `report`),
minus the test modules and conftests (pytest imports those itself, so its collection stays
pytest's), minus modules whose file has unsaved changes in the editor, minus modules that
start a Python thread at import (a thread does not survive a fork: the child would hold a
module whose worker is gone) or open a socket (every child would share one connection). Each
such module is named in the log (the `image` event).

When it is used: only while every project file it imported is unchanged on disk (path ->
mtime, size, inode) and none has an unsaved buffer, and no installed package changed (the
mtime of each site-packages directory it imported from). Otherwise the image is dropped at
once (that batch forks from the worker as before: never stale code) and rebuilt in the
background; batches use it again once it is ready.

Processes: worker -> image (forked, same process group: killed with the worker, and with
PR_SET_PDEATHSIG) -> one child per batch (its own group, as a batch child of the worker).
The image only imports and forks; it runs no test.
"""
import gc
import importlib
import importlib.machinery
import json
import os
import select
import signal
import sys
import sysconfig
import tempfile
import threading
import time
import traceback

from . import wire

REPORT_FD = None  # set in the worker: where a batch child writes what it imported
message_fd_to_worker = None  # set in the image process
SMALL_BATCH_FILES = 4  # a batch with at most this many test modules says which to hold collected
MAX_HELD_TEST_FILES = 32
MAX_BUILD_FAILURES = 3
MAX_MESSAGE = 3000  # an image line stays below PIPE_BUF: written at once, never interleaved


def enabled() -> bool:
    return os.environ.get("FASTEST_IMAGE", "") not in ("", "0")


# --- in a batch child -------------------------------------------------------------------------
def _newest_modules(count_before: int):
    """The modules added since sys.modules held `count_before`: a dict keeps insertion order, so
    they are its last entries. Only those are touched: reading every module would write to each
    one's reference count, copying most of the image's pages into the child."""
    names = []
    for name in reversed(sys.modules):
        if len(names) >= len(sys.modules) - count_before:
            break
        names.append(name)
    return [(name, sys.modules.get(name)) for name in reversed(names)]


def report(count_before: int, prepared) -> None:
    """What this child imported that its parent had not, for the worker to pre-import next
    time: [name, file] in import order, and sys.path as pytest left it."""
    if REPORT_FD is None:
        return
    try:
        from _pytest.pathlib import fnmatch_ex
        patterns = prepared.config.getini("python_files") if prepared is not None else ["test_*.py", "*_test.py"]
        modules, tests = [], []
        newest = _newest_modules(count_before)
        for name, module in newest:
            path = getattr(module, "__file__", None)
            if not isinstance(path, str) or name in ("__main__", "__mp_main__"):
                continue
            if os.path.basename(path) == "conftest.py" or any(fnmatch_ex(p, path) for p in patterns):
                tests.append(name)
            else:
                modules.append([name, os.path.abspath(path)])
        # The packages of test modules are part of pytest's collection too.
        modules = [m for m in modules if not any(t.startswith(m[0] + ".") for t in tests)]
        from .precollect import test_files
        path = list(sys.path)
        if prepared is not None:  # pytest's `pythonpath` entries, which unconfigure took out again
            for entry in reversed(prepared.config.getini("pythonpath") or []):
                if str(entry) not in path:
                    path.insert(0, str(entry))
        data = json.dumps({"modules": modules, "path": path,
                           "test_files": test_files(newest, patterns)}).encode()
        os.ftruncate(REPORT_FD, 0)
        os.pwrite(REPORT_FD, data, 0)
    except Exception:
        pass  # a report is an optimisation: never a batch's failure


# --- in the image process ---------------------------------------------------------------------
class _SkipUnsaved:
    """A meta path finder that refuses modules with unsaved buffers: a module importing one
    fails here and stays out of the image (its child imports both, with the buffer's text)."""

    def __init__(self, paths):
        self.paths = paths

    def find_spec(self, name, path=None, target=None):
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is not None and spec.origin and os.path.realpath(spec.origin) in self.paths:
            raise ImportError(f"{spec.origin} has unsaved changes in the editor")
        return None


def _native_threads() -> int:
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return threading.active_count()


def _sockets() -> set:
    """The process's socket fds (a socket opened at import would be shared by every child)."""
    try:
        fds = os.listdir("/proc/self/fd")
    except OSError:
        return set()
    sockets = set()
    for fd in fds:
        try:
            if os.readlink(f"/proc/self/fd/{fd}").startswith("socket:"):
                sockets.add(fd)
        except OSError:
            pass
    return sockets


def _unsafe_because(threads_before: set, sockets_before: set):
    """Why what the last import left behind cannot be held across a fork, or None."""
    started = [t for t in threading.enumerate() if t.ident not in threads_before]
    if started:
        return ("it started the thread(s) " + _clip([repr(t.name) for t in started]) +
                " at import: a thread does not survive a fork")
    if _sockets() - sockets_before:
        return "it opened a socket at import: the image and every batch would share one connection"
    return None


def _installed_dirs():
    paths = sysconfig.get_paths()
    dirs = {paths.get(k) for k in ("purelib", "platlib", "stdlib", "platstdlib")}
    return sorted((os.path.join(os.path.realpath(d), "") for d in dirs if d), key=len, reverse=True)


def stamp(path):
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_mtime_ns, st.st_size, st.st_ino]


CLOCK_REALTIME_COARSE = 5  # Linux's clock id: what the kernel stamps a file's mtime with


def _file_clock_ns() -> int:
    """Now, on the clock file mtimes are read from (the coarse clock lags the fine one by up to
    a tick: a file written just after this reads no earlier than it)."""
    try:
        return time.clock_gettime_ns(CLOCK_REALTIME_COARSE)
    except (AttributeError, OSError):
        return time.time_ns() - 10_000_000


class Holdings:
    """What a process's imports depend on: each project file, stamped right after the import
    that brought it in, and each installed directory imported from (pip changes the directory
    when it adds or removes a package). A file saved while a long build ran is caught: its
    stamp at the end differs, or its mtime falls inside the import that read it. A module
    counts as new when sys.modules holds another object under its name than before (pytest
    imports every conftest as `conftest`)."""

    def __init__(self):
        self._seen = dict(sys.modules)
        self._installed = _installed_dirs()
        self._since = _file_clock_ns()
        self.files, self.dirs = {}, {}
        self.new_modules = []
        self._changed = None

    def take(self) -> None:
        """Stamps what was imported since the last call."""
        now = time.time_ns()
        for name, module in list(sys.modules.items()):
            if self._seen.get(name) is module:
                continue
            self._seen[name] = module
            self.new_modules.append(name)
            path = getattr(module, "__file__", None)
            if not isinstance(path, str):
                continue
            path = os.path.realpath(path)
            home = next((d for d in self._installed if path.startswith(d)), None)
            if home is not None:
                self.dirs.setdefault(home, stamp(home))
            elif path not in self.files:
                self.files[path] = stamp(path)
                mtime = self.files[path][0] if self.files[path] else None
                if self._changed is None and mtime is not None and self._since <= mtime <= now:
                    self._changed = path
        self._since = _file_clock_ns()

    def changed_while_taken(self):
        """At the end: a project file that may have changed after it was imported, or None."""
        self.take()
        moved = next((path for path, held in self.files.items() if stamp(path) != held), None)
        return moved or self._changed

    def write(self, holdings_file) -> None:
        holdings_file.write(json.dumps({"files": self.files, "dirs": self.dirs}).encode())
        holdings_file.flush()


def _rss_mb() -> float:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _send(fd, message: dict) -> None:
    os.write(fd, (json.dumps(message) + "\n").encode())


def _clip(items, limit=20):
    return ", ".join(items[:limit]) + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _build(names, sys_path, unsaved, holdings_file, message_fd):
    """Imports `names`; True when ready, False (reported) when a module started a thread or
    opened a socket, or a file changed while it was imported."""
    started = time.perf_counter()
    holdings = Holdings()
    saved_path = list(sys.path)
    sys.path[:] = sys_path or saved_path
    skip = _SkipUnsaved(unsaved) if unsaved else None
    if skip:
        sys.meta_path.insert(0, skip)
    threads = {t.ident for t in threading.enumerate()}
    sockets = _sockets()
    native = _native_threads()
    failed, native_notes = [], []
    try:
        for name in names:
            if name in sys.modules:
                continue
            before_import = set(sys.modules)
            try:
                importlib.import_module(name)
            except BaseException as error:  # its child imports it again and sees the same
                failed.append(f"{name} ({type(error).__name__})")
                # What the failed import left behind goes too: a submodule imported before its
                # package's __init__ failed stays in sys.modules, and a child would then import
                # `from pkg.sub import x` without running the failing __init__ (pytest's error).
                for partial in set(sys.modules) - before_import:
                    del sys.modules[partial]
                continue
            holdings.take()
            why = _unsafe_because(threads, sockets)
            if why:
                _send(message_fd, {"unsafe": name, "reason": why})
                return False
            if _native_threads() > native:
                # A native pool (OpenBLAS, MKL) stops its threads around a fork (pthread_atfork):
                # kept, and said in the log.
                native_notes.append(f"{name} (+{_native_threads() - native})")
                native = _native_threads()
    finally:
        if skip:
            sys.meta_path.remove(skip)
        sys.path[:] = saved_path
    changed = holdings.changed_while_taken()
    if changed:
        _send(message_fd, {"changed": changed})
        return False
    holdings.write(holdings_file)
    gc.freeze()  # the children share these objects without copying them
    new = holdings.new_modules
    text = (f"{len(new)} modules pre-imported ({sum(1 for n in new if '.' not in n)} top-level; "
            f"{len(holdings.files)} project files) in {time.perf_counter() - started:.2f} s, RSS {_rss_mb():.0f} MB")
    if failed:
        text += "; left out, failed to import: " + _clip(failed, 10)
    if native_notes:
        text += "; started native threads (kept): " + _clip(native_notes, 10)
    _send(message_fd, {"ready": text[:MAX_MESSAGE]})
    return True


class Lines:
    """JSON lines read from a pipe, one os.read at a time (select() sees what is buffered)."""

    def __init__(self, fd):
        self.fd = fd
        self._pending = b""

    def has_line(self) -> bool:
        return b"\n" in self._pending

    def fill(self) -> bool:
        """Reads what the pipe holds (blocks until something comes); False at its end."""
        data = os.read(self.fd, 1 << 16)
        self._pending += data
        return bool(data)

    def next(self, timeout):
        """The next message, None when none came within `timeout` (None: wait), False at the end."""
        while not self.has_line():
            if timeout is not None and not select.select([self.fd], [], [], timeout)[0]:
                return None
            if not self.fill():
                return False
        line, _, self._pending = self._pending.partition(b"\n")
        return json.loads(line)


def forward(process, command, on_message=None):
    """Runs `command` in `process` (an image or collected process): its batch's status as
    os.waitpid gives it, or None when the process died. Other messages go to `on_message`."""
    try:
        data = (json.dumps(command.encode()) + "\n").encode()
        view = memoryview(data)
        while view:
            view = view[os.write(process.command_fd, view):]
        while True:
            message = process.message(None)
            if message is False:
                return None
            if isinstance(message, dict) and "status" in message:
                return message["status"]
            if on_message is not None:
                on_message(message)
    except OSError:
        return None


def serve_batches(command_fd, message_fd, channel, prepared):
    """Runs each command in a child forked ahead of it, and answers with its status."""
    from .server import SpareChild
    commands = Lines(command_fd)
    while True:
        spare = SpareChild(channel, prepared)
        message = commands.next(None)
        if message is False:
            spare.end()
            os._exit(0)
        _send(message_fd, {"status": spare.run(wire.RunCommand.decode(message))})


def _serve(command_fd, message_fd, fork_batch, channel, prepared, test_files, unsaved):
    """The image's loop: each batch runs in the collected process when it covers the batch
    (collected.py), else in a child forked here. A `precollect` line names the test files the
    collected process should hold."""
    global message_fd_to_worker
    from .collected import Collected
    message_fd_to_worker = message_fd
    collected = Collected(fork_batch, channel, prepared, test_files, unsaved)
    commands = Lines(command_fd)
    while True:
        while not commands.has_line():
            waiting = collected.wait_fd()
            readable = select.select([command_fd] + ([waiting] if waiting is not None else []), [], [])[0]
            if command_fd in readable and not commands.fill():
                collected.close()
                os._exit(0)
            if waiting is not None and waiting in readable:
                collected.poll()
        message = commands.next(None)
        if "precollect" in message:
            collected.want(message["precollect"])
            continue
        status = collected.run(wire.RunCommand.decode(message))
        _send(message_fd, {"status": status})
        collected.after_batch()


def _image_main(command_fd, message_fd, names, sys_path, unsaved, holdings_file, fork_batch, channel, prepared,
                test_files):
    from .server import _die_with_parent
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    if _build(names, sys_path, unsaved, holdings_file, message_fd):
        _serve(command_fd, message_fd, fork_batch, channel, prepared, test_files, unsaved)


# --- in the worker ----------------------------------------------------------------------------
class Process:
    """One image (or collected) process, seen from the process that forked it."""

    def __init__(self, pid, command_fd, message_fd, names, holdings_file):
        self.pid, self.command_fd, self.message_fd = pid, command_fd, message_fd
        self.names = names
        self.holdings_file = holdings_file
        self.files, self.dirs = {}, {}
        self._messages = Lines(message_fd)

    def message(self, timeout):
        """The next message, None when there is none yet, False when the process is gone."""
        return self._messages.next(timeout)

    def alive(self) -> bool:
        try:
            return os.waitpid(self.pid, os.WNOHANG) == (0, 0)
        except ChildProcessError:
            return False

    def load_holdings(self):
        self.holdings_file.seek(0)
        holdings = json.loads(self.holdings_file.read() or b"{}")
        self.files, self.dirs = holdings.get("files", {}), holdings.get("dirs", {})

    def changed(self, unsaved):
        """Why the image no longer matches the files (None when it does)."""
        for path in unsaved & self.files.keys():
            return f"{path} has unsaved changes in the editor"
        for path, held in self.files.items():
            if stamp(path) != held:
                return f"{path} changed on disk"
        for path, held in self.dirs.items():
            if stamp(path) != held:
                return f"installed packages changed in {path}"
        return None

    def end(self):
        for fd in (self.command_fd, self.message_fd):
            try:
                os.close(fd)
            except OSError:
                pass
        self.holdings_file.close()
        try:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except (OSError, ChildProcessError):
            pass


class ProjectImage:
    """The worker's image: what to pre-import, the image in use and the one being built."""

    def __init__(self, channel, prepared, fork_batch):
        global REPORT_FD
        self.channel, self.prepared, self.fork_batch = channel, prepared, fork_batch
        self.candidates = {}  # module name -> its file's real path, in import order
        self.sys_path = []
        self.unsafe = {}  # module name -> why it stays out
        self.unsaved = set()  # real paths of the unsaved buffers the last batch carried
        self.test_files = []  # what the collected process should hold, most recent first
        self.ready = None
        self.dropped = None  # an image found stale before a batch, ended after it
        self.building = None
        self.failures = 0
        self._report = tempfile.TemporaryFile()
        REPORT_FD = self._report.fileno()

    # -- the worker's loop ------------------------------------------------------------------
    def wait_fd(self):
        """The fd to watch between batches (an image being built), or None."""
        return self.building.message_fd if self.building else None

    def poll(self, timeout=0.0):
        """Takes in what the image being built said."""
        while self.building is not None:
            message = self.building.message(timeout)
            if message is None:
                return
            building, self.building = self.building, None
            if message is False:
                building.end()
                self.failures += 1
                self._tell("failed", "the image process died while importing"
                           + ("; giving up" if self.failures >= MAX_BUILD_FAILURES else "; building again"))
                if self.failures < MAX_BUILD_FAILURES:
                    self._build()
            elif "changed" in message:
                # Built again after the next batch: a file rewritten all the time is not chased.
                building.end()
                self._tell("dropped", f"{message['changed']} changed while the image imported it; "
                                      "building again after the next batch")
            elif "unsafe" in message:
                building.end()
                self.unsafe[message["unsafe"]] = message["reason"]
                self._tell("unsafe", f"{message['unsafe']} is not pre-imported: {message['reason']}")
                self._build()
            elif "ready" in message:
                building.load_holdings()
                if self.ready is not None:
                    self.ready.end()
                self.ready = building
                self.failures = 0
                self._tell("ready", message["ready"])
                self._send_held_files()  # the list may have grown while it was built
                self._build_if_wanted()

    def usable(self, command, prepared_in_use) -> bool:
        """True when this batch may fork from the image: ready, matching the files, and the
        batch is a plain one (coverage and a debugger must see the modules import)."""
        self.poll()
        self.unsaved = {os.path.realpath(p) for p in command.overlays}
        if self.ready is None or prepared_in_use is None or command.coverage or command.debug_port:
            return False
        why = self.ready.changed(self.unsaved) if self.ready.alive() else "the image process is gone"
        if why is not None:
            # Ended, and built again, after this batch (after_batch): the teardown and the build
            # would take the CPU the batch needs on a small machine.
            self.dropped, self.ready = self.ready, None
            self._tell("dropped", why + ": this batch imports afresh; building it again after it")
            return False
        return True

    def run(self, command) -> int:
        """Runs the batch in a child of the image; its status as os.waitpid gives it."""
        status = forward(self.ready, command, self._noted)
        if status is None:
            self.ready.end()
            self.ready = None
            self._tell("failed", "the image process died during a batch; building it again")
            self._build()
            return signal.SIGKILL  # as os.waitpid reports a child killed by SIGKILL
        return status

    def _noted(self, message) -> None:
        """What the image says about its collected process (collected.py), for the log."""
        if isinstance(message, dict) and "note" in message:
            self._tell(str(message["note"]), str(message.get("text", "")))

    def after_batch(self) -> None:
        """Takes in what the batch imported; builds an image when it would hold more."""
        if self.dropped is not None:
            self.dropped.end()
            self.dropped = None
        try:
            os.lseek(REPORT_FD, 0, os.SEEK_SET)
            data = os.read(REPORT_FD, 1 << 24)
            os.ftruncate(REPORT_FD, 0)
            report = json.loads(data) if data else None
        except (OSError, ValueError):
            report = None
        if report:
            for name, path in report.get("modules", []):
                if name not in self.candidates:  # resolved once: this runs after every batch
                    self.candidates[name] = os.path.realpath(path)
            if report.get("path"):
                self.sys_path = report["path"]
            self._hold_collected(report.get("test_files") or [])
        self._build_if_wanted()

    def _hold_collected(self, files) -> None:
        """The test modules of a small batch (run-at-cursor, a re-run) go first in the list the
        image's collected process holds (collected.py); a big run's do not churn it."""
        if not files or len(files) > SMALL_BATCH_FILES:
            return
        held = files + [f for f in self.test_files if f not in files]
        held = held[:MAX_HELD_TEST_FILES]
        if held == self.test_files:
            return
        self.test_files = held
        self._send_held_files()

    def _send_held_files(self) -> None:
        if self.ready is not None and self.test_files:
            try:
                os.write(self.ready.command_fd, (json.dumps({"precollect": self.test_files}) + "\n").encode())
            except OSError:
                pass

    def close(self) -> None:
        for process in (self.ready, self.building, self.dropped):
            if process is not None:
                process.end()
        self.ready = self.building = self.dropped = None

    # -- building ---------------------------------------------------------------------------
    def _wanted(self):
        return [n for n, path in self.candidates.items() if n not in self.unsafe and path not in self.unsaved]

    def _build_if_wanted(self):
        if self.building is not None or self.failures >= MAX_BUILD_FAILURES:
            return
        wanted = self._wanted()
        if self.ready is not None and set(wanted) <= self.ready.names:
            return  # new test files reach the ready image as a `precollect` line
        if wanted or self.test_files:
            self._build()

    def _build(self):
        if self.building is not None:
            self.building.end()
        names = self._wanted()
        if not names and not self.test_files:
            return
        to_image, command_fd = os.pipe()
        message_fd, from_image = os.pipe()
        holdings_file = tempfile.TemporaryFile()
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                os.close(command_fd)
                os.close(message_fd)
                if self.ready is not None:
                    for fd in (self.ready.command_fd, self.ready.message_fd):
                        os.close(fd)
                _image_main(to_image, from_image, names, self.sys_path, self.unsaved, holdings_file,
                            self.fork_batch, self.channel, self.prepared, self.test_files)
            except BaseException:
                traceback.print_exc()
                code = 70
            os._exit(code)
        os.close(to_image)
        os.close(from_image)
        self.building = Process(pid, command_fd, message_fd, set(names), holdings_file)

    def _tell(self, state, message):
        try:
            self.channel.send(wire.image(state, message[:MAX_MESSAGE]))
        except OSError:
            pass
