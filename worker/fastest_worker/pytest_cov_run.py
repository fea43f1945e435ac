"""pytest-cov's `--cov` for a run spread over workers, with pytest-cov's own classes.

`python -m fastest_worker.pytest_cov_run prepare|finish [pytest --cov options]`:
- `prepare`, before the run: pytest configures itself with the options, so pytest-cov starts its
  Central controller as in a plain `pytest --cov` run (erasing old data unless --cov-append), and
  prints what the workers need as JSON: the data file, source, branch, config file.
- the workers (FASTEST_COV set to that JSON) trace with coverage from before the session is
  prepared (so conftest imports count, as with pytest-cov), and each batch saves its own data
  file (`data_suffix`: coverage names a forked child's file after its pid).
- `finish`, after the run: pytest-cov's controller (with --cov-append, keeping the batches' data)
  combines every file, and its report (`tests coverage`, the table, --cov-report files,
  --cov-fail-under) is printed; exit 1 when fail-under is not reached.
The workers' pytest never sees the --cov options: pytest-cov stays inert there.
"""
import json
import os
import sys

_batch_cov = None


def start_in_worker():
    """In a worker, before pytest prepares its session: trace when the run asked for --cov."""
    global _batch_cov
    spec = os.environ.get("FASTEST_COV")
    if not spec:
        return
    import coverage
    spec = json.loads(spec)
    _batch_cov = coverage.Coverage(data_file=spec["data_file"], data_suffix=True, source=spec["source"],
                                   branch=spec["branch"] or None, config_file=spec["config_file"])
    _batch_cov.start()


def save_in_batch():
    """In a batch's child, at its end: its own data file (parent's import-time lines included)."""
    if _batch_cov is not None:
        _batch_cov.stop()
        _batch_cov.save()


def _configure(args):
    from _pytest.config import _prepareconfig
    config = _prepareconfig(["-p", "no:cacheprovider", *args])
    return config, config.pluginmanager.get_plugin("_cov")


class _Terminal:
    """What pytest-cov's pytest_terminal_summary writes through (pytest's terminal reporter)."""

    def __init__(self):
        from _pytest._io import TerminalWriter
        self._tw = TerminalWriter(sys.stdout)

    def write_sep(self, sep, title, **markup):
        self._tw.sep(sep, title)

    def write(self, text, **markup):
        self._tw.write(text)


def prepare(args) -> int:
    config, plugin = _configure(args)
    try:
        if plugin is None or plugin.cov_controller is None:
            print(json.dumps({"active": False}))
            return 0
        cov = plugin.cov_controller.cov
        cov.stop()
        # The workers run in the rootdir: paths are made absolute here, in the invocation's folder.
        source = plugin.options.cov_source
        if source is not None:
            source = [os.path.abspath(s) if os.path.exists(s) else s for s in source]
        config_file = plugin.options.cov_config
        if isinstance(config_file, str) and os.path.exists(config_file):
            config_file = os.path.abspath(config_file)
        print(json.dumps({"active": True, "data_file": os.path.abspath(cov.config.data_file), "source": source,
                          "branch": bool(plugin.options.cov_branch), "config_file": config_file}))
        return 0
    finally:
        config._ensure_unconfigure()


def finish(args, failed: bool) -> int:
    config, plugin = _configure([*args, "--cov-append"])
    try:
        if plugin is None or plugin.cov_controller is None:
            return 0
        from coverage.results import display_covered, should_fail_under
        plugin.failed = failed
        plugin.cov_controller.finish()
        below = False
        if plugin._should_report():
            plugin.cov_total = plugin.cov_controller.summary(plugin.cov_report)
            fail_under, precision = plugin.options.cov_fail_under, plugin.options.cov_precision
            if fail_under is not None and should_fail_under(plugin.cov_total, fail_under, precision):
                below = True
                print("\nERROR: Coverage failure: total of {} is less than fail-under={:.{}f}".format(
                    display_covered(plugin.cov_total, precision), fail_under, precision))
        plugin.pytest_terminal_summary(_Terminal())
        sys.stdout.flush()
        return 1 if below else 0
    finally:
        config._ensure_unconfigure()


def main() -> int:
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "prepare":
        return prepare(args)
    return finish(args, os.environ.get("FASTEST_COV_FAILED") == "1")


if __name__ == "__main__":
    sys.exit(main())
