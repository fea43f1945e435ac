"""What the project image and its collected process depend on (image.Holdings): a file saved
while a build imported it must never leave a process holding its old code unseen."""
import importlib
import os
import pathlib
import sys
import time

import pytest

WORKER = pathlib.Path(__file__).resolve().parents[2] / "worker"
sys.path.insert(0, str(WORKER))
from fastest_worker import image  # noqa: E402


@pytest.fixture
def package(tmp_path, monkeypatch):
    """An importable folder; its modules are forgotten afterwards."""
    monkeypatch.syspath_prepend(str(tmp_path))
    before = set(sys.modules)
    yield tmp_path
    for name in set(sys.modules) - before:
        del sys.modules[name]


def write_long_ago(path, text):
    path.write_text(text)
    past = time.time_ns() - 3600 * 10**9
    os.utime(path, ns=(past, past))


def test_a_file_imported_and_left_alone_is_held_with_its_stamp(package):
    write_long_ago(package / "held_a.py", "VALUE = 1\n")
    holdings = image.Holdings()
    importlib.import_module("held_a")
    holdings.take()
    path = os.path.realpath(package / "held_a.py")
    assert holdings.files == {path: image.stamp(path)}
    assert "held_a" in holdings.new_modules
    assert holdings.changed_while_taken() is None


def test_a_file_saved_after_its_import_is_seen_at_the_end(package):
    write_long_ago(package / "held_b.py", "VALUE = 1\n")
    holdings = image.Holdings()
    importlib.import_module("held_b")
    holdings.take()
    (package / "held_b.py").write_text("VALUE = 2\n")  # the same size: only the mtime tells
    assert holdings.changed_while_taken() == os.path.realpath(package / "held_b.py")


def test_a_file_saved_while_it_was_imported_is_seen_by_its_mtime(package):
    holdings = image.Holdings()
    (package / "held_c.py").write_text("VALUE = 1\n")  # a save inside the import's window
    importlib.import_module("held_c")
    holdings.take()
    assert holdings.changed_while_taken() == os.path.realpath(package / "held_c.py")


def test_a_module_replaced_under_the_same_name_counts_as_new(package, monkeypatch):
    """pytest imports every conftest as `conftest`: the second one is a new holding too."""
    first, second = package / "one", package / "two"
    for folder in (first, second):
        folder.mkdir()
        write_long_ago(folder / "conftest_like.py", f"WHERE = {folder.name!r}\n")
    monkeypatch.syspath_prepend(str(first))  # sys.path is restored afterwards
    importlib.import_module("conftest_like")
    holdings = image.Holdings()
    del sys.modules["conftest_like"]
    sys.path[0] = str(second)
    importlib.import_module("conftest_like")
    holdings.take()
    assert list(holdings.files) == [os.path.realpath(second / "conftest_like.py")]
