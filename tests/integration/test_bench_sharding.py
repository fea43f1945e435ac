"""benches/sharding.py: its reimplementation of pytest-split's split, and its quick run."""
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "benches"))

import sharding  # noqa: E402


def test_least_duration_is_pytest_splits_documented_algorithm():
    durations = {"a": 5.0, "b": 3.0, "c": 3.0, "d": 1.0}
    # Longest first onto the least loaded group (ties: the lower group); e (unknown) weighs the
    # mean of the known, 3.0, and sorts by id among the 3.0s.
    groups = sharding.least_duration(["d", "c", "b", "a", "e"], durations, 2)
    assert groups == [["a", "e"], ["b", "c", "d"]]


def test_quick_run_reports_makespans_against_ideal_and_pytest_split(fastest_bin, python_exe, tmp_path):
    figures = {}
    sharding.measure(str(fastest_bin), python_exe, tmp_path, True, lambda name, value, **_: figures.update({name: value}))
    assert set(figures) == {"shard4_makespan_vs_ideal", "shard4_pytest_split_vs_ideal",
                            "shard4_setup_makespan_vs_pytest_split", "shard4_module_setups_vs_pytest_split",
                            "shard4_new_makespan_vs_ideal", "shard4_new_pytest_split_vs_ideal"}
    assert 1.0 <= figures["shard4_makespan_vs_ideal"] <= 1.1
    assert figures["shard4_module_setups_vs_pytest_split"] < 1.0
