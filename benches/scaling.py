#!/usr/bin/env python3
"""Discovery at scale (issue 15): `fastest discover` against `pytest --collect-only -q` and the
static collectors rtest and cito, on generated suites of 1,000 to 100,000 tests (20 a module),
wall time and peak RSS (wait4's ru_maxrss, what `/usr/bin/time -v` reports), interleaved and
repeated; and the language server's memory with the 100,000-test workspace indexed.

- `scale_{N}_{tool}_s`, `scale_{N}_{tool}_rss_mb`, `scale_{N}_{tool}_cpu_s` (user + system) for tool
  in fastest, rtest, cito, pytest;
- `scale_fastest_ms_per_1k_tests`: the cost of 1,000 more tests (slope from 10k to the largest);
- `scale_fastest_kb_per_test`: peak RSS at the largest size per test;
- `server_rss_100k_mb` (peak, VmHWM) and `server_rss_100k_now_mb` (VmRSS once indexed): `fastest lsp`
  opted in to the tree in chunks (fastestTreeChunks), after the last chunk.

A tool's ids are checked against fastest's first (as a set: the rivals print in their own order);
a mismatch is a note, not a figure. rtest and cito are looked up next to `--python` (pip install
rtest==0.0.47 cito==0.3.0 into that venv), then on PATH; a missing one is a note. pytest takes
minutes at 50,000 tests and more: it runs once there.

    python benches/scaling.py [--sizes 1000,10000,50000,100000] [--reps 5]   (also `compare.py --only scaling`, full mode)
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO / "tests" / "integration"))

import suites  # noqa: E402

SIZES = [1000, 10000, 50000, 100000]
PYTEST_ONCE_FROM = 50000  # pytest runs once at this size and above (minutes each)


# A child forked from this process starts with its resident pages, and the kernel keeps their
# count as the child's peak across exec (exec_mmap's setmax_mm_hiwater_rss): at 100,000 tests this
# script's own ~50 MB (the ids it compares) was every tool's floor. So each command is forked
# from a small helper interpreter (python -S, ~8 MB: below every tool measured) that reports the
# command's figures.
MEASURE_HELPER = r"""
import os, sys, time
out_fd, cwd, argv = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.chdir(cwd)
        devnull = os.open(os.devnull, os.O_RDWR)
        os.dup2(out_fd, 1)
        os.dup2(devnull, 2)
        os.execvp(argv[0], argv)
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - start
print(wall, os.waitstatus_to_exitcode(status), usage.ru_maxrss, usage.ru_utime + usage.ru_stime)
"""


def run_measured(cmd, cwd):
    """(wall seconds, exit code, stdout, peak RSS MB, CPU seconds: user + system) of one command;
    stdout through a file so that the pipe never throttles it."""
    with tempfile.TemporaryFile() as out:
        helper = subprocess.run([sys.executable, "-S", "-c", MEASURE_HELPER, str(out.fileno()), str(cwd), *cmd],
                                pass_fds=(out.fileno(),), capture_output=True, text=True, check=True)
        wall, code, maxrss_kb, cpu = helper.stdout.split()
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    return float(wall), int(code), text, int(maxrss_kb) / 1024.0, float(cpu)


def ids_of(output: str):
    return {line.strip() for line in output.splitlines() if "::" in line and not line.startswith(("fastest:", "cito:"))}


def tool_commands(fastest, python):
    """name -> argv (in the suite's folder); the rivals only when installed."""
    tools = {"fastest": [fastest, "discover", "--no-listing-cache", "--python", python]}  # discovery itself
    for name, argv in (("rtest", ["--collect-only"]), ("cito", ["collect"])):
        exe = Path(python).parent / name
        found = str(exe) if exe.exists() else shutil.which(name)
        if found:
            tools[name] = [found, *argv]
    tools["pytest"] = [python, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"]
    return tools


def measure_sizes(fastest, python, work: Path, sizes, reps, record, notes):
    tools = tool_commands(fastest, python)
    for missing in {"rtest", "cito"} - tools.keys():
        notes.append(f"scaling: {missing} not installed next to {python} nor on PATH")
    table = {}
    for n in sizes:
        root = suites.mixed_suite(work / f"scale_{n}", n)
        samples = {name: [] for name in tools}
        rss = {name: [] for name in tools}
        cpu = {name: [] for name in tools}
        expected = None
        for rep in range(reps):
            for name, cmd in tools.items():
                if samples[name] is None or (name == "pytest" and n >= PYTEST_ONCE_FROM and rep > 0):
                    continue
                wall, rc, out, peak, cpu_s = run_measured(cmd, root)
                ids = ids_of(out)
                if name == "fastest":
                    expected = ids
                elif ids != expected:
                    notes.append(f"scaling {n}: {name} listed {len(ids)} ids, fastest {len(expected or ())}: not compared")
                    samples[name] = rss[name] = cpu[name] = None
                    continue
                samples[name].append(wall)
                rss[name].append(peak)
                cpu[name].append(cpu_s)
        for name in tools:
            if not samples[name]:
                continue
            wall = statistics.median(samples[name])
            peak = statistics.median(rss[name])
            record(f"scale_{n}_{name}_s", wall, min=min(samples[name]), max=max(samples[name]), n=len(samples[name]))
            record(f"scale_{n}_{name}_rss_mb", peak)
            # CPU time: what the tool costs when the machine is shared (wall time then is not its own)
            record(f"scale_{n}_{name}_cpu_s", statistics.median(cpu[name]))
            table[(n, name)] = (wall, peak)
    big = max(sizes)
    if (10000, "fastest") in table and (big, "fastest") in table and big > 10000:
        slope = (table[(big, "fastest")][0] - table[(10000, "fastest")][0]) * 1000 / ((big - 10000) / 1000)
        record("scale_fastest_ms_per_1k_tests", slope)
    if (big, "fastest") in table:
        record("scale_fastest_kb_per_test", table[(big, "fastest")][1] * 1024 / big)
    return table


def server_memory(fastest, python, work: Path, tests, record):
    """Peak and current RSS of `fastest lsp` once a `tests`-test workspace is indexed and published."""
    from lsp_client import LspClient
    root = suites.mixed_suite(work / f"scale_{tests}", tests)
    client = LspClient(fastest, cwd=root)
    client.initialize(root, capabilities={"experimental": {"fastestTreeChunks": True}}, options={"pythonPath": python})
    client.wait_for(lambda m: m.get("method") == "fastest/discoveredTests" and not m["params"].get("more"), timeout=600)
    time.sleep(0.5)
    status = {}
    with open(f"/proc/{client.proc.pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            status[key] = value.strip()
    chunks = client.notifications("fastest/discoveredTests")
    client.close()
    label = f"{tests // 1000}k"
    record(f"server_rss_{label}_mb", int(status["VmHWM"].split()[0]) / 1024.0,
           items=sum(len(c["items"]) for c in chunks), messages=len(chunks))
    record(f"server_rss_{label}_now_mb", int(status["VmRSS"].split()[0]) / 1024.0)


def measure(fastest, python, work: Path, quick: bool, record, notes):
    """compare.py's `scaling` section: the full mode only (minutes of pytest at 100,000 tests)."""
    if quick:  # CI's quick mode keeps its run time
        return
    measure_sizes(fastest, python, work, SIZES, 5, record, notes)
    server_memory(fastest, python, work, max(SIZES), record)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fastest", default=str(REPO / "build" / "fastest"))
    parser.add_argument("--python", default=str(REPO / ".venv" / "bin" / "python"))
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--no-pytest", action="store_true", help="leave pytest out (it takes minutes at 100k)")
    parser.add_argument("--no-server", action="store_true")
    parser.add_argument("--work", help="where the suites go (kept); a temporary folder otherwise")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    notes = []

    def record(name, value, **extra):
        print(f"  {name:34s} {value:10.3f}", flush=True)

    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="fastest-scaling-"))
    if args.no_pytest:
        global tool_commands
        all_tools = tool_commands
        tool_commands = lambda f, p: {k: v for k, v in all_tools(f, p).items() if k != "pytest"}  # noqa: E731
    table = measure_sizes(args.fastest, args.python, work, sizes, args.reps, record, notes)
    print("\n| tests | " + " | ".join(t for t in ("fastest", "rtest", "cito", "pytest")) + " |")
    print("| --- | --- | --- | --- | --- |")
    for n in sizes:
        cells = []
        for t in ("fastest", "rtest", "cito", "pytest"):
            cells.append(f"{table[(n, t)][0]:.2f} s, {table[(n, t)][1]:.0f} MB" if (n, t) in table else "-")
        print(f"| {n:,} | " + " | ".join(cells) + " |")
    if not args.no_server:
        server_memory(args.fastest, args.python, work, max(sizes), record)
    for note in notes:
        print("note:", note)
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
