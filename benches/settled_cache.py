#!/usr/bin/env python3
"""The settled cache (<rootdir>/.fastest_cache/settled) on a generated suite where every test is
dynamic (parametrized by a helper's call, and by a conftest fixture's params), as a real
project's would be:

- `settled_discover_warm_s` vs `settled_pytest_collect_s`: `fastest discover` with a warm cache
  against `pytest --collect-only -q` (the same ids are checked first), and their ratio
  `settled_discover_warm_speedup` (target >= 50); `settled_discover_cold_s` for the first run;
- `lsp_reopen_settled_ms`: `fastest lsp` started on the project with a warm cache, process start
  to `fastest/settleState: settled` with every case published (target <= 200);
  `lsp_reopen_python_starts` and `settled_discover_warm_python_starts`: interpreters started
  meanwhile (target 0), counted by a venv whose `bin/python` logs each start.

    python benches/settled_cache.py [--quick]      (also `compare.py --only settled`)
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO / "tests" / "integration"))

import suites  # noqa: E402


def dynamic_suite(root: Path, modules: int, cases: int = 10) -> Path:
    """`modules` test modules whose ids only pytest can list (a helper's list, a fixture's params)."""
    files = {"pytest.ini": "[pytest]\n",
             # a default only Python makes: what make() gives is pytest's to say
             "tests/helpers.py": f"def make(sentinel=object()):\n    return list(range({cases}))\n",
             "tests/conftest.py": ("import pytest\n\n\n@pytest.fixture(params=['a', 'b'])\n"
                                   "def letter(request):\n    return request.param\n")}
    for m in range(modules):
        files[f"tests/pkg_{m % 10}/test_dyn_{m}.py"] = (
            "import pytest\nfrom helpers import make\n\n\n"
            "@pytest.mark.parametrize('x', make())\ndef test_x(x):\n    pass\n\n\n"
            "def test_letter(letter):\n    pass\n\n\ndef test_plain():\n    pass\n")
    root = suites.write(root, files)
    (root / "tests" / "pkg_0").mkdir(exist_ok=True)
    return root


def counting_venv(where: Path, python: str):
    """A venv mirroring `python`'s site-packages whose bin/python logs each start; (python, log)."""
    real = Path(python)
    real_prefix = real.parent.parent
    (real_site,) = (real_prefix / "lib").glob("python3*/site-packages")
    site = where / "lib" / real_site.parent.name / "site-packages"
    if where.exists():
        shutil.rmtree(where)
    site.mkdir(parents=True)
    for entry in real_site.iterdir():
        (site / entry.name).symlink_to(entry)
    (where / "pyvenv.cfg").write_text((real_prefix / "pyvenv.cfg").read_text())
    (where / "bin").mkdir()
    log = where / "starts.log"
    log.write_text("")
    wrapper = where / "bin" / "python"
    wrapper.write_text(f"#!/bin/sh\necho start >> '{log}'\nexec '{real}' \"$@\"\n")
    wrapper.chmod(0o755)
    return wrapper, log


def starts(log: Path) -> int:
    return len(log.read_text().splitlines())


def ids_of(output: str):
    return [line for line in output.splitlines() if "::" in line and not line.startswith(" ")]


def timed(cmd, cwd):
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    return time.perf_counter() - start, proc.stdout


def reopen_ms(fastest, root, python, expected_cases):
    """Process start to `settled`, in ms; and whether every case pytest lists was published then."""
    from lsp_client import LspClient
    start = time.perf_counter()
    client = LspClient(fastest, cwd=root)
    try:
        client.initialize(root, options={"pythonPath": str(python)})
        client.wait_for(lambda m: m.get("method") == "fastest/settleState" and m["params"]["state"] == "settled",
                        120)
        elapsed = (time.perf_counter() - start) * 1000
        with client.lock:
            published = {}
            for m in client.messages:
                if m.get("method") == "fastest/discoveredTests":
                    for item in m["params"]["items"]:
                        published[item["id"]] = item
        cases = {i for i, item in published.items() if item["kind"] == "case" and not item.get("stale")}
        return elapsed, expected_cases <= cases
    finally:
        client.close()


def measure(fastest, python, work: Path, quick: bool, record, notes):
    modules = 40 if quick else 300
    root = dynamic_suite(work / f"settled_{modules}", modules)
    measure_root(fastest, python, work, root, 3 if quick else 7, record, notes)


def measure_root(fastest, python, work: Path, root: Path, reps: int, record, notes, prefix=""):
    """The figures for one project (`prefix` names a real one's)."""
    record = (lambda r: lambda name, value, **extra: r(prefix + name, value, **extra))(record)
    wrapper, log = counting_venv(work / "settled_venv", python)
    discover = [str(fastest), "discover", "--python", str(wrapper)]
    pytest_cmd = [str(python), "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"]
    cold, _ = timed(discover + ["--cache-clear"], root)
    record("settled_discover_cold_s", cold)
    # pytest's first run writes its __pycache__ folders into the test folders (fastest's worker
    # keeps its pycs elsewhere): a folder changed there is a listing-cache miss for the next
    # discover. Both tools are measured warm, as a second run finds them.
    timed(pytest_cmd, root)
    ours, theirs, spawned = [], [], 0
    ours_ids = theirs_ids = None
    for _ in range(reps):
        before = starts(log)
        t, out = timed(discover, root)
        spawned += starts(log) - before
        ours.append(t)
        ours_ids = ids_of(out)
        t, out = timed(pytest_cmd, root)
        theirs.append(t)
        theirs_ids = ids_of(out)
    record("settled_discover_warm_python_starts", spawned)
    if ours_ids != theirs_ids:
        notes.append(f"settled: ids differ ({len(ours_ids)} vs {len(theirs_ids)}): no ratio")
        return
    o, p = statistics.median(ours), statistics.median(theirs)
    record("settled_discover_warm_s", o, min=min(ours), max=max(ours), tests=len(ours_ids))
    record("settled_pytest_collect_s", p, min=min(theirs), max=max(theirs))
    record("settled_discover_warm_speedup", p / o)
    expected_cases = {i for i in ours_ids if "[" in i}
    reopen_ms(fastest, root, wrapper, expected_cases)  # the server's own entries are written once
    samples, spawned, complete = [], 0, True
    for _ in range(reps):
        before = starts(log)
        ms, whole = reopen_ms(fastest, root, wrapper, expected_cases)
        spawned += starts(log) - before
        samples.append(ms)
        complete &= whole
    if not complete:
        notes.append("settled: a reopened server did not publish every case")
    record("lsp_reopen_settled_ms", statistics.median(samples), min=min(samples), max=max(samples),
           cases=len(expected_cases))
    record("lsp_reopen_python_starts", spawned)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--fastest", default=str(REPO / "build" / "fastest"))
    parser.add_argument("--python", default=str(REPO / ".venv" / "bin" / "python"))
    parser.add_argument("--work", default="/tmp/fastest-settled-bench")
    parser.add_argument("--project", help="a real project's root instead of the generated suite")
    args = parser.parse_args(argv)
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    notes = []
    record = lambda name, value, **extra: print(f"  {name:38s} {value:10.3f}  {extra}", flush=True)  # noqa: E731
    if args.project:
        project = Path(args.project).resolve()
        measure_root(args.fastest, args.python, work, project, 3 if args.quick else 7, record, notes,
                     prefix=project.name + "_")
    else:
        measure(args.fastest, args.python, work, args.quick, record, notes)
    for note in notes:
        print("note:", note)
    return 0


if __name__ == "__main__":
    sys.exit(main())
