"""What each figure compare.py records means to a reader: a label in words, a unit, a group,
and whether more is better. Unknown names still get a group and a unit from their suffix, so a
figure added to compare.py shows up (under "Other") before anyone describes it here."""
import math
import re
from dataclasses import dataclass

# Groups of the raw figures, in page order: (key, title, what the group measures).
GROUPS = [
    ("discovery", "Discovery", "finding the tests: `fastest discover` vs `pytest --collect-only -q` on the same suite"),
    ("cursor", "Run at cursor", "one test run from the editor through a warm `fastest lsp`"),
    ("execution", "Whole runs", "`fastest run` from the command line vs pytest and pytest-xdist, same tests, same outcomes"),
    ("keystroke", "Keystroke", "how long the editor's test tree takes to follow one keystroke in a 5,000-line test file"),
    ("memory", "Memory", "peak resident memory (RSS) of each process"),
    ("protocol", "Protocol", "JSON-RPC framing and encoding"),
    ("other", "Other figures", "figures this dashboard has no description for yet"),
]

TOOLS = {"fastest": "fastest run -n 2", "pytest": "pytest", "xdist2": "pytest -n 2 (xdist)"}
SCALE_TOOLS = {"fastest": "fastest discover", "pytest": "pytest --collect-only -q", "rtest": "rtest --collect-only",
               "cito": "cito collect"}

KEYSTROKE_KINDS = {"body": "a character typed in a test's body", "newline": "Enter typed in a test's body",
                   "rename": "a character typed in a test's name"}

LSP_KEYSTROKE_KINDS = {"": "Enter in a body, editor client (takes fastest/testsMoved)",
                       "full": "Enter in a body, client taking the whole file's tests each time",
                       "dense": "Enter in a body, dense file (~1,460 tests)",
                       "rename": "a character typed in a test's name (its id changes)"}

PERCENTILES = {"p50": "median", "p99": "99th percentile"}


@dataclass(frozen=True)
class Meaning:
    group: str
    label: str
    unit: str  # "s", "ms", "MB", "×", "%" or ""
    higher_is_better: bool


def suite_words(size: str) -> str:
    """run_<size>_...: "1000" -> "1,000 trivial tests", "heavy_imports" -> "tests importing heavy modules"."""
    if size.isdigit():
        return f"{int(size):,} trivial tests"
    if size == "heavy_imports":
        return "tests importing heavy modules"
    if size.startswith("files_") and size[len("files_"):].isdigit():
        return f"{int(size[len('files_'):]):,} files of one trivial test"
    return size.replace("_", " ")


def count_words(k: str) -> str:
    """"10k" -> "10,000"."""
    return f"{int(k[:-1]) * 1000:,}" if k.endswith("k") and k[:-1].isdigit() else k


def unit_of(name: str) -> str:
    if name.endswith("_ms"):
        return "ms"
    if name.endswith("_s"):
        return "s"
    if name.endswith("_mb"):
        return "MB"
    if name.endswith("_pct"):
        return "%"
    if "speedup" in name or "_vs_" in name:
        return "×"
    return ""


def _rules():
    """(pattern, group, label from the match's groups) — first match wins."""
    return [
        (r"discover_(\d+k)_speedup", "discovery",
         lambda k: f"Discovery, {count_words(k)} tests: times faster than pytest --collect-only -q"),
        (r"discover_fastest_s", "discovery", lambda: "fastest discover, cold (wall time)"),
        (r"discover_pytest_s", "discovery", lambda: "pytest --collect-only -q (wall time)"),
        (r"discover_(\w+)_s", "discovery", lambda peer: f"{peer} collecting the same suite (wall time)"),
        (r"scale_(\d+)_(\w+?)_rss_mb", "memory", lambda n, tool: f"{SCALE_TOOLS.get(tool, tool)}, {int(n):,} tests: peak memory"),
        (r"scale_(\d+)_(\w+?)_cpu_s", "discovery", lambda n, tool: f"{SCALE_TOOLS.get(tool, tool)}, {int(n):,} tests (CPU time)"),
        (r"scale_(\d+)_(\w+?)_s", "discovery", lambda n, tool: f"{SCALE_TOOLS.get(tool, tool)}, {int(n):,} tests (wall time)"),
        (r"scale_fastest_ms_per_1k_tests", "discovery", lambda: "fastest discover: cost of 1,000 more tests (ms)"),
        (r"scale_fastest_kb_per_test", "memory", lambda: "fastest discover: peak memory per test at 100,000 tests (KB)"),
        (r"cold_index_10k_ms", "discovery",
         lambda: "Index 10,000 tests in 500 files in process: config, walk, parse (micro-benchmark)"),
        (r"discover_peak_rss_mb", "memory", lambda: "fastest discover, peak memory"),
        (r"pytest_collect_peak_rss_mb", "memory", lambda: "pytest --collect-only -q on the same suite, peak memory"),
        (r"server_rss_(\d+k)_now_mb", "memory", lambda k: f"fastest lsp with {count_words(k)} tests indexed, memory once indexed"),
        (r"server_rss_(\d+k)_mb", "memory", lambda k: f"fastest lsp with {count_words(k)} tests indexed, peak memory"),
        (r"lsp_small_workspace_rss_mb", "memory", lambda: "fastest lsp with one 5,000-line test file open, memory"),
        (r"mmap_memory_saving_pct", "memory",
         lambda: "Private memory saved by mapping 20 × 2 MB files instead of reading them into strings"),
        (r"run_(\w+?)_(fastest|pytest|xdist2)_peak_rss_mb", "memory",
         lambda size, tool: f"{TOOLS[tool]}, {suite_words(size)}: peak memory"),
        (r"run_at_cursor_test_project_median_ms", "cursor",
         lambda: "fastest: run at cursor in the repo's test_project (median)"),
        (r"pytest_file_test_test_project_ms", "cursor", lambda: "pytest file::test in test_project (median)"),
        (r"run_at_cursor_test_project_speedup", "cursor", lambda: "test_project: times faster than pytest file::test"),
        (r"run_at_cursor_numpy_median_ms", "cursor",
         lambda: "fastest: run at cursor, test modules importing numpy and pandas (median)"),
        (r"run_at_cursor_numpy_no_image_median_ms", "cursor",
         lambda: "the same without the warm project image (each batch imports numpy and pandas)"),
        (r"pytest_file_test_numpy_ms", "cursor", lambda: "pytest file::test, numpy and pandas test module (median)"),
        (r"run_at_cursor_numpy_speedup", "cursor", lambda: "numpy and pandas: times faster than pytest file::test"),
        (r"project_image_numpy_rss_mb", "memory", lambda: "the warm project image holding numpy and pandas, RSS"),
        (r"run_at_cursor_median_ms", "cursor", lambda: "fastest: run the test at the cursor, request → result (median)"),
        (r"pytest_file_test_ms", "cursor", lambda: "pytest file::test, the same test (median)"),
        (r"run_at_cursor_speedup", "cursor", lambda: "Run at cursor: times faster than pytest file::test"),
        (r"run_(\w+?)_speedup_vs_pytest", "execution", lambda size: f"{suite_words(size)}: times faster than pytest"),
        (r"run_(\w+?)_speedup_vs_xdist2", "execution",
         lambda size: f"{suite_words(size)}: times faster than pytest -n 2"),
        (r"run_(\w+?)_(fastest|pytest|xdist2)_s", "execution",
         lambda size, tool: f"{suite_words(size)}: {TOOLS[tool]} (wall time)"),
        (r"skewed_fastest_s", "execution", lambda: "Skewed suite (few slow, many fast), 2 workers: fastest run"),
        (r"skewed_xdist2_s", "execution", lambda: "Skewed suite, 2 workers: pytest -n 2"),
        (r"skewed_lpt_bound_s", "execution", lambda: "Skewed suite: longest-first bound from recorded durations"),
        (r"skewed_makespan_vs_lpt", "execution",
         lambda: "Skewed suite: fastest's makespan over the longest-first bound (1 = ideal)"),
        (r"skewed_speedup_vs_xdist2", "execution", lambda: "Skewed suite: times faster than pytest -n 2"),
        (r"\w*(shard|split)\w*", "execution", None),
        (r"keystroke_(body|newline|rename)_(p50|p99)_ms", "keystroke",
         lambda kind, p: f"Server side, {KEYSTROKE_KINDS[kind]}: {PERCENTILES[p]}"),
        (r"lsp_keystroke(?:_(full|dense|rename))?_(p50|p99)_ms", "keystroke",
         lambda kind, p: f"Through LSP, {LSP_KEYSTROKE_KINDS[kind or '']}: {PERCENTILES[p]}"),
        (r"\w*(encode|decode|frame|protocol|jsonrpc)\w*", "protocol", None),
    ]


RULES = [(re.compile(pattern), group, label) for pattern, group, label in _rules()]


def meaning(name: str, higher_is_better: dict) -> Meaning:
    unit = unit_of(name)
    better = higher_is_better.get(name, unit in ("×", "%") and "makespan" not in name)
    for pattern, group, label in RULES:
        match = pattern.fullmatch(name)
        if match:
            words = label(*match.groups()) if label else name.replace("_", " ")
            return Meaning(group, words, unit, better)
    return Meaning("other", name.replace("_", " "), unit, better)


def format_value(value, unit: str) -> str:
    """Three significant digits, trailing zeros kept (0.090 s, 51.3×, 187 ms, 31.8 MB)."""
    if value is None or value != value:  # None or NaN
        return "—"
    digits = 0
    if value != 0:
        digits = max(0, 2 - math.floor(math.log10(abs(value))))
    number = f"{value:,.{digits}f}"
    if unit in ("×", "%"):
        return number + unit
    return f"{number} {unit}".strip()
