"""The benchmark script's own logic: suites, same-work checks, history, cliffs (the dashboard: test_dashboard.py)."""
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "benches"))

import compare  # noqa: E402
import suites  # noqa: E402


def test_mixed_suite_has_the_requested_number_of_tests(tmp_path, python_exe):
    import subprocess
    root = suites.mixed_suite(tmp_path / "s", 100)
    out = subprocess.run([python_exe, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"], cwd=root,
                         capture_output=True, text=True).stdout
    assert "100 tests collected" in out


def test_skewed_suite_shape(tmp_path):
    root = suites.skewed_suite(tmp_path / "k", slow=3, slow_s=0.4, fast=40)
    assert (root / "tests" / "test_slow.py").read_text().count("def test_slow_") == 3
    assert sum(p.read_text().count("def test_fast_") for p in (root / "tests").glob("test_fast_*.py")) == 40


def test_summary_and_lpt():
    s = compare.summary([3, 1, 2])
    assert (s["median"], s["min"], s["max"], s["n"]) == (2, 1, 3, 3)
    assert compare.lpt_makespan([0.4, 0.4, 0.4, 0.4, 0.1, 0.1], 2) == 0.9


def test_cliff_detection_ignores_noise_and_catches_collapse():
    history = [{"mode": "quick", "figures": {"run_at_cursor_median_ms": {"value": 20.0},
                                            "discover_10k_speedup": {"value": 60.0}}}]
    noisy = {"mode": "quick", "figures": {"run_at_cursor_median_ms": {"value": 35.0},
                                         "discover_10k_speedup": {"value": 40.0}}}
    assert compare.cliff_failures(noisy, history) == []
    collapsed = {"mode": "quick", "figures": {"run_at_cursor_median_ms": {"value": 45.0},
                                             "discover_10k_speedup": {"value": 20.0}}}
    failures = compare.cliff_failures(collapsed, history)
    assert len(failures) == 2
    other_mode = {"mode": "full", "figures": collapsed["figures"]}
    assert compare.cliff_failures(other_mode, history) == []


def test_record_marks_targets(tmp_path):
    bench = compare.Bench("fastest", "python", tmp_path, quick=True)
    bench.record("run_at_cursor_median_ms", 30.0)
    bench.record("server_rss_10k_mb", 80.0)
    assert bench.figures["run_at_cursor_median_ms"]["met"] is True
    assert bench.figures["server_rss_10k_mb"]["met"] is False


def test_history_round_trip(tmp_path):
    path = tmp_path / "h.jsonl"
    entries = [{"mode": "quick", "figures": {"a": {"value": i}}} for i in range(3)]
    path.write_text("".join(json.dumps(e) + "\n" for e in entries))
    assert compare.load_history(path) == entries

