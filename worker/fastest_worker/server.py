"""The fork server: import pytest once, then fork one child per batch of tests.

The parent stays small and never imports test code, so a test that crashes, hangs or
corrupts the interpreter only takes its child down; the engine kills a child's process group
on timeout or cancel, and every child dies with its parent (PR_SET_PDEATHSIG).
"""
import ctypes
import gc
import json
import os
import select
import signal
import sys
import time
import traceback

from . import wire
from .channel import Channel

PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except Exception:
        pass


def _warm_imports():
    """What every batch needs: paid once in the parent, shared by every fork."""
    import pytest  # noqa: F401
    import _pytest.assertion.rewrite  # noqa: F401
    import _pytest.config  # noqa: F401
    import _pytest.fixtures  # noqa: F401
    import _pytest.main  # noqa: F401
    import _pytest.python  # noqa: F401
    import _pytest.runner  # noqa: F401
    import _pytest.terminal  # noqa: F401
    import _pytest.unittest  # noqa: F401
    import unittest  # noqa: F401
    from . import overlays, plugin  # noqa: F401


def _run_child(channel: Channel, command: wire.RunCommand, prepared) -> None:
    os.setpgid(0, 0)  # own process group: the engine kills the whole group on timeout/cancel
    _die_with_parent()
    batch = command.batch
    modules_before = len(sys.modules)  # what this child imports beyond them, the image may hold
    channel.send(wire.child(batch, os.getpid()))
    os.chdir(command.rootdir)
    from . import overlays
    overlays.install(command.overlays)

    if prepared is None:
        # pytest.main imports the conftests again, and they import the project: from its files
        # (or unsaved buffers), not from the modules the worker's prepared session holds.
        _forget_project_modules(command.rootdir)
    cov = None
    if command.coverage:
        import coverage
        cov = coverage.Coverage(data_file=None, config_file=False)
        cov.start()
    if command.debug_port:
        import debugpy
        from . import debug_adapter
        debug_adapter.listen(command.debug_port, batch)
        channel.send(wire.debug_listening(batch, command.debug_port))
        debugpy.wait_for_client()

    ids = list(command.ids)
    from . import batch_scope, precollect
    if not precollect.active():  # its folding would hand pytest folders the collected tree holds whole
        ids = batch_scope.install(ids)
    if prepared is not None:
        prepared.plugin.batch_id = batch
        code = prepared.run_in_child(ids, command.collect_only)
    else:
        import pytest
        from .plugin import StreamingPlugin
        import tempfile
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1):
            os.dup2(devnull, fd)
        # pytest prints a usage error (an unknown option, a bad -p) and an internal error while
        # configuring (a plugin's warning under filterwarnings=error) on stderr: keep it to report.
        stderr_file = tempfile.TemporaryFile()
        os.dup2(stderr_file.fileno(), 2)
        # Keep running the rest of a batch when one module fails to import.
        args = ["-p", "no:cacheprovider", "--continue-on-collection-errors", "--rootdir", command.rootdir]
        if command.inifile:
            args += ["-c", command.inifile]
        args += list(command.pytest_args)
        if command.collect_only:
            args.append("--collect-only")
        code = pytest.main(args + ids, plugins=[StreamingPlugin(channel, batch)])
        if int(code) == int(pytest.ExitCode.USAGE_ERROR):
            stderr_file.seek(0)
            text = stderr_file.read(8192).decode(errors="replace").strip()
            lines = [line for line in text.splitlines() if line.strip()]
            summary = next((line for line in lines if ": error:" in line), lines[0] if lines else "")
            channel.send(wire.batch_error(batch, text or "pytest usage error", summary or "pytest usage error",
                                          usage_error=text or "pytest usage error"))
        elif int(code) == int(pytest.ExitCode.INTERNAL_ERROR):
            text = _internal_error_lines(stderr_file)
            channel.send(wire.batch_error(batch, text, _exception_line(text), internal_error=text))
    if cov is not None:
        cov.stop()
        channel.send(wire.coverage(batch, _coverage_report(cov, command.rootdir)))
    from . import pytest_cov_run
    pytest_cov_run.save_in_batch()
    from . import image
    image.report(modules_before, prepared)


_modules_before_session = frozenset()  # sys.modules before the prepared session imported the project


def _forget_project_modules(rootdir: str) -> None:
    """Drops from sys.modules what the worker imported from the project (the conftests its
    prepared session loaded and what they import), for a batch that runs pytest.main afresh: an
    unsaved buffer of one of them must be read, and a coverage batch imports them again, under
    coverage.py, so their import-time lines (def, class, module code) count as run, as under
    pytest-cov. pytest, the worker and installed packages stay (a venv inside the project too)."""
    root = os.path.realpath(rootdir) + os.sep
    installed = tuple(os.path.realpath(p) + os.sep for p in sys.path
                      if isinstance(p, str) and p.endswith(("site-packages", "dist-packages")))
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None)
        # Only Python source: an extension module may not survive being initialised twice.
        if not path or not path.endswith(".py") or name in _modules_before_session \
                or name.split(".")[0] == "fastest_worker":
            continue
        real = os.path.realpath(path)
        if real.startswith(root) and not real.startswith(installed):
            del sys.modules[name]


def _internal_error_lines(stderr_file, limit: int = 64 * 1024) -> str:
    """pytest's `INTERNALERROR>` lines from the start of its stderr (a test run with -s may
    write much more after them); bounded."""
    stderr_file.seek(0)
    head = stderr_file.read(4 * limit).decode(errors="replace")
    lines = [line for line in head.splitlines() if line.startswith("INTERNALERROR>")]
    text = "\n".join(lines) or "pytest stopped with an internal error (exit 3) and printed no INTERNALERROR lines"
    return text if len(text) <= limit else text[:limit] + "\n[... truncated by fastest]"


def _exception_line(internal_error: str) -> str:
    """The exception's own line of an INTERNALERROR traceback: the first after the last frame."""
    lines = [line[len("INTERNALERROR>"):].removeprefix(" ") for line in internal_error.splitlines()]
    last_frame = max((i for i, line in enumerate(lines) if line.startswith(" ")), default=-1)
    rest = [line for line in lines[last_frame + 1:] if line.strip()]
    return "pytest internal error: " + rest[0] if rest else "pytest internal error"


def _coverage_report(cov, rootdir: str) -> dict:
    files = {}
    data = cov.get_data()
    root = os.path.realpath(rootdir)
    for path in data.measured_files():
        real = os.path.realpath(path)
        if not real.startswith(root + os.sep) or "site-packages" in real:
            continue
        try:
            _, statements, _, missing, _ = cov.analysis2(path)
        except Exception:
            continue
        covered = sorted(set(statements) - set(missing))
        files[real] = {"covered": covered, "missed": sorted(missing)}
    return files


def _run_batch(channel: Channel, command: wire.RunCommand, prepared, image=None) -> None:
    if prepared is not None and prepared.is_stale(command.overlays):
        if image is not None:
            image.close()
        _reexec(command)  # a conftest or the ini file changed on disk: start afresh
    use = prepared
    if prepared is not None and prepared.imports_any(command.overlays):
        use = None  # an unsaved conftest: this batch builds its own config
    if command.coverage:
        # coverage.py counts only what runs after it starts: the conftests the prepared session
        # imported, and the project modules they or the image imported, would show their
        # import-time lines (def, class, module code) as missed. The batch imports them itself.
        use = None
    if image is not None and not command.coverage and image.usable(command, use):
        status = image.run(command)  # forked from the warm project image (image.py)
    else:
        status = _fork_batch(channel, command, use)
    channel.send(wire.batch_done(command.batch, status))
    if image is not None:
        image.after_batch()


def _fork_batch(channel: Channel, command: wire.RunCommand, use) -> int:
    """Runs the batch in a forked child; its status as os.waitpid gives it."""
    batch = command.batch
    pid = os.fork()
    if pid == 0:
        try:
            _run_child(channel, command, use)
        except BaseException:
            try:
                channel.send(wire.batch_error(batch, traceback.format_exc()))
            except BaseException:
                pass
            os._exit(70)
        os._exit(0)
    status = _reap(pid)
    if command.debug_port:
        from . import debug_adapter
        debug_adapter.end_adapters(batch)
    return status


class SpareChild:
    """A batch child forked before its command comes: the fork (~2 ms from a warm image)
    is paid while the process is idle, not while the editor waits. It reads one command from
    its pipe and runs it as a forked child would; at the pipe's end it exits unused."""

    def __init__(self, channel: Channel, prepared):
        read_end, self.write_end = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:
            code = 70
            try:
                os.close(self.write_end)
                code = _run_spare(read_end, channel, prepared)
            finally:
                os._exit(code)
        os.close(read_end)

    def run(self, command: wire.RunCommand) -> int:
        """Hands the child `command`; its status as os.waitpid gives it."""
        data = memoryview((json.dumps(command.encode()) + "\n").encode())
        try:
            while data:
                data = data[os.write(self.write_end, data):]
        except OSError:
            pass  # the child is gone: waitpid says how
        os.close(self.write_end)
        return _reap(self.pid)

    def end(self) -> None:
        os.close(self.write_end)
        _reap(self.pid)


def _run_spare(read_end: int, channel: Channel, prepared) -> int:
    """In a spare child: waits for its command and runs it; the exit code."""
    data = b""
    while not data.endswith(b"\n"):
        chunk = os.read(read_end, 1 << 16)
        if not chunk:
            return 0  # not needed
        data += chunk
    command = wire.RunCommand.decode(json.loads(data))
    try:
        _run_child(channel, command, prepared)
    except BaseException:
        try:
            channel.send(wire.batch_error(command.batch, traceback.format_exc()))
        except BaseException:
            pass
        return 70
    return 0


def _reap(pid: int) -> int:
    _, status = os.waitpid(pid, 0)
    # What the batch started and left running (a test's forked child) ends with it; a process
    # that left the group (setsid) escapes, as it would under pytest.
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass
    return status


def _reexec(pending: wire.RunCommand) -> None:
    os.environ["FASTEST_PENDING_COMMAND"] = json.dumps(pending.encode())
    os.execv(sys.executable, [sys.executable, "-u", "-m", "fastest_worker"])


def _prepare(channel: Channel):
    """The prepared session, or None (then each batch runs pytest.main) with the reason."""
    if os.environ.get("FASTEST_NO_PREPARE"):
        return None, "disabled by FASTEST_NO_PREPARE"
    rootdir = os.environ.get("FASTEST_ROOTDIR")
    if not rootdir:
        return None, "no rootdir given"
    try:
        from .plugin import StreamingPlugin
        from .session import PreparedSession
        os.chdir(rootdir)
        plugin = StreamingPlugin(channel, None)
        args = json.loads(os.environ.get("FASTEST_PYTEST_ARGS") or "[]")
        global _modules_before_session
        _modules_before_session = frozenset(sys.modules)
        return PreparedSession(rootdir, os.environ.get("FASTEST_INIFILE") or None, args, plugin), ""
    except BaseException:
        return None, traceback.format_exc(limit=5)


def _start(send_fatal):
    """Imports pytest and prepares the session once; (prepared, ready event) or None."""
    started = time.perf_counter()
    from . import pytest_cov_run
    pytest_cov_run.start_in_worker()  # `fastest run --cov`: trace from before pytest's imports
    try:
        _warm_imports()
    except ImportError as error:
        send_fatal(f"pytest is not importable by {sys.executable} ({error}). "
                   f"Install it with: {sys.executable} -m pip install pytest")
        return None
    import pytest
    try:
        from . import rewrite_cache
        rewrite_cache.install(os.environ.get("FASTEST_CACHE_DIR", ""))
    except Exception:
        pass  # a pytest whose private rewrite API differs: it simply rewrites every time
    return started, pytest


def _ready_event(started, pytest, prepared, why) -> dict:
    return wire.ready(os.getpid(), pytest.__version__, sys.version.split()[0], time.perf_counter() - started,
                      prepared is not None, why)


def _serve_commands(channel: Channel, prepared) -> int:
    """Runs each command until the engine closes the pipe."""
    from . import image as project_image
    image = project_image.ProjectImage(channel, prepared, _fork_batch) if project_image.enabled() else None
    while True:
        _wait_for_command(channel, image)
        command = channel.read_command()
        if command is None:
            if image is not None:
                image.close()
            return 0
        try:
            run = wire.RunCommand.decode(command)
        except ValueError as error:
            _refuse(channel, command, error)
            continue
        _run_batch(channel, run, prepared, image)


def _wait_for_command(channel: Channel, image) -> None:
    """Between batches, takes in what the image being built says (it may need building again)."""
    while image is not None and image.wait_fd() is not None and not channel.has_command():
        readable, _, _ = select.select([channel.fileno(), image.wait_fd()], [], [])
        if channel.fileno() in readable:
            return
        image.poll()


def _refuse(channel: Channel, command, error: ValueError) -> None:
    """A command this worker cannot read: its batch (if it has one) ends with the reason, so the
    engine reports its tests instead of waiting for them."""
    batch = command.get("batch") if isinstance(command, dict) else None
    if isinstance(batch, int):
        channel.send(wire.batch_error(batch, f"the worker could not read its command: {error}", "worker protocol error"))
        channel.send(wire.batch_done(batch, 70 << 8))  # as os.waitpid reports an exit status of 70
    else:
        print(f"fastest worker: ignored a command: {error}", file=sys.stderr)


def serve(command_fd: int, event_fd: int) -> int:
    _die_with_parent()
    # pytest's terminal output is never read: keep the worker's stdout out of the way.
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 1)
    channel = Channel(command_fd, event_fd)
    started = _start(lambda message: channel.send(wire.fatal(message)))
    if started is None:
        return 3
    prepared, why = _prepare(channel)
    gc.freeze()  # fork children share the parent's objects without copying them
    ready = _ready_event(*started, prepared, why)
    pending = os.environ.pop("FASTEST_PENDING_COMMAND", None)
    if pending:
        _run_batch(channel, wire.RunCommand.decode(json.loads(pending)), prepared)
    else:
        channel.send(ready)
    return _serve_commands(channel, prepared)


def serve_pool(fds) -> int:
    """Starts several workers for the price of one: imports pytest and prepares the session
    once, then forks one worker per (command, event, stderr) fd triple. Each worker dies with
    this process, which runs no test code and only reaps them; it dies with the engine."""
    _die_with_parent()
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 1)

    def send_fatal(message):
        line = (json.dumps(wire.fatal(message)) + "\n").encode()
        for _, event_fd, _ in fds:
            try:
                os.write(event_fd, line)
            except OSError:
                pass

    started = _start(send_fatal)
    if started is None:
        return 3
    # The plugin's channel is set in each worker (its own pipes) before any batch runs.
    prepared, why = _prepare(None)
    gc.freeze()
    pool = os.getpid()
    for index, (command_fd, event_fd, stderr_fd) in enumerate(fds):
        if os.fork() == 0:
            try:
                os.setpgid(0, 0)  # the engine kills a worker by its group
                _die_with_parent()
                if os.getppid() != pool:
                    os._exit(111)
                for other, triple in enumerate(fds):
                    if other != index:
                        for fd in triple:
                            os.close(fd)
                os.dup2(stderr_fd, 2)
                # What a re-executed worker (a conftest changed) reads to find its pipes.
                os.environ["FASTEST_COMMAND_FD"] = str(command_fd)
                os.environ["FASTEST_EVENT_FD"] = str(event_fd)
                os.environ.pop("FASTEST_POOL_FDS", None)
                channel = Channel(command_fd, event_fd)
                if prepared is not None:
                    prepared.plugin.channel = channel
                channel.send(_ready_event(*started, prepared, why))
                code = _serve_commands(channel, prepared)
            except BaseException:
                traceback.print_exc()
                code = 70
            os._exit(code)
    for triple in fds:
        for fd in triple:
            os.close(fd)
    os.dup2(devnull, 2)  # the first worker's stderr: its pipe goes away when that worker is replaced
    while True:
        try:
            os.wait()
        except ChildProcessError:
            return 0
        except InterruptedError:
            continue
