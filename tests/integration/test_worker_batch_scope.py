"""The batch child's folding of whole-module arguments into their folder (batch_scope.fold):
which runs are folded, and which must stay file by file for pytest to do the same."""
import pathlib
import sys

import pytest

WORKER = pathlib.Path(__file__).resolve().parents[2] / "worker"
sys.path.insert(0, str(WORKER))
from fastest_worker import batch_scope  # noqa: E402


@pytest.fixture
def tree(tmp_path, monkeypatch):
    for name in ["a/test_1.py", "a/test_2.py", "a/test_3.py", "a/sub/test_4.py", "b/test_5.py", "b/test_6.py",
                 "top_1.py", "top_2.py", "a/__init__.py"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("def test_x():\n    pass\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_runs_of_whole_modules_in_one_folder_become_the_folder(tree):
    args, folded = batch_scope.fold(["b/test_5.py", "b/test_6.py"])
    assert args == ["b"]
    assert folded == {str(tree / "b/test_5.py"), str(tree / "b/test_6.py")}
    assert batch_scope.fold(["top_1.py", "top_2.py"])[0] == ["."]


def test_what_pytest_would_collect_or_order_otherwise_stays_file_by_file(tree):
    # a partial module in the folder, something under it, out of pytest's order, a lone file,
    # a package's __init__.py, a folder argument above it
    for ids in (["a/test_1.py", "a/test_2.py", "a/test_3.py::test_x"],
                ["a/test_1.py", "a/test_2.py", "a/sub/test_4.py"],
                ["b/test_6.py", "b/test_5.py"],
                ["b/test_5.py"],
                ["a/__init__.py", "a/test_1.py"],
                ["b", "b/test_5.py", "b/test_6.py"],
                ["b/test_5.py", "a/test_1.py", "b/test_6.py"],
                ["b/test_5.py", "b/missing.py"]):
        args, folded = batch_scope.fold(ids)
        assert args == ids and not folded, ids


def test_a_folded_run_keeps_its_place_among_the_other_arguments(tree):
    args, _ = batch_scope.fold(["a/test_1.py::test_x", "b/test_5.py", "b/test_6.py", "top_1.py"])
    assert args == ["a/test_1.py::test_x", "b", "top_1.py"]
