#!/usr/bin/env python3
"""Compare `fastest run` with `pytest` on real projects' test suites, test by test.

Usage: scripts/run_parity.py [--fastest BIN] [--python PY] [-n N] [--json OUT] [project-dir ...]
Each project is run from its root with no extra args, as a user would type `pytest`; both write
JUnit XML, and each test's outcome (passed, failed, error, skipped) is compared by its id.
Projects: $PARITY_CORPUS (default /tmp/realprojects), each installed in the interpreter's venv.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

HERE = Path(os.environ.get("PARITY_CORPUS", "/tmp/realprojects"))


def outcomes(junit: Path) -> dict[str, str]:
    """(classname::name) -> outcome of each testcase; a missing report is an empty dict."""
    if not junit.exists():
        return {}
    result = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        kind = "passed"
        for child in case:
            if child.tag in ("failure", "error", "skipped"):
                # pytest writes a failing teardown as an <error> beside the test's own outcome.
                if kind == "passed" or child.tag == "failure":
                    kind = child.tag
        key = f"{case.get('classname', '')}::{case.get('name', '')}"
        # Duplicate keys (teardown errors reported twice) keep the worse outcome.
        if key not in result or result[key] == "passed":
            result[key] = kind
    return result


def closing_line(stdout: str) -> str:
    lines = [line for line in stdout.splitlines() if line.strip()]
    line = lines[-1] if lines else ""
    return re.sub(r" in \d+\.\d+s( \(\d+:\d+:\d+\))?", "", line).strip("= ")


def run(cmd, cwd, timeout):
    start = time.monotonic()
    try:
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)
        return proc.returncode, proc.stdout, proc.stderr, time.monotonic() - start
    except subprocess.TimeoutExpired as e:
        return "timeout", e.stdout or "", e.stderr or "", time.monotonic() - start


def compare(project: Path, fastest: str, python: str, workers: int, timeout: int):
    with tempfile.TemporaryDirectory() as tmp:
        ref_xml, our_xml = Path(tmp) / "pytest.xml", Path(tmp) / "fastest.xml"
        ref = run([python, "-m", "pytest", "-p", "no:cacheprovider", f"--junitxml={ref_xml}"], project, timeout)
        ours = run([fastest, "run", "--python", python, "-n", str(workers), f"--junitxml={our_xml}"], project, timeout)
        ref_out, our_out = outcomes(ref_xml), outcomes(our_xml)
    differing = sorted((key, ref_out.get(key, "-"), our_out.get(key, "-"))
                       for key in set(ref_out) | set(our_out) if ref_out.get(key) != our_out.get(key))
    return {
        "project": project.name,
        "tests": len(ref_out),
        "pytest_exit": ref[0], "fastest_exit": ours[0],
        "pytest_closing": closing_line(ref[1]), "fastest_closing": closing_line(ours[1]),
        "differing": differing,
        "pytest_s": round(ref[3], 2), "fastest_s": round(ours[3], 2),
        "fastest_stderr": ours[2][-2000:],
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--fastest", default=str(Path(__file__).resolve().parent.parent / "build" / "fastest"))
    parser.add_argument("--python", default="/tmp/run-venv/bin/python")
    parser.add_argument("-n", type=int, default=2, help="fastest's worker count")
    parser.add_argument("--timeout", type=int, default=900)
    parser.add_argument("--json", default=None)
    parser.add_argument("-v", action="store_true")
    parser.add_argument("projects", nargs="*")
    args = parser.parse_args()
    projects = [Path(p).resolve() for p in args.projects] or sorted(
        p for p in HERE.iterdir() if p.is_dir() and not p.name.startswith((".", "dl")))
    results = []
    print(f"{'project':26} {'tests':>6} {'exits':>7} {'differ':>6} {'pytest s':>8} {'fastest s':>9}  closing lines equal?")
    for project in projects:
        r = compare(project, args.fastest, args.python, args.n, args.timeout)
        results.append(r)
        same_closing = r["pytest_closing"] == r["fastest_closing"]
        print(f"{r['project']:26} {r['tests']:6} {str(r['pytest_exit']) + '/' + str(r['fastest_exit']):>7} "
              f"{len(r['differing']):6} {r['pytest_s']:8.2f} {r['fastest_s']:9.2f}  {'yes' if same_closing else 'NO'}")
        if args.v:
            if not same_closing:
                print(f"     pytest : {r['pytest_closing']}\n     fastest: {r['fastest_closing']}")
            for key, theirs, mine in r["differing"][:20]:
                print(f"     {key}: pytest {theirs}, fastest {mine}")
            if r["fastest_stderr"].strip():
                print("     stderr:", r["fastest_stderr"].strip().splitlines()[-1][:200])
        sys.stdout.flush()
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
