"""fastest_worker.imported_files: what a collection read, seen by an audit hook. The hook never
raises into the test's own code, records reads and the project's own listings, and leaves out
writes and the listings of pytest's walk."""
import os
import subprocess
import sys
import textwrap
from pathlib import Path

WORKER = Path(__file__).resolve().parents[2] / "worker"


def run(code, cwd):
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=cwd, capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=str(WORKER)), timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.splitlines()


def test_reads_and_the_projects_listings_are_recorded_writes_are_not(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "cases.txt").write_text("a\n")
    out = run(f"""
        import os
        from fastest_worker import imported_files
        open("data/cases.txt").read()
        open("written.txt", "w").write("x")
        os.listdir("data")
        for path in imported_files.imported_files({str(tmp_path)!r}):
            print(path)
        """, tmp_path)
    assert str(tmp_path / "data" / "cases.txt") in out
    assert str(tmp_path / "data") in out
    assert str(tmp_path / "written.txt") not in out


def test_the_hook_never_raises_into_the_code_it_watches(tmp_path):
    out = run("""
        from fastest_worker import imported_files
        imported_files._audit("open", None)             # arguments it cannot read
        imported_files._audit("os.listdir", (object(),))
        print("still here")
        """, tmp_path)
    assert out == ["still here"]
