"""A project module that a conftest imports lives in the worker itself (its prepared pytest
session imported the conftest): an edit of it, on disk or in an unsaved buffer, must reach the
next run, as it reaches `pytest` started afresh. Through the real server, against real pytest."""
import pytest

from lsp_client import uri
from test_lsp_project_image import client, edit_unsaved, run, touch_later  # noqa: F401 (client: a fixture, on this module's tree)
from test_run_parity import make_project

SETTINGS = "ANSWER = 42\n"
FILES = {
    "pytest.ini": "[pytest]\npythonpath = .\n",
    "app/__init__.py": "",
    "app/settings.py": SETTINGS,
    "tests/conftest.py": ("import pytest\n\nfrom app import settings\n\n\n"
                          "@pytest.fixture\ndef answer():\n    return settings.ANSWER\n"),
    "tests/test_answer.py": "def test_answer(answer):\n    assert answer == 42\n",
}
ANSWER = "tests/test_answer.py::test_answer"


@pytest.fixture
def tree(tmp_path):
    return make_project(tmp_path / "proj", FILES)


def warm(client):
    for _ in range(4):  # the prepared session, then the image and its collected process
        assert run(client, ANSWER)[ANSWER]["state"] == "passed"


def test_an_edit_on_disk_of_a_module_a_conftest_imports_is_seen_by_the_next_run(client, tree):
    warm(client)
    touch_later(tree / "app/settings.py", "ANSWER = 41\n")
    for _ in range(3):
        result = run(client, ANSWER)[ANSWER]
        assert result["state"] == "failed" and "41 == 42" in result["message"], result


def test_an_unsaved_buffer_of_a_module_a_conftest_imports_is_what_runs(client, tree):
    warm(client)
    path = tree / "app/settings.py"
    edit_unsaved(client, path, "ANSWER = 40\n")
    for _ in range(3):
        result = run(client, ANSWER)[ANSWER]
        assert result["state"] == "failed" and "40 == 42" in result["message"], result
    client.notify("textDocument/didClose", {"textDocument": {"uri": uri(path)}})
    assert run(client, ANSWER)[ANSWER]["state"] == "passed"  # the file on disk again
