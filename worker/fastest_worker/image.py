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
        for name, module in _newest_modules(count_before):
            path = getattr(module, "__file__", None)
            if not isinstance(path, str) or name in ("__main__", "__mp_main__"):
                continue
            if os.path.basename(path) == "conftest.py" or any(fnmatch_ex(p, path) for p in patterns):
                tests.append(name)
            else:
                modules.append([name, os.path.abspath(path)])
        # The packages of test modules are part of pytest's collection too.
        modules = [m for m in modules if not any(t.startswith(m[0] + ".") for t in tests)]
        data = json.dumps({"modules": modules, "path": list(sys.path)}).encode()
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


def _holdings(before: set):
    """What the image's code depends on: each project file it imported, and each installed
    directory it imported from (pip changes the directory when it adds or removes a package)."""
    installed = _installed_dirs()
    files, dirs = {}, {}
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None)
        if name in before or not isinstance(path, str):
            continue
        path = os.path.realpath(path)
        home = next((d for d in installed if path.startswith(d)), None)
        if home is not None:
            dirs[home] = stamp(home)
        else:
            files[path] = stamp(path)
    return files, dirs


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
    """Imports `names`; True when ready, False when a module started a thread (reported)."""
    started = time.perf_counter()
    before = set(sys.modules)
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
            try:
                importlib.import_module(name)
            except BaseException as error:  # its child imports it again and sees the same
                failed.append(f"{name} ({type(error).__name__})")
                continue
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
    files, dirs = _holdings(before)
    holdings_file.write(json.dumps({"files": files, "dirs": dirs}).encode())
    holdings_file.flush()
    gc.freeze()  # the children share these objects without copying them
    new = [n for n in sys.modules if n not in before]
    text = (f"{len(new)} modules pre-imported ({sum(1 for n in new if '.' not in n)} top-level; "
            f"{len(files)} project files) in {time.perf_counter() - started:.2f} s, RSS {_rss_mb():.0f} MB")
    if failed:
        text += "; left out, failed to import: " + _clip(failed, 10)
    if native_notes:
        text += "; started native threads (kept): " + _clip(native_notes, 10)
    _send(message_fd, {"ready": text[:MAX_MESSAGE]})
    return True


def _serve(command_fd, message_fd, fork_batch, channel, prepared):
    """Forks one child per command, as the worker would, and answers with its status."""
    lines = os.fdopen(command_fd, "rb")
    while True:
        line = lines.readline()
        if not line:
            os._exit(0)
        command = wire.RunCommand.decode(json.loads(line))
        status = fork_batch(channel, command, prepared)
        _send(message_fd, {"status": status})


def _image_main(command_fd, message_fd, names, sys_path, unsaved, holdings_file, fork_batch, channel, prepared):
    from .server import _die_with_parent
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    if _build(names, sys_path, unsaved, holdings_file, message_fd):
        _serve(command_fd, message_fd, fork_batch, channel, prepared)


# --- in the worker ----------------------------------------------------------------------------
class _Process:
    """One image process, seen from the worker."""

    def __init__(self, pid, command_fd, message_fd, names, holdings_file):
        self.pid, self.command_fd, self.message_fd = pid, command_fd, message_fd
        self.names = names
        self.holdings_file = holdings_file
        self.files, self.dirs = {}, {}
        self._pending = b""

    def message(self, timeout):
        """The next message, None when there is none yet, False when the process is gone."""
        while b"\n" not in self._pending:
            if timeout is not None and not select.select([self.message_fd], [], [], timeout)[0]:
                return None
            data = os.read(self.message_fd, 1 << 16)
            if not data:
                return False
            self._pending += data
        line, _, self._pending = self._pending.partition(b"\n")
        return json.loads(line)

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
        self.ready = None
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
            self.ready.end()
            self.ready = None
            self._tell("dropped", why + ": this batch imports afresh; building it again")
            self._build()
            return False
        return True

    def run(self, command) -> int:
        """Runs the batch in a child of the image; its status as os.waitpid gives it."""
        ready = self.ready
        try:
            data = (json.dumps(command.encode()) + "\n").encode()
            view = memoryview(data)
            while view:
                view = view[os.write(ready.command_fd, view):]
            while True:
                message = ready.message(None)
                if message is False or (isinstance(message, dict) and "status" in message):
                    break
        except OSError:
            message = False
        if message is False:
            ready.end()
            self.ready = None
            self._tell("failed", "the image process died during a batch; building it again")
            self._build()
            return signal.SIGKILL  # as os.waitpid reports a child killed by SIGKILL
        return message["status"]

    def after_batch(self) -> None:
        """Takes in what the batch imported; builds an image when it would hold more."""
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
        self._build_if_wanted()

    def close(self) -> None:
        for process in (self.ready, self.building):
            if process is not None:
                process.end()
        self.ready = self.building = None

    # -- building ---------------------------------------------------------------------------
    def _wanted(self):
        return [n for n, path in self.candidates.items() if n not in self.unsafe and path not in self.unsaved]

    def _build_if_wanted(self):
        if self.building is not None or self.failures >= MAX_BUILD_FAILURES:
            return
        wanted = self._wanted()
        if not wanted or (self.ready is not None and set(wanted) <= self.ready.names):
            return
        self._build()

    def _build(self):
        if self.building is not None:
            self.building.end()
        names = self._wanted()
        if not names:
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
                            self.fork_batch, self.channel, self.prepared)
            except BaseException:
                traceback.print_exc()
                code = 70
            os._exit(code)
        os.close(to_image)
        os.close(from_image)
        self.building = _Process(pid, command_fd, message_fd, set(names), holdings_file)

    def _tell(self, state, message):
        try:
            self.channel.send(wire.image(state, message[:MAX_MESSAGE]))
        except OSError:
            pass
