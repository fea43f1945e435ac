"""The pytest plugin loaded into each batch: one event per test as it starts and as it ends."""
import os
import pathlib
import time

import pytest

from . import wire
from .imported_files import imported_files

OUTPUT_LIMIT = int(os.environ.get("FASTEST_OUTPUT_LIMIT", 64 * 1024))
# -rP / -rX: pytest's PASSES and XPASSES sections show passed tests' captured sections too.
REPORT_PASSES = bool(os.environ.get("FASTEST_REPORT_PASSES"))
# --durations: each phase's own duration (pytest lists setup, call and teardown apart).
REPORT_PHASES = bool(os.environ.get("FASTEST_REPORT_PHASES"))


def _crash_message(report) -> str:
    """The reason pytest's short test summary shows after `ERROR path - ` (none for CollectError)."""
    crash = getattr(report.longrepr, "reprcrash", None)
    return _bounded(getattr(crash, "message", "") or "")


def _bounded(text: str) -> str:
    if text is None:
        return ""
    if len(text) <= OUTPUT_LIMIT:
        return text
    head = text[: OUTPUT_LIMIT // 2]
    tail = text[-OUTPUT_LIMIT // 2 :]
    return f"{head}\n[... fastest: {len(text) - len(head) - len(tail)} characters of output truncated ...]\n{tail}"


def _shown_sections(config, sections):
    """The captured sections pytest's terminal shows for a report (`--show-capture`)."""
    showcapture = getattr(config.option, "showcapture", "all")
    if showcapture == "no":
        return []
    return [(name, text) for name, text in sections if showcapture == "all" or showcapture in name]


def _collect_error_text(config, report) -> str:
    """pytest's ERRORS entry for a module that failed to collect: the longrepr, then the captured
    output of its import (a `print` or a warning written to stderr before the error), each under
    a `---- Captured stderr ----` line of the width fastest's terminal output has (80)."""
    lines = [str(report.longrepr)]
    for name, text in _shown_sections(config, report.sections):
        fill = max((80 - len(name) - 2) // 2, 1)
        rule = "-" * fill + " " + name + " " + "-" * fill
        if len(rule) + 1 <= 80:
            rule += "-"
        lines += [rule, text[:-1] if text.endswith("\n") else text]
    return "\n".join(lines)


def _failing_line(report, test_path):
    """The line in the test's own file where it failed (the deepest frame in that file)."""
    longrepr = report.longrepr
    entries = getattr(getattr(longrepr, "reprtraceback", None), "reprentries", None) or []
    found = None
    for entry in entries:
        loc = getattr(entry, "reprfileloc", None)
        if loc is None:
            continue
        path = os.path.abspath(loc.path) if not os.path.isabs(loc.path) else loc.path
        if test_path and os.path.realpath(path) == os.path.realpath(test_path):
            found = (path, loc.lineno)
    if found is None:
        crash = getattr(longrepr, "reprcrash", None)
        if crash is not None:
            found = (crash.path, crash.lineno)
    return found


def _message(report):
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None:
        return crash.message
    if isinstance(report.longrepr, tuple) and len(report.longrepr) == 3:
        return str(report.longrepr[2])
    return str(report.longrepr or "")


def _skip_place(report) -> dict:
    """Where pytest's short test summary says a test was skipped (its `_folded_skips` key): a
    skip mark that is not a module's pytestmark is folded per file, with no line."""
    path, line, _ = report.longrepr
    keywords = getattr(report, "keywords", {})
    per_file = report.when == "setup" and "skip" in keywords and "pytestmark" not in keywords
    return {"path": str(path), "line": line if isinstance(line, int) else None, "per_file": per_file}


def _leading_blank(longrepr) -> str:
    """What str(longrepr) strips from the front of what pytest's terminal shows (a blank line
    and the first source line's indentation), so the FAILURES section reads the same."""
    if not hasattr(longrepr, "toterminal"):
        return ""
    try:
        import io
        from _pytest._io import TerminalWriter
        out = io.StringIO()
        writer = TerminalWriter(file=out)
        writer.hasmarkup = False
        longrepr.toterminal(writer)
        full = out.getvalue()
        return full[: len(full) - len(full.lstrip())]
    except Exception:
        return ""


def _is_subtest(report) -> bool:
    """A subtest's report (pytest >= 9 `subtests`, or the pytest-subtests plugin)."""
    return type(report).__name__ in ("SubtestReport", "SubTestReport")


def _subtest_event(report) -> dict:
    """A failed or skipped subtest, as pytest reports it (its own FAILURES section and JUnit element)."""
    describe = getattr(report, "_sub_test_description", None)
    message, longrepr = _message(report), str(report.longrepr or "")
    if report.skipped and isinstance(report.longrepr, tuple):
        path, line, reason = report.longrepr
        message = str(reason)
        message = message[len("Skipped: "):] if message.startswith("Skipped: ") else message
        longrepr = f"{path}:{line}: {message}"
    return {"outcome": "failed" if report.failed else "skipped",
            "description": describe() if callable(describe) else "",
            "message": _bounded(message), "longrepr": _bounded(longrepr)}


class StreamingPlugin:
    """Registered once per session; `batch_id` is set in each forked child before it runs."""

    def __init__(self, channel, batch_id):
        self.channel = channel
        self.batch_id = batch_id
        self.current = {}
        self.comparison = None
        self.session = None
        self.config = None
        self.uncollectable = []  # rootdir-relative paths of collectors that failed or skipped
        self.config_warnings = []  # recorded before any batch (see pytest_warning_recorded)

    def pytest_addoption(self, parser):
        """Workers run without pytest's cacheprovider (the parent keeps .pytest_cache, see
        server/execution/pytest_cache.h), whose ini option `cache_dir` must stay known: else a
        project setting it gets "Unknown config option" (a usage error under strict_config)."""
        if "cache_dir" not in getattr(parser, "_inidict", {}):
            parser.addini("cache_dir", default=".pytest_cache", help="Cache directory path (kept by fastest)")

    @pytest.hookimpl(tryfirst=True)
    def pytest_configure(self, config):
        self.config = config
        from . import cache_fixture
        cache_fixture.install(config)

    # --- collection ---------------------------------------------------------------------
    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session):
        self.channel.send(wire.collected(self.batch_id, [item.nodeid for item in session.items]))
        if session.config.option.collectonly:  # a settle step: what its answer depends on
            self.channel.send(wire.imported_files(self.batch_id, imported_files(str(session.config.rootpath))))

    def pytest_deselected(self, items):
        # Settling counts what pytest's -k/-m/--deselect (or a plugin) removed.
        self.channel.send(wire.deselected(self.batch_id, [item.nodeid for item in items]))

    @pytest.hookimpl(tryfirst=True)
    def pytest_collectstart(self, collector):
        if isinstance(collector, pytest.Session):
            self.session = collector
            self.uncollectable = []

    def pytest_collectreport(self, report):
        if report.nodeid and (report.failed or report.skipped):
            path = report.nodeid.split("::")[0]
            self.uncollectable.append(path[:-len("__init__.py")] if path.endswith("__init__.py") else path)
        self._forgive_node_ids_in_uncollectable_modules()
        if report.skipped and isinstance(report.longrepr, tuple) and len(report.longrepr) == 3:
            # A module skipped at import (pytest.skip(allow_module_level=True), importorskip):
            # pytest's short test summary lists it as SKIPPED path:line: reason.
            path, line, reason = report.longrepr
            self.channel.send(wire.collect_skip(self.batch_id, report.nodeid, str(path), line, _bounded(str(reason))))
        if report.failed:
            self.channel.send(wire.collect_error(self.batch_id, report.nodeid,
                                                 _bounded(_collect_error_text(self.config, report)),
                                                 _crash_message(report)))

    def _forgive_node_ids_in_uncollectable_modules(self):
        """A batch mixes node ids of several modules. When one module fails to import (or skips
        itself), pytest reports that module's error, then also stops the whole session with
        "found no collectors for <its node id>" — which would lose every other module's tests.
        The module's own report is what a full run shows; the node ids it swallowed are
        dropped from pytest's not-found list (pytest checks it after the session's own
        CollectReport, the last one of the collection)."""
        notfound = getattr(self.session, "_notfound", None)
        if not notfound or not self.uncollectable:
            return
        root = self.session.config.rootpath
        gone = [root / path for path in self.uncollectable]

        def swallowed(arg):
            path = pathlib.Path(str(arg).split("::")[0])
            return any(path == g or g in path.parents for g in gone)

        notfound[:] = [entry for entry in notfound if not swallowed(entry[0])]

    def pytest_warning_recorded(self, warning_message, when, nodeid, location):
        # pytest's warnings summary: the message as pytest formats it, under its location (the
        # test's id, or path:line for a warning raised while collecting or configuring).
        try:
            from _pytest.terminal import WarningReport
            from _pytest.warnings import warning_record_to_str
            message = warning_record_to_str(warning_message)
            # As pytest's terminal reporter: the place is the warning's own file and line.
            report = WarningReport(message=message, nodeid=nodeid,
                                   fslocation=(warning_message.filename, warning_message.lineno))
            if self.session:
                where = report.get_location(self.session.config)
            else:  # configuring (a plugin warned as it loaded): as get_location, from the rootdir
                from _pytest.pathlib import absolutepath, bestrelpath
                where = nodeid or (f"{bestrelpath(pathlib.Path.cwd(), absolutepath(warning_message.filename))}:"
                                   f"{warning_message.lineno}")
        except Exception:  # a pytest whose private helpers differ: plain text still helps
            message, where = str(warning_message.message), nodeid
        if self.batch_id is None:
            # Recorded while the worker prepared its session (a plugin warned as it loaded): no
            # batch to report it yet, and a pool's prepared plugin has no channel. Each batch
            # reports it (send_config_warnings); the CLI shows it once, as pytest does.
            self.config_warnings.append((where or "", _bounded(message)))
            return
        self.channel.send(wire.warning(self.batch_id, where or "", _bounded(message)))

    def send_config_warnings(self):
        for location, message in self.config_warnings:
            self.channel.send(wire.warning(self.batch_id, location, message))

    # --- running --------------------------------------------------------------------------
    def pytest_runtest_logstart(self, nodeid, location):
        self.current[nodeid] = {"phases": {}, "start": time.perf_counter()}
        self.comparison = None
        self.channel.send(wire.start(self.batch_id, nodeid))

    def pytest_assertrepr_compare(self, config, op, left, right):
        if op == "==" and self.comparison is None:
            try:
                self.comparison = {"expected": _bounded(repr(right)), "actual": _bounded(repr(left))}
            except Exception:
                self.comparison = None
        return None

    def pytest_runtest_logreport(self, report):
        state = self.current.setdefault(report.nodeid, {"phases": {}, "start": time.perf_counter()})
        if _is_subtest(report):
            state.setdefault("subtests", []).append(report)
            return
        state["phases"][report.when] = report
        if report.when == "call" and report.failed and self.comparison:
            state["comparison"] = self.comparison

    def pytest_runtest_logfinish(self, nodeid, location):
        state = self.current.pop(nodeid, None)
        if state is None:
            return
        phases = state["phases"]
        setup, call, teardown = phases.get("setup"), phases.get("call"), phases.get("teardown")
        outcome, decisive = "passed", call or setup
        if setup is not None and setup.failed:
            outcome, decisive = "errored", setup
        elif setup is not None and setup.skipped:
            outcome = "xfailed" if hasattr(setup, "wasxfail") else "skipped"
            decisive = setup
        elif call is not None:
            if hasattr(call, "wasxfail"):
                outcome = "xfailed" if call.skipped else "xpassed"
                if call.failed:  # strict xpass
                    outcome = "failed"
            elif call.failed:
                outcome = "failed"
            elif call.skipped:
                outcome = "skipped"
        if outcome in ("passed", "xpassed", "skipped", "xfailed") and teardown is not None and teardown.failed:
            outcome, decisive = "errored", teardown
        # pytest counts each failed subtest as "failed" beside the test's own report, which stays
        # "passed" for a unittest subTest; the exit code and fastest's verdict call the test failed.
        subtests = [r for r in state.get("subtests", ()) if r.failed or r.skipped]
        failed_subtests = [r for r in subtests if r.failed]
        counted_as = outcome
        if failed_subtests and outcome in ("passed", "xpassed", "skipped"):
            outcome, decisive = "failed", failed_subtests[0]
        duration = sum(r.duration for r in phases.values())
        event = {}  # the result's optional fields (wire.RESULT_FIELDS)
        if REPORT_PHASES:
            event["phases"] = [[when, report.duration] for when, report in phases.items()]
        if subtests:
            event["subtests"] = [_subtest_event(r) for r in subtests]
        passed_subtests = sum(1 for r in state.get("subtests", ()) if r.passed)
        if passed_subtests:
            event["subtests_passed"] = passed_subtests  # pytest's "N subtests passed" (when verbose)
        if counted_as != outcome:
            event["counted_as"] = counted_as
        if decisive is not None and (decisive.failed or decisive.skipped or hasattr(decisive, "wasxfail")):
            event["message"] = _bounded(_message(decisive)) if decisive.longrepr else getattr(decisive, "wasxfail", "")
            if decisive.failed:
                event["longrepr"] = _bounded(str(decisive.longrepr))
                lead = _leading_blank(decisive.longrepr)
                if lead:
                    event["longrepr_lead"] = lead
                crash = getattr(decisive.longrepr, "reprcrash", None)
                if crash is not None:
                    event["crash_line"] = _bounded(str(crash))  # what --tb=line shows after it
                if outcome == "errored":
                    event["when"] = decisive.when  # JUnit: "failed on setup with ..."
                test_path = str(location[0]) if location else None
                if test_path and not os.path.isabs(test_path):
                    test_path = os.path.join(str(self.rootdir), test_path)
                line = _failing_line(decisive, test_path)
                if line:
                    event["location"] = {"path": str(line[0]), "line": int(line[1])}
            elif decisive.skipped and isinstance(decisive.longrepr, tuple):
                event["message"] = str(decisive.longrepr[2])
                if outcome == "skipped":
                    event["skip_place"] = _skip_place(decisive)
        if outcome in ("xfailed", "xpassed") and decisive is not None:
            event["xfail_reason"] = str(getattr(decisive, "wasxfail", "") or "")
        if decisive is not None and decisive.failed:
            # pytest's FAILURES / ERRORS entry shows the report's captured sections, and for a
            # failed test the teardown's own sections after them.
            sections = list(decisive.sections)
            if outcome == "failed" and teardown is not None and teardown is not decisive:
                sections += [(name, text) for name, text in teardown.sections if "teardown" in name]
            sections = _shown_sections(self.config, sections)
            if sections:
                event["sections"] = [[name, _bounded(text)] for name, text in sections]
        elif REPORT_PASSES and call is not None and counted_as in ("passed", "xpassed"):
            sections = list(call.sections)
            if teardown is not None:
                sections += [(name, text) for name, text in teardown.sections if "teardown" in name]
            sections = _shown_sections(self.config, sections)
            if sections:
                event["sections"] = [[name, _bounded(text)] for name, text in sections]
        if "comparison" in state and outcome == "failed":
            event.update(state["comparison"])
        # Each phase's report carries the sections of the phases before it too: the last has them all.
        last = teardown or call or setup
        event["stdout"] = _bounded(last.capstdout if last is not None else "")
        event["stderr"] = _bounded(last.capstderr if last is not None else "")
        self.channel.send(wire.result(self.batch_id, nodeid, outcome, duration, **event))

    def pytest_keyboard_interrupt(self, excinfo):
        """A test raised KeyboardInterrupt or called pytest.exit(): pytest ends the session. What its
        terminal shows (the `!!! message !!!` banner, the crash line or, with --full-trace, the
        whole traceback) and the test that was running (started, never finished)."""
        running = next(reversed(self.current), "")
        fields = {}
        try:
            excrepr = excinfo.getrepr(funcargs=True)
            crash = excrepr.reprcrash
            fields.update(message=_bounded(crash.message if crash else excinfo.exconly()),
                          crash_line=_bounded(str(crash) if crash else ""), longrepr=_bounded(str(excrepr)))
            if crash is not None:
                fields["location"] = {"path": str(crash.path), "line": int(crash.lineno)}
            config = self.session.config if self.session else None
            fields["full_trace"] = bool(config and getattr(config.option, "fulltrace", False))
            fields["returncode"] = getattr(excinfo.value, "returncode", None)  # pytest.exit(returncode=N)
        except Exception:  # a repr that fails must not lose the event
            fields.setdefault("message", _bounded(excinfo.exconly()))
        self.channel.send(wire.interrupted(self.batch_id, running, **fields))

    rootdir = "."

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session):
        self.rootdir = str(session.config.rootpath)
