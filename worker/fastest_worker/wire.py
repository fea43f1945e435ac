"""The worker wire, Python side: the one command the engine sends and every event a worker
sends back. The C++ side is server/execution/worker_wire.{h,cpp}; both carry PROTOCOL_VERSION,
announced in `ready` (the engine refuses a worker of another version). docs/execution.md,
"The worker wire", lists each message.

Events are built only here, so a field cannot be misspelt at a call site and go unread.
"""
from dataclasses import asdict, dataclass, field

PROTOCOL_VERSION = 1

OUTCOMES = frozenset({"passed", "failed", "skipped", "xfailed", "xpassed", "errored"})


# --- the command (engine -> worker) -----------------------------------------------------------
@dataclass(frozen=True)
class RunCommand:
    batch: int
    rootdir: str
    ids: list = field(default_factory=list)
    pytest_args: list = field(default_factory=list)
    overlays: dict = field(default_factory=dict)
    inifile: str = ""
    collect_only: bool = False
    coverage: bool = False
    debug_port: int = 0

    def encode(self) -> dict:
        return {"cmd": "run", **asdict(self)}

    @staticmethod
    def decode(command: dict) -> "RunCommand":
        """A `run` command as the engine encodes it; ValueError for anything else."""
        if not isinstance(command, dict) or command.get("cmd") != "run":
            raise ValueError(f"not a run command: {command!r:.200}")
        batch, rootdir = command.get("batch"), command.get("rootdir")
        if not isinstance(batch, int) or not isinstance(rootdir, str):
            raise ValueError("a run command needs an int batch and a str rootdir")

        def typed(name, kind, default):
            value = command.get(name, default)
            if not isinstance(value, kind):
                raise ValueError(f"run command field {name!r} is {type(value).__name__}, not {kind.__name__}")
            return value

        return RunCommand(batch=batch, rootdir=rootdir, ids=list(typed("ids", list, [])),
                          pytest_args=list(typed("pytest_args", list, [])),
                          overlays=dict(typed("overlays", dict, {})), inifile=typed("inifile", str, ""),
                          collect_only=typed("collect_only", bool, False), coverage=typed("coverage", bool, False),
                          debug_port=typed("debug_port", int, 0))


# --- events (worker -> engine) ----------------------------------------------------------------
def ready(pid, pytest_version, python_version, warmup, prepared, not_prepared_because=""):
    event = {"event": "ready", "protocol": PROTOCOL_VERSION, "pid": pid, "pytest": pytest_version,
             "python": python_version, "warmup": warmup, "prepared": prepared}
    if not_prepared_because:
        event["not_prepared_because"] = not_prepared_because
    return event


def fatal(message):
    return {"event": "fatal", "message": message}


def image(state, message):
    """The worker's project image (worker/fastest_worker/image.py): "ready", "dropped",
    "unsafe" (a module left out), "failed", and of its collected process (collected.py)
    "collected" and "uncollected" (a test module left out); for the engine's log."""
    return {"event": "image", "state": state, "message": message}


def child(batch, pid):
    return {"event": "child", "batch": batch, "pid": pid}


def start(batch, test_id):
    return {"event": "start", "batch": batch, "id": test_id}


# What a `result` may carry beside id, outcome and duration (see TestResult in engine.h).
RESULT_FIELDS = frozenset({
    "message", "longrepr", "longrepr_lead", "crash_line", "when", "location", "skip_place", "xfail_reason",
    "expected", "actual", "phases", "subtests", "subtests_passed", "counted_as", "sections", "stdout", "stderr",
})


def result(batch, test_id, outcome, duration, **fields):
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}")
    unknown = fields.keys() - RESULT_FIELDS
    if unknown:
        raise ValueError(f"result fields the engine does not read: {sorted(unknown)}")
    return {"event": "result", "batch": batch, "id": test_id, "outcome": outcome, "duration": duration, **fields}


def collected(batch, ids):
    return {"event": "collected", "batch": batch, "ids": list(ids)}


def imported_files(batch, files):
    """A collect-only batch's project files that pytest imported (absolute paths): what a
    settled answer depends on (the settled cache re-checks them)."""
    return {"event": "imported_files", "batch": batch, "files": list(files)}


def deselected(batch, ids):
    return {"event": "deselected", "batch": batch, "ids": list(ids)}


def collect_skip(batch, collector_id, path, line, reason):
    return {"event": "collect_skip", "batch": batch, "id": collector_id, "path": path,
            "line": line if isinstance(line, int) else None, "reason": reason}


def collect_error(batch, collector_id, longrepr, crash):
    return {"event": "collect_error", "batch": batch, "id": collector_id, "longrepr": longrepr, "crash": crash}


def warning(batch, location, message):
    return {"event": "warning", "batch": batch, "location": location, "message": message}


def coverage(batch, files):
    """files: {absolute path: {"covered": [lines], "missed": [lines]}}"""
    return {"event": "coverage", "batch": batch, "files": files}


def debug_listening(batch, port):
    return {"event": "debug_listening", "batch": batch, "port": port}


def batch_error(batch, message, summary="", usage_error=None, after_collection=False, internal_error=None):
    event = {"event": "batch_error", "batch": batch, "message": message}
    if summary:
        event["summary"] = summary
    if usage_error is not None:
        event["usage_error"] = usage_error
        if after_collection:
            event["after_collection"] = True
    if internal_error is not None:
        event["internal_error"] = internal_error
    return event


def interrupted(batch, test_id, message, crash_line="", longrepr="", location=None, full_trace=False,
                returncode=None):
    event = {"event": "interrupted", "batch": batch, "id": test_id, "message": message, "crash_line": crash_line,
             "longrepr": longrepr, "full_trace": full_trace}
    if location is not None:
        event["location"] = location
    if isinstance(returncode, int):
        event["returncode"] = returncode
    return event


def batch_done(batch, status):
    """The batch's child ended; `status` as os.waitpid gives it."""
    import os
    event = {"event": "batch_done", "batch": batch}
    if os.WIFSIGNALED(status):
        event["signal"] = os.WTERMSIG(status)
    else:
        event["exit"] = os.WEXITSTATUS(status)
    return event
