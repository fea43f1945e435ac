#!/usr/bin/env python3
"""`fastest run --shard K/N` simulated on N CI machines, against the ideal and pytest-split.

A generated skewed suite (power-law test durations, modules of very different sizes) gets a
recorded history: complete, then (`_new` figures) missing a tenth of the tests, as new tests are. Each shard is chosen by
the real binary (`fastest run --shard k/N --durations-path COPY --json`; the tests themselves
only `pass`, so this is quick) and its makespan is computed from the suite's true durations:

- ideal: sum / N (no split can do better when no test is longer than that);
- pytest-split: its "least_duration" algorithm, reimplemented here from its documentation
  (pytest-split is not installed): tests sorted by id, then by recorded duration descending
  (a stable sort), each onto the group with the least summed duration (ties: the lower group
  index); a test missing from the history counts as the mean of the recorded ones;
- with module set-ups: every third module has a module-scoped fixture costing `SETUP_S`, paid
  once on each shard that runs any of its tests (pytest-split splits modules freely; fastest
  keeps one whole when the balance allows).

    python benches/sharding.py [--quick]      (also `compare.py --only sharding`)
"""
import argparse
import heapq
import json
import random
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import suites  # noqa: E402

SETUP_S = 0.5


def skewed_history_suite(root: Path, modules: int, seed: int = 17):
    """Files of `pass` tests and their true durations (seconds), recorded ones and new ones."""
    rng = random.Random(seed)
    files = {"pytest.ini": "[pytest]\n"}
    truth, new = {}, set()
    for m in range(modules):
        count = 1 + int(60 * rng.random() ** 3)
        module = f"tests/test_m{m:03d}.py"
        files[module] = "".join(f"def test_{t}(): pass\n" for t in range(count))
        for t in range(count):
            test_id = f"{module}::test_{t}"
            truth[test_id] = min(30.0, 0.02 * rng.paretovariate(1.1))  # mostly 20 ms, a few seconds
            if rng.random() < 0.1:
                new.add(test_id)
    suites.write(root, files)
    return truth, new


def least_duration(ids, durations, splits):
    """pytest-split's least_duration, as its documentation describes it."""
    known = {i: durations[i] for i in ids if i in durations}
    mean = sum(known.values()) / len(known) if known else 1.0
    order = sorted(ids)
    order.sort(key=lambda i: known.get(i, mean), reverse=True)
    groups = [[] for _ in range(splits)]
    heap = [(0.0, g) for g in range(splits)]
    for test_id in order:
        load, g = heapq.heappop(heap)
        groups[g].append(test_id)
        heapq.heappush(heap, (load + known.get(test_id, mean), g))
    return groups


def makespans(groups, truth, setup_modules):
    plain, with_setup = [], []
    for group in groups:
        load = sum(truth[i] for i in group)
        modules = {i.split("::")[0] for i in group}
        plain.append(load)
        with_setup.append(load + SETUP_S * len(modules & setup_modules))
    return max(plain), max(with_setup)


def fastest_shards(fastest, python, root: Path, history: Path, splits: int):
    groups = []
    for k in range(1, splits + 1):
        copy = root.parent / f"durations-{k}.json"  # each job restores the same history
        shutil.copy(history, copy)
        proc = subprocess.run([fastest, "run", "--python", python, "-n", "2", "--json", "--shard", f"{k}/{splits}",
                               "--durations-path", str(copy)], cwd=root, capture_output=True, text=True, timeout=300)
        groups.append([r["id"] for r in json.loads(proc.stdout)["results"]])
    return groups


def compare(fastest, python, work: Path, root: Path, truth, recorded, splits, label, record):
    history = work / f"durations-{label or 'all'}.json"
    history.write_text(json.dumps({"version": 1, "durations": recorded}))
    ours = fastest_shards(fastest, python, root, history, splits)
    ran = [i for g in ours for i in g]
    if sorted(ran) != sorted(truth):
        raise RuntimeError(f"{splits} shards ran {len(ran)} tests ({len(set(ran))} distinct), not the suite's {len(truth)}")
    theirs = least_duration(list(truth), recorded, splits)
    ideal = max(sum(truth.values()) / splits, max(truth.values()))
    setup_modules = {f"tests/test_m{m:03d}.py" for m in range(0, 1000, 3)}
    (o, o_setup), (p, p_setup) = makespans(ours, truth, setup_modules), makespans(theirs, truth, setup_modules)
    name = f"shard{splits}{label}"
    record(f"{name}_makespan_vs_ideal", o / ideal, makespan_s=o, ideal_s=ideal, tests=len(truth))
    record(f"{name}_pytest_split_vs_ideal", p / ideal, makespan_s=p)
    if label:
        return
    split_ours = sum(len({i.split("::")[0] for i in g}) for g in ours)
    split_theirs = sum(len({i.split("::")[0] for i in g}) for g in theirs)
    record(f"{name}_setup_makespan_vs_pytest_split", o_setup / p_setup, fastest_s=o_setup, pytest_split_s=p_setup)
    record(f"{name}_module_setups_vs_pytest_split", split_ours / split_theirs, fastest=split_ours,
           pytest_split=split_theirs)


def measure(fastest, python, work: Path, quick: bool, record):
    """Figures `shard{N}_*`: a complete history, then one missing a tenth of the tests (`_new`)."""
    root = work / "sharded"
    truth, new = skewed_history_suite(root, 24 if quick else 80)
    for splits in ([4] if quick else [2, 4, 8]):
        compare(fastest, python, work, root, truth, truth, splits, "", record)
        compare(fastest, python, work, root, truth, {i: d for i, d in truth.items() if i not in new}, splits,
                "_new", record)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--fastest", default=str(HERE.parent / "build" / "fastest"))
    parser.add_argument("--python", default=str(HERE.parent / ".venv" / "bin" / "python"))
    args = parser.parse_args(argv)
    import tempfile
    with tempfile.TemporaryDirectory(prefix="fastest-shard-bench-") as tmp:
        measure(args.fastest, args.python, Path(tmp), args.quick,
                lambda name, value, **extra: print(f"{name:44s} {value:8.3f}  {extra}"))


if __name__ == "__main__":
    main()
