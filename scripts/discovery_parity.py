#!/usr/bin/env python3
"""Compare `fastest discover` with `pytest --collect-only -q` on real projects' test suites.

Usage: scripts/discovery_parity.py [--fastest BIN] [--python PY] [--json OUT] [project-dir ...]
Each project dir is run from its root with no extra args, as a user would type `pytest`.
"""
import argparse
import difflib
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(os.environ.get("PARITY_CORPUS", "/tmp/realprojects"))


def normalise(output: str) -> list[str]:
    lines, skipping = [], False
    for line in output.splitlines():
        if line.startswith("=") and "warnings summary" in line:
            skipping = True
            continue
        if skipping:
            if re.match(r"^(\d+|no) tests? collected|^\d+/\d+ tests collected|^\d+ errors?", line):
                skipping = False
            else:
                continue
        line = re.sub(r" in \d+\.\d+s(?=( =+)?(\x1b\[\d+m)*$)", "", line)  # a coloured line ends in escapes; -v: a banner
        if line.strip():
            lines.append(line)
    return lines


def ids_of(lines):
    return [l for l in lines if "::" in l or re.match(r"^[^ ]+\.(py|txt|rst|md)$", l)]


def timed(cmd, cwd, env=None):
    start = time.monotonic()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env)
    return proc, time.monotonic() - start


def parent_chain(items_by_id, item):
    while item is not None:
        yield item
        item = items_by_id.get(item.get("parentId"))


def nearest_item(items_by_id, node_id):
    """The deepest static item that is a prefix of node_id (module, class, function)."""
    candidate = node_id
    while candidate:
        if candidate in items_by_id:
            return items_by_id[candidate]
        cut = max(candidate.rfind("::"), candidate.rfind("/"), candidate.rfind("["))
        if cut <= 0:
            return None
        candidate = candidate[:cut]
    return None


def compare(project: Path, fastest: str, python: str):
    env = dict(os.environ, VIRTUAL_ENV=str(Path(python).parent.parent))
    env["PATH"] = str(Path(python).parent) + os.pathsep + env["PATH"]
    env.pop("PYTHONPATH", None)
    pt, pt_time = timed([python, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"], project, env)
    fs, fs_time = timed([fastest, "discover", "--python", python], project, env)
    st, st_time = timed([fastest, "discover", "--python", python, "--no-settle", "--json"], project, env)
    expected, actual = normalise(pt.stdout), normalise(fs.stdout)
    pytest_ids = ids_of(expected)
    settled_equal = expected == actual and pt.returncode == fs.returncode
    diff = [] if settled_equal else list(difflib.unified_diff(
        expected + [f"exit {pt.returncode}"], actual + [f"exit {fs.returncode}"], "pytest", "fastest", lineterm="", n=1))

    try:
        tree = json.loads(st.stdout)
    except json.JSONDecodeError:
        tree = {"items": [], "selected": []}
    items_by_id = {item["id"]: item for item in tree["items"]}

    def is_dynamic(node_id):
        item = items_by_id.get(node_id)
        return item is not None and any(i.get("dynamic") for i in parent_chain(items_by_id, item))

    static_ids = [i for i in tree.get("selected", []) if not is_dynamic(i)]
    dynamic_ids = [i for i in tree.get("selected", []) if is_dynamic(i)]
    position = {node_id: n for n, node_id in enumerate(pytest_ids)}
    wrong = []
    last = -1
    for node_id in static_ids:
        if node_id not in position:
            wrong.append(("not in pytest", node_id))
        elif position[node_id] < last:
            wrong.append(("out of order", node_id))
        else:
            last = position[node_id]
    static_set = set(tree.get("selected", []))
    for node_id in pytest_ids:
        if node_id in static_set:
            continue
        near = nearest_item(items_by_id, node_id)
        if near is None or not any(i.get("dynamic") for i in parent_chain(items_by_id, near)):
            wrong.append(("missing, parent not dynamic", node_id))
    # Modules pytest could not import (a test dependency missing here): static analysis does
    # not import modules, so their statically known ids are counted apart from rule bugs.
    failing = {m.group(1) for m in re.finditer(r"^ERROR (\S+?)(?:::\S+)?(?: - .*)?$", pt.stdout, re.M)}
    import_error = [w for w in wrong if w[1].split("::")[0] in failing]
    wrong = [w for w in wrong if w[1].split("::")[0] not in failing]
    got = len(set(static_ids) & set(pytest_ids))
    reasons = {}
    for item in tree["items"]:
        if item.get("dynamic"):
            reason = item.get("dynamicReason") or item.get("reason") or "?"
            reasons[reason[:90]] = reasons.get(reason[:90], 0) + 1
    return {
        "project": project.name,
        "pytest_exit": pt.returncode,
        "pytest_ids": len(pytest_ids),
        "settled_equal": settled_equal,
        "diff": diff[:60],
        "wrong": wrong,
        "import_error_ids": len(import_error),
        "pytest_errors": sorted(failing),
        "static_share": got / len(pytest_ids) if pytest_ids else 1.0,
        "static_ids": len(static_ids),
        "dynamic_ids": len(dynamic_ids),
        "dynamic_reasons": reasons,
        "pytest_s": round(pt_time, 2),
        "settled_s": round(fs_time, 2),
        "static_s": round(st_time, 2),
        "fastest_stderr": fs.stderr[-2000:],
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--fastest", default=str(Path(__file__).resolve().parent.parent / "build" / "fastest"))
    parser.add_argument("--python", default="/tmp/rp-venv/bin/python")
    parser.add_argument("--json", default=None)
    parser.add_argument("-v", action="store_true")
    parser.add_argument("projects", nargs="*")
    args = parser.parse_args()
    projects = [Path(p).resolve() for p in args.projects] or sorted(
        p for p in HERE.iterdir() if p.is_dir() and p.name not in {"sdists"} and not p.name.startswith("."))
    results = []
    print(f"{'project':28} {'ids':>5} {'exit':>4} {'settled':>7} {'wrong':>5} {'imperr':>6} {'static':>7} {'pytest':>6} {'settled':>7} {'static':>6}")
    for project in projects:
        r = compare(project, args.fastest, args.python)
        results.append(r)
        print(f"{r['project']:28} {r['pytest_ids']:5} {r['pytest_exit']:4} {'equal' if r['settled_equal'] else 'DIFF':>7} "
              f"{len(r['wrong']):5} {r['import_error_ids']:6} {r['static_share']:7.1%} {r['pytest_s']:6.2f} {r['settled_s']:7.2f} {r['static_s']:6.2f}")
        if args.v:
            for line in r["diff"][:30]:
                print("    ", line)
            for kind, node_id in r["wrong"][:15]:
                print(f"     WRONG {kind}: {node_id}")
            for reason, n in sorted(r["dynamic_reasons"].items(), key=lambda kv: -kv[1])[:8]:
                print(f"     dynamic x{n}: {reason}")
        sys.stdout.flush()
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
