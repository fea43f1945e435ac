"""A test class inheriting from a base in another module: editing the base (an open buffer, or
the file on disk) re-discovers the subclass's module, whose inherited tests appear and
disappear in the tree at once, open or not."""
import pytest

from lsp_client import LspClient, uri
from test_lsp_resettle import next_publication, open_module, sync, wait_settled

BASE = """class BaseTests:
    def test_inherited(self):
        pass
"""

SUBCLASS = """from helpers.base import BaseTests


class TestSub(BaseTests):
    def test_own(self):
        pass
"""


@pytest.fixture
def root(tmp_path):
    r = tmp_path / "proj"
    (r / "tests").mkdir(parents=True)
    (r / "helpers").mkdir()
    (r / "pytest.ini").write_text("[pytest]\n")
    (r / "helpers" / "__init__.py").write_text("")
    (r / "helpers" / "base.py").write_text(BASE)
    (r / "tests" / "__init__.py").write_text("")
    (r / "tests" / "test_sub.py").write_text(SUBCLASS)
    return r


@pytest.fixture
def client(fastest_bin, root, python_exe):
    c = LspClient(fastest_bin, cwd=root)
    c.initialize(root, options={"pythonPath": python_exe})
    wait_settled(c, 0)
    yield c
    c.close()


def static_tests(items):
    return {i["id"] for i in items if i["kind"] == "function" and not i.get("dynamic")}


def insert(client, path, version, line, text):
    client.notify("textDocument/didChange", {
        "textDocument": {"uri": uri(path), "version": version},
        "contentChanges": [{"range": {"start": {"line": line, "character": 0}, "end": {"line": line, "character": 0}},
                            "text": text}]})


OWN, INHERITED, ADDED = ("tests/test_sub.py::TestSub::" + n for n in ("test_own", "test_inherited", "test_added"))


@pytest.mark.parametrize("subclass_open", [False, True])
def test_editing_a_base_in_a_buffer_updates_the_subclass_tests(client, root, subclass_open):
    base, sub = root / "helpers" / "base.py", root / "tests" / "test_sub.py"
    start = client.mark()
    if subclass_open:
        open_module(client, sub)
    client.request("fastest/discoverTests", {})
    open_module(client, base)
    start = client.mark()
    insert(client, base, 2, 3, "    def test_added(self):\n        pass\n")
    items = next_publication(client, start, uri(sub))
    assert static_tests(items) == {OWN, INHERITED, ADDED}
    start = client.mark()
    insert(client, base, 3, 0, "import sys\nif sys.argv:\n    pass\n")  # still unconditional: same tests
    sync(client)
    start = client.mark()
    # The base becomes conditional: its tests are no longer known statically.
    client.notify("textDocument/didChange", {
        "textDocument": {"uri": uri(base), "version": 4},
        "contentChanges": [{"text": "import sys\nif sys.argv:\n    class BaseTests:\n        pass\n"}]})
    items = next_publication(client, start, uri(sub))
    assert INHERITED not in static_tests(items) and ADDED not in static_tests(items)
    sub_class = next(i for i in items if i["id"] == "tests/test_sub.py::TestSub")
    assert sub_class.get("dynamic")
    # Closing the unsaved buffer: the base is the file on disk again.
    start = client.mark()
    client.notify("textDocument/didClose", {"textDocument": {"uri": uri(base)}})
    items = next_publication(client, start, uri(sub))
    assert static_tests(items) == {OWN, INHERITED}


def test_a_base_changed_on_disk_updates_the_subclass_tests(client, root):
    base, sub = root / "helpers" / "base.py", root / "tests" / "test_sub.py"
    client.request("fastest/discoverTests", {})
    start = client.mark()
    base.write_text(BASE + "\n    def test_on_disk(self):\n        pass\n")
    client.notify("workspace/didChangeWatchedFiles", {"changes": [{"uri": uri(base), "type": 2}]})
    items = next_publication(client, start, uri(sub))
    assert static_tests(items) == {OWN, INHERITED, "tests/test_sub.py::TestSub::test_on_disk"}
