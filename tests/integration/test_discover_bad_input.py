"""Bad input never crashes discovery: a clear message, and everything else still found."""
import os
import subprocess
import sys

import pytest


def discover(fastest_bin, cwd, *args, json=False):
    cmd = [fastest_bin, "discover", *args] + (["--json"] if json else [])
    return subprocess.run(cmd, cwd=cwd, capture_output=True, timeout=60)


@pytest.fixture
def project(tmp_path):
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_good.py").write_text("def test_good(): pass\n")
    return tmp_path


def test_syntax_error_reports_and_keeps_other_files(fastest_bin, project):
    (project / "test_broken.py").write_text("def test_before(): pass\n\ndef test_x(:\n    pass\n\ndef test_after(): pass\n")
    proc = discover(fastest_bin, project)
    out = proc.stdout.decode()
    assert proc.returncode == 2
    assert "test_good.py::test_good" in out
    assert "ERROR test_broken.py" in out
    # The editor view (--json) still lists the intact tests of the broken file, plus the error.
    data = __import__("json").loads(discover(fastest_bin, project, json=True).stdout)
    ids = {item["id"] for item in data["items"]}
    assert {"test_broken.py::test_before", "test_broken.py::test_after"} <= ids
    assert any(d["file"] == "test_broken.py" and "syntax error" in d["message"] for d in data["diagnostics"])


def test_an_unclosed_bracket_hides_no_test_from_the_editor_view(fastest_bin, project):
    """pytest reports the module's SyntaxError and lists none of its tests: so does the listing.
    The editor view (--json) reads the tests after the error as Python resumes, in place."""
    (project / "test_typing.py").write_text(
        "import pytest\n\ndef test_typing():\n    foo(\n    assert True\n\n"
        "@pytest.mark.parametrize('v', [1, 2])\ndef test_after(v):\n    pass\n")
    proc = discover(fastest_bin, project)
    out = proc.stdout.decode()
    assert proc.returncode == 2 and "ERROR test_typing.py" in out
    assert "test_typing.py::" not in out
    data = __import__("json").loads(discover(fastest_bin, project, json=True).stdout)
    items = {item["id"]: item for item in data["items"]}
    assert items["test_typing.py::test_typing"]["range"]["end"] == {"line": 4, "column": 15}
    assert items["test_typing.py::test_after"]["range"]["start"] == {"line": 6, "column": 0}
    assert {"test_typing.py::test_after[1]", "test_typing.py::test_after[2]"} <= set(items)
    assert [e["path"] for e in data["collectionErrors"]] == ["test_typing.py"]


def test_empty_binary_and_invalid_utf8_files(fastest_bin, project):
    (project / "test_empty.py").write_text("")
    (project / "test_binary.py").write_bytes(bytes(range(256)) * 64)
    (project / "test_latin1.py").write_bytes(b"# caf\xe9\ndef test_latin(): pass\n")
    proc = discover(fastest_bin, project, json=True)
    assert proc.returncode in (0, 2)
    data = __import__("json").loads(proc.stdout)
    ids = {item["id"] for item in data["items"]}
    assert "test_good.py::test_good" in ids
    assert "test_latin1.py::test_latin" in ids


def test_ten_megabyte_file(fastest_bin, project):
    body = "".join(f"def test_{i}():\n    x = {i}\n    assert x == {i}\n\n" for i in range(200_000))
    (project / "test_big.py").write_text(body)
    assert os.path.getsize(project / "test_big.py") > 10_000_000
    proc = discover(fastest_bin, project)
    assert proc.returncode == 0
    assert b"200001 tests collected" in proc.stdout


def test_symlink_loop_is_reported_not_followed(fastest_bin, project):
    (project / "sub").mkdir()
    (project / "sub" / "test_s.py").write_text("def test_s(): pass\n")
    os.symlink(project / "sub", project / "sub" / "loop")
    proc = discover(fastest_bin, project)
    assert proc.returncode == 0
    assert b"sub/test_s.py::test_s" in proc.stdout
    assert b"symlink loop" in proc.stderr


def test_dangling_symlink_and_fifo_are_skipped(fastest_bin, project):
    os.symlink(project / "gone.py", project / "test_dangling.py")
    os.mkfifo(project / "test_fifo.py")
    proc = discover(fastest_bin, project)
    assert proc.returncode == 0
    assert b"1 test collected" in proc.stdout


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file regardless of its mode")
def test_unreadable_file_and_folder(fastest_bin, project):
    (project / "test_secret.py").write_text("def test_secret(): pass\n")
    (project / "test_secret.py").chmod(0)
    (project / "closed").mkdir()
    (project / "closed" / "test_c.py").write_text("def test_c(): pass\n")
    (project / "closed").chmod(0)
    try:
        proc = discover(fastest_bin, project)
        assert b"test_good.py::test_good" in proc.stdout
        assert b"cannot read" in proc.stderr
    finally:
        (project / "closed").chmod(0o755)


def test_files_deleted_during_walk(fastest_bin, project):
    """A tree that changes while being walked: whatever is there is listed, nothing crashes."""
    for i in range(300):
        (project / f"test_m{i}.py").write_text(f"def test_{i}(): pass\n")
    proc = subprocess.Popen([fastest_bin, "discover"], cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    for i in range(300):
        try:
            os.unlink(project / f"test_m{i}.py")
        except FileNotFoundError:
            pass
    out, err = proc.communicate(timeout=60)
    assert proc.returncode in (0, 5)
    assert b"test_good.py::test_good" in out


def pytest_collect(python_exe, cwd):
    """pytest's --collect-only -q ids (the lines before its first blank line)."""
    proc = subprocess.run([python_exe, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"], cwd=cwd,
                          capture_output=True, text=True, timeout=120)
    return proc.stdout.split("\n\n")[0].splitlines()


def test_invalid_utf8_in_a_parametrize_literal(fastest_bin, python_exe, project):
    """A raw 0xff byte (pytest: a collection error) and the `\\xff` escape (pytest's id
    `test_a[\\xff]`): the text listing is pytest's, and --json prints valid JSON (the byte as
    U+FFFD) instead of aborting."""
    (project / "test_escape.py").write_text('import pytest\n@pytest.mark.parametrize("a", ["\\xff"])\ndef test_a(a):\n    pass\n')
    (project / "test_raw_byte.py").write_bytes(b'import pytest\n@pytest.mark.parametrize("a", ["\xff"])\ndef test_a(a):\n    pass\n')
    proc = discover(fastest_bin, project, "--python", python_exe)
    assert proc.returncode == 2
    assert proc.stdout.decode().split("\n\n")[0].splitlines() == pytest_collect(python_exe, project)
    assert b"ERROR collecting test_raw_byte.py" in proc.stdout
    for settle in ([], ["--no-settle"]):
        proc = discover(fastest_bin, project, "--python", python_exe, *settle, json=True)
        assert proc.returncode in (0, 2), proc.stderr
        data = __import__("json").loads(proc.stdout.decode("utf-8"))
        ids = {item["id"] for item in data["items"]}
        assert {"test_escape.py::test_a[\\xff]", "test_good.py::test_good", "test_raw_byte.py::test_a"} <= ids
    run = subprocess.run([fastest_bin, "run", "--python", python_exe, "--json", "--continue-on-collection-errors"],
                         cwd=project, capture_output=True, timeout=120)
    results = {r["id"]: r["outcome"] for r in __import__("json").loads(run.stdout.decode("utf-8"))["results"]}
    assert results["test_escape.py::test_a[\\xff]"] == "passed"


CR_ONLY = (b"import pytest\r\rdef test_a():\r    pass\r\r@pytest.mark.parametrize('x', [1, 2])\r"
           b"def test_b(x):\r    pass\r\rclass TestC:\r    def test_c(self):\r        pass\r")


def test_cr_only_line_endings_are_line_breaks_as_in_python(fastest_bin, python_exe, project):
    (project / "test_cr.py").write_bytes(CR_ONLY)
    proc = discover(fastest_bin, project, "--python", python_exe)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.decode().split("\n\n")[0].splitlines() == pytest_collect(python_exe, project)
    # Lines are Python's: the same as the file's with LF line breaks, and pytest's own.
    cr = __import__("json").loads(discover(fastest_bin, project, "--python", python_exe, json=True).stdout)
    (project / "test_cr.py").write_bytes(CR_ONLY.replace(b"\r", b"\n"))
    lf = __import__("json").loads(discover(fastest_bin, project, "--python", python_exe, json=True).stdout)
    ranges = lambda data: {i["id"]: (i["range"], i["nameRange"]) for i in data["items"] if i["file"] == "test_cr.py"}
    assert ranges(cr) == ranges(lf)
    assert len(ranges(cr)) == 7  # the module, test_a, test_b and its 2 cases, TestC and test_c
    assert not cr["diagnostics"] and not cr["collectionErrors"]
    assert ranges(cr)["test_cr.py::test_a"][0]["start"]["line"] == 2
    assert ranges(cr)["test_cr.py::TestC::test_c"][0]["start"]["line"] == 10


def test_symlinks_out_of_the_rootdir_to_a_system_folder_or_around_it_are_skipped(fastest_bin, python_exe, project):
    """A link to `/` (or a folder holding the rootdir) would walk the whole machine: skipped with
    a warning. A link to a folder inside the rootdir is followed, with pytest's ids."""
    import time
    (project / "sub").mkdir()
    (project / "sub" / "test_s.py").write_text("def test_s(): pass\n")
    os.symlink(project / "sub", project / "alias")
    expected = pytest_collect(python_exe, project)
    assert "alias/test_s.py::test_s" in expected
    os.symlink("/", project / "rootfs")
    os.symlink(project.parent, project / "around")
    start = time.monotonic()
    proc = discover(fastest_bin, project, "--python", python_exe)
    assert time.monotonic() - start < 20
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.decode().split("\n\n")[0].splitlines() == expected
    err = proc.stderr.decode()
    assert "rootfs" in err and "around" in err and "not followed" in err


def test_a_file_name_that_is_not_utf8_in_json(fastest_bin, python_exe, project):
    (project / os.fsdecode(b"test_caf\xe9.py")).write_text("def test_x(): pass\n")
    proc = discover(fastest_bin, project, "--python", python_exe, "--no-settle", json=True)
    assert proc.returncode == 0, proc.stderr
    ids = {item["id"] for item in __import__("json").loads(proc.stdout.decode("utf-8"))["items"]}
    assert "test_caf\ufffd.py::test_x" in ids


def test_symlinks_that_multiply_the_walk_are_bounded(fastest_bin, project):
    """Two links to the next folder, 16 deep: 65,536 paths to one test file for pytest. Folders
    walked again through symlinks are bounded (about once per folder, at least 1,000 times),
    with a warning."""
    import time
    depth = 16
    for level in range(depth + 1):
        (project / f"d{level}").mkdir()
    (project / f"d{depth}" / "test_deep.py").write_text("def test_deep(): pass\n")
    for level in range(depth):
        for name in ("l1", "l2"):
            os.symlink(project / f"d{level + 1}", project / f"d{level}" / name)
    start = time.monotonic()
    proc = discover(fastest_bin, project, "--no-settle")
    assert time.monotonic() - start < 5
    assert proc.returncode == 0
    assert b"d16/test_deep.py::test_deep" in proc.stdout
    assert b"the same folders over and over" in proc.stderr


@pytest.fixture(scope="module")
def venv_without_pytest(tmp_path_factory):
    where = tmp_path_factory.mktemp("nopytest") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True)
    return where


DYNAMIC = "import pytest\n\ndef make(sentinel=id(())):\n    return [1]\n\n@pytest.mark.parametrize('x', make())\ndef test_x(x):\n    pass\n"


def test_a_settle_without_pytest_is_an_error_not_a_quiet_partial_answer(fastest_bin, tmp_path, venv_without_pytest):
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_dyn.py").write_text(DYNAMIC)
    python = str(venv_without_pytest / "bin" / "python")
    proc = subprocess.run([str(fastest_bin), "discover", "--python", python], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 4
    assert "could not settle" in proc.stderr and "pytest is not installed for" in proc.stderr
    assert f"{python} -m pip install pytest" in proc.stderr
    # Nothing dynamic: nothing to settle, the static answer is whole.
    (tmp_path / "test_dyn.py").write_text("def test_plain():\n    pass\n")
    proc = subprocess.run([str(fastest_bin), "discover", "--python", python], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stderr == "" and "test_dyn.py::test_plain" in proc.stdout


def test_a_settle_whose_pytest_cannot_import_is_an_error(fastest_bin, tmp_path, venv_without_pytest):
    # pytest's metadata is there but the package cannot be imported (a broken install, or a
    # project folder shadowing a module pytest needs): the worker cannot start.
    site = next((venv_without_pytest / "lib").glob("python3*")) / "site-packages"
    dist = site / "pytest-9.2.0.dist-info"
    dist.mkdir(parents=True, exist_ok=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: pytest\nVersion: 9.2.0\n")
    try:
        (tmp_path / "pytest.ini").write_text("[pytest]\n")
        (tmp_path / "test_dyn.py").write_text(DYNAMIC)
        proc = subprocess.run([str(fastest_bin), "discover", "--python", str(venv_without_pytest / "bin" / "python")],
                              cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 3, proc.stderr
        assert "could not settle 2 dynamic items with pytest" in proc.stderr
        assert "test_dyn.py::test_x" in proc.stdout  # the static form, said to be so
    finally:
        import shutil
        shutil.rmtree(dist)
