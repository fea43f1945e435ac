"""A real client: headless Neovim (Debian's) with the fastest plugin runs the test at the cursor."""
import json
import os
import shutil
import subprocess

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.mark.skipif(shutil.which("nvim") is None, reason="neovim is installed by scripts/setup.sh")
def test_neovim_runs_the_test_at_the_cursor(fastest_bin, python_exe, test_project, tmp_path):
    project = tmp_path / "proj"
    shutil.copytree(test_project, project, ignore=shutil.ignore_patterns(".fastest_cache", "__pycache__", ".pytest_cache"))
    target = project / "tests" / "unit" / "test_stock.py"
    lines = target.read_text().splitlines()
    line = lines.index("def test_add_counts(stock, apple):") + 2  # 1-based, inside the body
    cache = project / ".pytest_cache" / "v" / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    (cache / "lastfailed").write_text(json.dumps({"tests/unit/test_stock.py::test_take_too_many_raises": True}))
    out = tmp_path / "report.json"
    env = dict(os.environ, FASTEST_NVIM_OUT=str(out), FASTEST_NVIM_FILE=str(target), FASTEST_NVIM_LINE=str(line),
               FASTEST_BIN=str(fastest_bin), FASTEST_PYTHON=python_exe, HOME=str(tmp_path))
    proc = subprocess.run(["nvim", "--headless", "--clean", "--cmd", f"set rtp^={REPO}/editors/nvim",
                           "-c", f"luafile {REPO}/tests/integration/nvim/run_nearest.lua"],
                          cwd=project, env=env, capture_output=True, text=True, timeout=90)
    assert out.exists(), proc.stdout + proc.stderr
    report = json.loads(out.read_text())
    assert report["tests"] > 40
    assert report["lenses"] > 10
    states = {r["id"]: r["state"] for r in report["results"]}
    assert states == {"tests/unit/test_stock.py::test_add_counts": "passed"}
    # Two runs of a parametrized test: one mark per case (named) and one for the function.
    marks = report["param_marks"]
    assert len(marks) == 4, marks
    assert sum("(3/3 cases)" in m for m in marks) == 1, marks
    assert sorted(m.split()[0] for m in marks if "cases" not in m) == ["[-1]", "[0]", "[very-negative]"], marks
    # The tree nests: a module's tests are indented under it.
    tree = report["tree_lines"]
    module_row = next(t for t in tree if t.endswith(" test_stock.py"))
    test_row = next(t for t in tree if t.endswith(" test_add_counts"))
    assert len(test_row) - len("test_add_counts") > len(module_row) - len("test_stock.py")
    assert report["output_lines"][0].startswith("passed  tests/unit/test_stock.py::test_add_counts")
    # Debug without nvim-dap says so and cancels the test that waited for a debugger.
    assert "nvim-dap" in report["debug_notice"]
    assert report["debug_cancelled"] is True
    # :FastestRerunFailed ran the one failure pytest's cache recorded; it passed, so it is cleared.
    assert report["rerun"] == ["passed"], report["rerun"]
    # (the watch cycle below ran the whole file since, and recorded its failing-on-purpose test)
    assert "tests/unit/test_stock.py::test_take_too_many_raises" not in json.loads((cache / "lastfailed").read_text())
    assert any("passed" in t for t in report["virtual_text"])
    # The plugin applied fastest/testsMoved: a blank line at the top moved every test down.
    assert report["moved"] is True
    # ... and a test's renaming: the old id dropped, the new one added.
    assert report["renamed"] is True
    # :FastestWatch: a save re-ran the file's tests, the renamed one under its new id; off again.
    assert report["watch_ran"].get("tests/unit/test_stock.py::test_add_countsx") == "passed", report["watch_ran"]
    assert len(report["watch_ran"]) > 5
    assert report["watch_off"] is True


@pytest.mark.skipif(shutil.which("nvim") is None, reason="neovim is installed by scripts/setup.sh")
def test_neovim_keeps_every_chunk_of_a_big_tree(fastest_bin, python_exe, tmp_path):
    """2,756 items come in two messages (fastestTreeChunks): the plugin holds them all."""
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    for f in range(250):
        d = tmp_path / "tests" / f"pkg_{f % 5}"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"test_m{f}.py").write_text("".join(f"def test_{t}():\n    pass\n\n" for t in range(10)))
    out = tmp_path / "count.txt"
    env = dict(os.environ, FASTEST_NVIM_OUT=str(out), FASTEST_NVIM_FILE=str(tmp_path / "tests" / "pkg_0" / "test_m0.py"),
               FASTEST_NVIM_EXPECT="2756", FASTEST_BIN=str(fastest_bin), FASTEST_PYTHON=python_exe, HOME=str(tmp_path))
    proc = subprocess.run(["nvim", "--headless", "--clean", "--cmd", f"set rtp^={REPO}/editors/nvim",
                           "-c", f"luafile {REPO}/tests/integration/nvim/count_tree.lua"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=90)
    assert out.exists(), proc.stdout + proc.stderr
    assert out.read_text() == "2756"


@pytest.mark.skipif(shutil.which("nvim") is None, reason="neovim is installed by scripts/setup.sh")
def test_neovim_attaches_the_debugger_once_debugpy_listens(fastest_bin, python_exe, test_project, tmp_path):
    """The reply's attach configuration waits for fastest/debugListening: attaching at once was refused."""
    project = tmp_path / "proj"
    shutil.copytree(test_project, project, ignore=shutil.ignore_patterns(".fastest_cache", "__pycache__", ".pytest_cache"))
    target = project / "tests" / "unit" / "test_stock.py"
    line = target.read_text().splitlines().index("def test_add_counts(stock, apple):") + 2
    out = tmp_path / "report.json"
    env = dict(os.environ, FASTEST_NVIM_OUT=str(out), FASTEST_NVIM_FILE=str(target), FASTEST_NVIM_LINE=str(line),
               FASTEST_BIN=str(fastest_bin), FASTEST_PYTHON=python_exe, HOME=str(tmp_path))
    proc = subprocess.run(["nvim", "--headless", "--clean", "--cmd", f"set rtp^={REPO}/editors/nvim",
                           "-c", f"luafile {REPO}/tests/integration/nvim/debug_attach.lua"],
                          cwd=project, env=env, capture_output=True, text=True, timeout=90)
    assert out.exists(), proc.stdout + proc.stderr
    report = json.loads(out.read_text())
    assert report["calls"] == 1, report
    assert report["connect_error"] is False, report  # debugpy accepted the connection: it listened when the debugger came
    assert report["port"] == report["listening_port"] > 0, report
    assert report["called_at"] >= report["listening_at"], report
    assert report["finished"] is True, json.dumps(report)
