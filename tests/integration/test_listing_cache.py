"""The listing cache (<rootdir>/.fastest_cache/listing): a `fastest discover` of a project where
nothing changed prints the listing it printed before, from a stat of every file and folder it
depends on, without walking, parsing or starting Python (`--timings` says `cached`). Anything
that can change the listing makes it miss: a file edited to the same size, a file or folder
created, a config file created above the rootdir, a file behind a symbolic link, an environment
variable; a damaged entry is a miss; an input written while the listing was computed is not
trusted."""
import os
import pathlib
import re
import subprocess
import time

import pytest

CONFTEST = """import pathlib

import pytest

LETTERS = (pathlib.Path(__file__).parent / "letters.txt").read_text().split()


@pytest.fixture(params=LETTERS)
def letter(request):
    return request.param
"""

MODULE = """import pytest
from helpers import make


@pytest.mark.parametrize("x", make())
def test_x(x):
    pass


def test_letter(letter):
    pass
"""


@pytest.fixture
def root(tmp_path):
    r = tmp_path / "proj"
    (r / "tests").mkdir(parents=True)
    (r / "pytest.ini").write_text("[pytest]\n")
    (r / "tests" / "conftest.py").write_text(CONFTEST)
    (r / "tests" / "letters.txt").write_text("a b\n")
    (r / "tests" / "helpers.py").write_text("def make():\n    return [1, 2]\n")
    (r / "tests" / "test_x.py").write_text(MODULE)
    return r


def discover(fastest_bin, python_exe, cwd, *args, env=None):
    """(ids, whether the listing cache answered, the whole stdout)."""
    proc = subprocess.run([str(fastest_bin), "discover", "--python", python_exe, "--timings", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    ids = [line for line in proc.stdout.splitlines() if "::" in line]
    return ids, re.search(r"^  cached ", proc.stderr, re.M) is not None, proc.stdout


def quiet():
    """Let the files written last age past the margin within which the cache does not trust them."""
    time.sleep(0.15)


def warm(fastest_bin, python_exe, cwd, *args, env=None):
    """Runs until the listing cache answers (the first runs compute and store); its ids."""
    quiet()
    for _ in range(3):
        ids, cached, _ = discover(fastest_bin, python_exe, cwd, *args, env=env)
        if cached:
            return ids
        quiet()
    pytest.fail("the listing cache never answered")


EXPECTED = ["tests/test_x.py::test_x[1]", "tests/test_x.py::test_x[2]",
            "tests/test_x.py::test_letter[a]", "tests/test_x.py::test_letter[b]"]


def test_an_unchanged_project_is_answered_from_the_cache(fastest_bin, python_exe, root):
    first, cached, first_out = discover(fastest_bin, python_exe, root)
    assert first == EXPECTED and not cached
    assert warm(fastest_bin, python_exe, root) == EXPECTED
    _, cached, out = discover(fastest_bin, python_exe, root)
    assert cached
    strip = lambda text: re.sub(r" in [0-9.]+s", "", text)  # noqa: E731
    assert strip(out) == strip(first_out)
    assert list((root / ".fastest_cache" / "listing").glob("*.cbor"))


def test_a_data_file_edited_to_the_same_size_misses(fastest_bin, python_exe, root):
    warm(fastest_bin, python_exe, root)
    (root / "tests" / "letters.txt").write_text("c d\n")  # same size; read by the conftest at import
    ids, cached, _ = discover(fastest_bin, python_exe, root)
    assert not cached
    assert ids == [i.replace("[a]", "[c]").replace("[b]", "[d]") for i in EXPECTED]


def test_a_test_file_in_a_new_folder_misses(fastest_bin, python_exe, root):
    warm(fastest_bin, python_exe, root)
    (root / "tests" / "sub").mkdir()
    (root / "tests" / "sub" / "test_new.py").write_text("def test_new():\n    pass\n")
    ids, cached, _ = discover(fastest_bin, python_exe, root)
    assert not cached and "tests/sub/test_new.py::test_new" in ids


def test_a_helper_module_edit_misses(fastest_bin, python_exe, root):
    warm(fastest_bin, python_exe, root)
    (root / "tests" / "helpers.py").write_text("def make():\n    return [3, 4]\n")
    ids, cached, _ = discover(fastest_bin, python_exe, root)
    assert not cached and "tests/test_x.py::test_x[3]" in ids and "tests/test_x.py::test_x[1]" not in ids


def test_a_config_file_created_above_the_rootdir_misses(fastest_bin, python_exe, tmp_path):
    proj = tmp_path / "outer" / "proj"
    (proj / "tests").mkdir(parents=True)
    (proj / "tests" / "test_a.py").write_text("def test_a():\n    pass\n\n\ndef check_b():\n    pass\n")
    assert warm(fastest_bin, python_exe, proj) == ["tests/test_a.py::test_a"]
    # pytest now takes outer/ as the rootdir, with its python_functions.
    (tmp_path / "outer" / "pytest.ini").write_text("[pytest]\npython_functions = check_*\n")
    ids, cached, _ = discover(fastest_bin, python_exe, proj)
    assert not cached and ids == ["proj/tests/test_a.py::check_b"]


def test_a_file_behind_a_symbolic_link_is_watched(fastest_bin, python_exe, root, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "test_far.py").write_text("def test_far():\n    pass\n")
    (root / "tests" / "linked").symlink_to(outside, target_is_directory=True)
    assert "tests/linked/test_far.py::test_far" in warm(fastest_bin, python_exe, root)
    (outside / "test_far.py").write_text("def test_far():\n    pass\n\n\ndef test_farther():\n    pass\n")
    ids, cached, _ = discover(fastest_bin, python_exe, root)
    assert not cached and "tests/linked/test_far.py::test_farther" in ids


def test_an_environment_variable_misses(fastest_bin, python_exe, root):
    warm(fastest_bin, python_exe, root)
    env = dict(os.environ, PYTEST_ADDOPTS="-k letter")
    ids, cached, _ = discover(fastest_bin, python_exe, root, env=env)
    assert not cached and ids == [i for i in EXPECTED if "letter" in i]
    env = dict(os.environ, SOME_FLAG_A_CONFTEST_MAY_READ="1")
    ids, cached, _ = discover(fastest_bin, python_exe, root, env=env)
    assert not cached and ids == EXPECTED


def test_other_arguments_are_another_entry(fastest_bin, python_exe, root):
    warm(fastest_bin, python_exe, root)
    ids, cached, _ = discover(fastest_bin, python_exe, root, "tests/test_x.py::test_letter")
    assert not cached and ids == [i for i in EXPECTED if "letter" in i]
    ids, cached, _ = discover(fastest_bin, python_exe, root)
    assert cached and ids == EXPECTED


def test_an_input_written_while_it_was_computed_is_not_trusted(fastest_bin, python_exe, root):
    """A conftest that writes a file under the rootdir while pytest imports it: the listing of
    that run is not stored (its fingerprint would describe a file newer than what was read)."""
    conftest = root / "tests" / "conftest.py"
    conftest.write_text(CONFTEST + "\n(pathlib.Path(__file__).parent / 'stamp.txt').write_text('written at import')\n")
    warm(fastest_bin, python_exe, root)
    # --cache-clear: pytest settles again, so the conftest writes stamp.txt during this run.
    ids, cached, _ = discover(fastest_bin, python_exe, root, "--cache-clear")
    assert not cached and ids == EXPECTED
    assert not list((root / ".fastest_cache" / "listing").glob("*.cbor"))
    # The next run reads the settled cache (no Python, nothing written): stored, then answered.
    quiet()
    assert warm(fastest_bin, python_exe, root) == EXPECTED


def sections(data):
    """An entry's magic line, its three length-prefixed sections (key, fingerprint, head), its ids."""
    at = data.index(b"\n") + 1
    magic, parts = data[:at], []
    for _ in range(3):
        end = data.index(b"\n", at)
        length = int(data[at:end])
        parts.append(data[end + 1:end + 1 + length])
        at = end + 1 + length
    return magic, parts, data[at:]


def joined(magic, parts, ids):
    return magic + b"".join(str(len(p)).encode() + b"\n" + p for p in parts) + ids


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty", "deep", "bad-length", "fingerprint"])
def test_a_damaged_entry_is_a_miss(fastest_bin, python_exe, root, damage):
    warm(fastest_bin, python_exe, root)
    for entry in (root / ".fastest_cache" / "listing").glob("*.cbor"):
        data = entry.read_bytes()
        magic, (key, fingerprint, head), ids = sections(data)
        entry.write_bytes({"truncate": data[: len(data) // 2],
                           "garbage": b"\x00{]",
                           "empty": b"",
                           # the listing's head: CBOR arrays nested 100,000 deep
                           "deep": joined(magic, [key, fingerprint, b"\x81" * 100000 + b"\x01"], ids),
                           "bad-length": magic + b"99999999999\n" + data[len(magic):],
                           "fingerprint": joined(magic, [key, fingerprint.replace(b" ", b"x", 3), head], ids)}[damage])
    ids, cached, _ = discover(fastest_bin, python_exe, root)
    assert not cached and ids == EXPECTED


def test_cache_clear_forgets_the_listing(fastest_bin, python_exe, root):
    warm(fastest_bin, python_exe, root)
    entry = next((root / ".fastest_cache" / "listing").glob("*.cbor"))
    entry.write_bytes(entry.read_bytes().replace(b"test_letter[a]", b"test_letter[z]"))  # would show if read
    ids, cached, _ = discover(fastest_bin, python_exe, root, "--cache-clear")
    assert not cached and ids == EXPECTED


def test_json_is_never_cached(fastest_bin, python_exe, root):
    warm(fastest_bin, python_exe, root)
    proc = subprocess.run([str(fastest_bin), "discover", "--python", python_exe, "--json", "--timings"], cwd=root,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and '"items"' in proc.stdout and "  cached " not in proc.stderr


def test_a_file_added_to_a_folder_a_conftest_globs_misses(fastest_bin, python_exe, root):
    """The settled cache below keys the answer on the folder the conftest listed, not only on
    the files it imported."""
    (root / "tests" / "cases").mkdir()
    (root / "tests" / "cases" / "one.txt").write_text("")
    (root / "tests" / "conftest.py").write_text(
        CONFTEST + "\n\n@pytest.fixture(params=sorted(p.stem for p in (pathlib.Path(__file__).parent / 'cases').glob('*.txt')))\n"
                   "def case(request):\n    return request.param\n")
    (root / "tests" / "test_cases.py").write_text("def test_case(case):\n    pass\n")
    assert "tests/test_cases.py::test_case[one]" in warm(fastest_bin, python_exe, root)
    (root / "tests" / "cases" / "two.txt").write_text("")
    ids, cached, _ = discover(fastest_bin, python_exe, root)
    assert not cached and "tests/test_cases.py::test_case[two]" in ids
    # and with the listing cache gone, the settled cache alone misses too
    for entry in (root / ".fastest_cache" / "listing").glob("*.cbor"):
        entry.unlink()
    quiet()
    (root / "tests" / "cases" / "three.txt").write_text("")
    ids, cached, _ = discover(fastest_bin, python_exe, root)
    assert not cached and "tests/test_cases.py::test_case[three]" in ids


def test_no_listing_cache_computes_the_listing(fastest_bin, python_exe, root):
    warm(fastest_bin, python_exe, root)
    entry = next((root / ".fastest_cache" / "listing").glob("*.cbor"))
    stored = entry.read_bytes()
    entry.write_bytes(stored.replace(b"test_letter[a]", b"test_letter[z]"))  # would show if read
    ids, cached, _ = discover(fastest_bin, python_exe, root, "--no-listing-cache")
    assert not cached and ids == EXPECTED
