"""A pytest session prepared once in the fork-server parent and finished in each child.

pytest.main() spends most of a small run building the config (plugins, ini, initial
conftests) and starting the session (the fixture manager parses every plugin's fixtures).
The parent does both once; a child only collects, runs and finishes — measured on a 2-core
machine, one trivial test: ~180 ms with pytest.main per fork, ~50 ms with a prepared config,
~15 ms with the session prepared too (docs/execution.md has the figures).

What the parent imported (conftest.py files, the ini file) is watched: when one changes, the
worker re-executes itself so the next batch sees the new code.
"""
import os
import sys

from _pytest.config import ExitCode, UsageError, _prepareconfig
from _pytest.main import Session
from _pytest.outcomes import Exit

from . import wire


def _own_capture_files(config) -> None:
    """pytest's output capture (started while the parent prepared the session) writes to temp
    files the parent opened; every forked child shares them (one open file, one offset), so two
    workers running at once would read each other's output into their tests' reports. The
    child stops using them (restoring its fds, closing only its own descriptors) and opens its
    own, left suspended as the parent left them."""
    capman = config.pluginmanager.getplugin("capturemanager")
    shared = getattr(capman, "_global_capturing", None)
    if shared is None:
        return
    try:
        shared.stop_capturing()
    except Exception:
        pass
    capman._global_capturing = None
    capman.start_global_capturing()
    capman.suspend_global_capture()


def _internal_error_text(config) -> str:
    """What pytest's Config.notify_exception prints for the exception being handled."""
    from _pytest._code import ExceptionInfo
    excinfo = ExceptionInfo.from_current()
    style = "long" if getattr(config.option, "fulltrace", False) else "native"
    excrepr = excinfo.getrepr(funcargs=True, showlocals=getattr(config.option, "showlocals", False), style=style)
    return "\n".join(f"INTERNALERROR> {line}" for line in str(excrepr).split("\n"))


class PreparedSession:
    def __init__(self, rootdir: str, inifile, pytest_args, plugin):
        args = ["-p", "no:cacheprovider", "--continue-on-collection-errors", "--rootdir", rootdir]
        if inifile:
            args += ["-c", inifile]
        args += list(pytest_args or [])
        self.plugin = plugin
        self.config = _prepareconfig(args + [rootdir], plugins=[plugin])
        self.config._do_configure()
        self.session = Session.from_config(self.config)
        self.session.exitstatus = ExitCode.OK
        self.config.hook.pytest_sessionstart(session=self.session)
        self.watched = self._watched_files()

    def _watched_files(self) -> dict:
        """The ini file, the conftests, and every project file they imported (a conftest's
        `from app import settings`): a change to any of them makes the worker start afresh."""
        from .imported_files import imported_files
        files = {}
        paths = [str(self.config.inipath)] if self.config.inipath else []
        for plugin in self.config.pluginmanager.get_plugins():
            path = getattr(plugin, "__file__", None)
            if path and os.path.basename(path) == "conftest.py":
                paths.append(path)
        paths += imported_files(str(self.config.rootpath))
        for path in paths:
            try:
                files[path] = os.stat(path).st_mtime_ns
            except OSError:
                files[path] = None
        return files

    def is_stale(self, overlays: dict) -> bool:
        for path, mtime in self.watched.items():
            try:
                now = os.stat(path).st_mtime_ns
            except OSError:
                now = None
            if now != mtime:
                return True
        return False

    def imports_any(self, overlays: dict) -> bool:
        """True when an unsaved buffer is a file the parent already imported (a conftest, or a
        project module a conftest imports)."""
        if not overlays:
            return False
        paths = {os.path.realpath(p) for p in overlays}
        return any(os.path.realpath(p) in paths for p in self.watched)

    def run_in_child(self, ids, collect_only: bool) -> int:
        """Collect `ids`, run them and finish the session, as wrap_session would."""
        config, session = self.config, self.session
        _own_capture_files(config)
        config.args = list(ids)
        config.option.collectonly = bool(collect_only)
        self.plugin.send_config_warnings()
        try:
            config.hook.pytest_collection(session=session)
            config.hook.pytest_runtestloop(session=session)
            if session.testsfailed:
                session.exitstatus = ExitCode.TESTS_FAILED
            elif session.testscollected == 0:
                session.exitstatus = ExitCode.NO_TESTS_COLLECTED
        except (KeyboardInterrupt, Exit) as error:
            # As wrap_session: a test raising KeyboardInterrupt or calling pytest.exit() ends the
            # session; pytest_keyboard_interrupt tells the terminal (and the streaming plugin).
            from _pytest._code import ExceptionInfo
            session.exitstatus = ExitCode.INTERRUPTED
            if isinstance(error, Exit) and error.returncode is not None:
                session.exitstatus = error.returncode
            config.hook.pytest_keyboard_interrupt(excinfo=ExceptionInfo.from_current())
        except Exception as error:  # pytest's own Interrupted/Failed/UsageError and plugin errors
            if isinstance(error, session.Interrupted):
                session.exitstatus = ExitCode.INTERRUPTED
            elif isinstance(error, session.Failed):
                session.exitstatus = ExitCode.TESTS_FAILED
            elif isinstance(error, UsageError):  # e.g. "not found: <id>": pytest runs nothing then
                session.exitstatus = ExitCode.USAGE_ERROR
                message = "ERROR: " + "\n".join(str(arg) for arg in error.args)
                self.plugin.channel.send(wire.batch_error(
                    self.plugin.batch_id, message, message.splitlines()[0],
                    usage_error="\n".join(str(arg) for arg in error.args), after_collection=True))
            else:  # a hook or plugin raised: pytest's INTERNALERROR, exit 3
                session.exitstatus = ExitCode.INTERNAL_ERROR
                text = _internal_error_text(config)
                self.plugin.channel.send(wire.batch_error(self.plugin.batch_id, text, "pytest internal error",
                                                          internal_error=text))
        finally:
            try:
                config.hook.pytest_sessionfinish(session=session, exitstatus=session.exitstatus)
            finally:
                config._ensure_unconfigure()
        return int(session.exitstatus)
