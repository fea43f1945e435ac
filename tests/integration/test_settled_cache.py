"""The settled cache (<rootdir>/.fastest_cache/settled): a second `fastest discover` and a
reopened workspace show pytest's settled tree without starting Python; anything the answer
depends on (the module, a conftest, a helper module it imports, an installed distribution's
version) makes it miss, and so does a corrupt entry. Python starts are counted by a throwaway
venv whose `bin/python` logs each start before running the real interpreter."""
import os
import pathlib
import re
import subprocess
import time

import pytest

from lsp_client import LspClient, uri

MODULE = """import pytest
from helpers import make


@pytest.mark.parametrize("x", make())
def test_x(x):
    pass


def test_letter(letter):
    pass
"""

CONFTEST = """import pytest


@pytest.fixture(params=["a", "b"])
def letter(request):
    return request.param
"""

# A default only Python makes: what make() gives is pytest's to say.
HELPERS = "def make(sentinel=id(())):\n    return [1, 2, 3]\n"

EXPECTED = ["tests/test_plain.py::test_ok",
            "tests/test_x.py::test_x[1]", "tests/test_x.py::test_x[2]", "tests/test_x.py::test_x[3]",
            "tests/test_x.py::test_letter[a]", "tests/test_x.py::test_letter[b]"]


@pytest.fixture
def venv(tmp_path, python_exe):
    """A venv whose site-packages mirrors the real one (symlinks) and whose python logs its starts."""
    real = pathlib.Path(python_exe)
    real_prefix = real.parent.parent
    (real_site,) = (real_prefix / "lib").glob("python3*/site-packages")
    v = tmp_path / "venv"
    site = v / "lib" / real_site.parent.name / "site-packages"
    site.mkdir(parents=True)
    for entry in real_site.iterdir():
        (site / entry.name).symlink_to(entry)
    (site / "fastest_fake_plugin-1.0.dist-info").mkdir()
    (v / "pyvenv.cfg").write_text((real_prefix / "pyvenv.cfg").read_text())
    (v / "bin").mkdir()
    log = tmp_path / "python-starts.log"
    log.write_text("")
    python = v / "bin" / "python"
    python.write_text(f"#!/bin/sh\necho start >> '{log}'\nexec '{real}' \"$@\"\n")
    python.chmod(0o755)
    return {"python": python, "site": site, "log": log}


def starts(venv):
    return len(venv["log"].read_text().splitlines())


@pytest.fixture
def root(tmp_path):
    r = tmp_path / "proj"
    (r / "tests").mkdir(parents=True)
    (r / "pytest.ini").write_text("[pytest]\n")
    (r / "tests" / "conftest.py").write_text(CONFTEST)
    (r / "tests" / "helpers.py").write_text(HELPERS)
    (r / "tests" / "test_x.py").write_text(MODULE)
    (r / "tests" / "test_plain.py").write_text("def test_ok():\n    pass\n")
    return r


def discover(fastest_bin, root, venv, *args):
    proc = subprocess.run([str(fastest_bin), "discover", "--python", str(venv["python"]), *args],
                          cwd=root, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def ids(output):
    return [line for line in output.splitlines() if "::" in line]


def without_time(output):
    return re.sub(r" in [0-9.]+s", "", output)


def test_a_second_discover_prints_the_same_without_python(fastest_bin, root, venv):
    first = discover(fastest_bin, root, venv)
    assert ids(first) == EXPECTED
    assert starts(venv) > 0
    before = starts(venv)
    second = discover(fastest_bin, root, venv)
    assert without_time(second) == without_time(first)
    assert starts(venv) == before
    assert list((root / ".fastest_cache" / "settled").glob("*.json"))


@pytest.mark.parametrize("edit, expected", [
    ("conftest", [i.replace("letter[b]", "letter[c]") for i in EXPECTED]),
    ("module", [i for i in EXPECTED if "letter" not in i]),
    ("helper", [i for i in EXPECTED if "x[3]" not in i]),
])
def test_an_edit_of_what_the_answer_depends_on_misses(fastest_bin, root, venv, edit, expected):
    discover(fastest_bin, root, venv)
    before = starts(venv)
    if edit == "conftest":
        (root / "tests" / "conftest.py").write_text(CONFTEST.replace('"b"', '"c"'))
    elif edit == "module":
        (root / "tests" / "test_x.py").write_text(MODULE.split("\n\ndef test_letter")[0] + "\n")
    else:
        (root / "tests" / "helpers.py").write_text("def make(sentinel=id(())):\n    return [1, 2]\n")
    assert ids(discover(fastest_bin, root, venv)) == expected
    assert starts(venv) > before
    # ...and the new answer is the one cached.
    after = starts(venv)
    assert ids(discover(fastest_bin, root, venv)) == expected
    assert starts(venv) == after


def test_a_plugin_version_change_misses(fastest_bin, root, venv):
    discover(fastest_bin, root, venv)
    before = starts(venv)
    (venv["site"] / "fastest_fake_plugin-1.0.dist-info").rename(venv["site"] / "fastest_fake_plugin-1.1.dist-info")
    assert ids(discover(fastest_bin, root, venv)) == EXPECTED
    assert starts(venv) > before


def test_a_pytest_upgrade_misses(fastest_bin, root, venv):
    discover(fastest_bin, root, venv)
    before = starts(venv)
    (dist,) = venv["site"].glob("pytest-*.dist-info")
    version = dist.name[len("pytest-"):-len(".dist-info")]
    bumped = venv["site"] / f"pytest-{version}.post1.dist-info"
    dist.rename(bumped)
    assert ids(discover(fastest_bin, root, venv)) == EXPECTED
    assert starts(venv) > before


def test_a_version_edited_in_place_in_the_metadata_misses(fastest_bin, root, venv):
    dist = venv["site"] / "fastest_fake_plugin-1.0.dist-info"
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: fastest-fake-plugin\nVersion: 1.0\n")
    discover(fastest_bin, root, venv)
    before = starts(venv)
    time.sleep(0.01)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: fastest-fake-plugin\nVersion: 1.1\n")
    assert ids(discover(fastest_bin, root, venv)) == EXPECTED
    assert starts(venv) > before


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty"])
def test_a_corrupt_entry_is_a_miss(fastest_bin, root, venv, damage):
    discover(fastest_bin, root, venv)
    for entry in (root / ".fastest_cache" / "settled").glob("*.json"):
        text = entry.read_text()
        entry.write_text({"truncate": text[: len(text) // 2], "garbage": "\x00{]", "empty": ""}[damage])
    before = starts(venv)
    assert ids(discover(fastest_bin, root, venv)) == EXPECTED
    assert starts(venv) > before


def test_a_stale_answer_under_a_forged_key_is_never_printed(fastest_bin, root, venv):
    """An entry whose imported files' hashes no longer match (a helper edited) is a miss even
    though the module, conftests and environment are the same."""
    discover(fastest_bin, root, venv)
    (root / "tests" / "helpers.py").write_text("def make(sentinel=id(())):\n    return [7]\n")
    out = ids(discover(fastest_bin, root, venv))
    assert "tests/test_x.py::test_x[7]" in out and "tests/test_x.py::test_x[1]" not in out


def test_cache_clear_forgets_the_answers(fastest_bin, root, venv):
    discover(fastest_bin, root, venv)
    before = starts(venv)
    assert ids(discover(fastest_bin, root, venv, "--cache-clear")) == EXPECTED
    assert starts(venv) > before


def test_no_settle_neither_reads_nor_asks(fastest_bin, root, venv):
    discover(fastest_bin, root, venv)
    before = starts(venv)
    out = discover(fastest_bin, root, venv, "--no-settle")
    assert "tests/test_x.py::test_x[1]" not in out
    assert starts(venv) == before


# --- the language server -------------------------------------------------------------------
def wait_settled(client, start=0, timeout=60):
    return client.wait_for(lambda m: m.get("method") == "fastest/settleState" and m["params"]["state"] == "settled",
                           timeout, start)["params"]


def published_cases(client, path):
    with client.lock:
        pubs = [m["params"]["items"] for m in client.messages
                if m.get("method") == "fastest/discoveredTests" and m["params"]["scopeUri"] == uri(path)]
    return sorted(i["id"] for i in pubs[-1] if i["kind"] == "case") if pubs else []


def open_server(fastest_bin, root, venv):
    client = LspClient(fastest_bin, cwd=root)
    client.initialize(root, options={"pythonPath": str(venv["python"])})
    wait_settled(client)
    return client


def test_a_reopened_workspace_publishes_the_settled_tree_without_python(fastest_bin, root, venv):
    expected = sorted(i for i in EXPECTED if "[" in i)
    client = open_server(fastest_bin, root, venv)
    try:
        assert published_cases(client, root / "tests" / "test_x.py") == expected
    finally:
        client.close()
    before = starts(venv)
    assert before > 0
    client = open_server(fastest_bin, root, venv)
    try:
        assert published_cases(client, root / "tests" / "test_x.py") == expected
        assert starts(venv) == before
    finally:
        client.close()


def test_a_conftest_edit_between_two_sessions_misses(fastest_bin, root, venv):
    client = open_server(fastest_bin, root, venv)
    client.close()
    (root / "tests" / "conftest.py").write_text(CONFTEST.replace('"b"', '"c"'))
    before = starts(venv)
    client = open_server(fastest_bin, root, venv)
    try:
        assert "tests/test_x.py::test_letter[c]" in published_cases(client, root / "tests" / "test_x.py")
        assert starts(venv) > before
    finally:
        client.close()
