"""The language server's collection asks the interpreter installed modules' values (issue 13):
a test parametrized with `math.pi` or `string.ascii_lowercase[:2]` is published with its cases,
static, as `fastest discover` lists them; an edit keeps them (the answers live with the root)."""
import pytest

from lsp_client import LspClient, uri

MODULE = """import math
import string

import pytest


@pytest.mark.parametrize("x", [math.pi, math.e])
def test_constants(x):
    pass


@pytest.mark.parametrize("c", string.ascii_lowercase[:2])
def test_chars(c):
    pass
"""


@pytest.fixture
def client(fastest_bin, python_exe, tmp_path):
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_lib.py").write_text(MODULE)
    c = LspClient(fastest_bin, cwd=tmp_path)
    c.initialize(tmp_path, options={"pythonPath": python_exe})
    yield c
    c.close()


def published_cases(client, start, path):
    def published(m):
        return m.get("method") == "fastest/discoveredTests" and m["params"]["scopeUri"] == uri(path)
    items = client.wait_for(published, 60, start)["params"]["items"]
    return [i["id"] for i in items if i["kind"] == "case"], [i["id"] for i in items if i.get("dynamic")]


EXPECTED = ["test_lib.py::test_constants[3.141592653589793]", "test_lib.py::test_constants[2.718281828459045]",
            "test_lib.py::test_chars[a]", "test_lib.py::test_chars[b]"]


def test_installed_values_are_published_static_and_survive_an_edit(client, tmp_path):
    path = tmp_path / "test_lib.py"
    client.request("fastest/discoverTests", {}, timeout=60)  # the root's collection has landed
    start = client.mark()
    client.notify("textDocument/didOpen", {"textDocument": {"uri": uri(path), "languageId": "python", "version": 1,
                                                            "text": MODULE}})
    ids, dynamic = published_cases(client, start, path)
    assert ids == EXPECTED and not dynamic
    # An edit elsewhere in the file: the module is read again with the same answers.
    start = client.mark()
    client.notify("textDocument/didChange", {"textDocument": {"uri": uri(path), "version": 2},
                                             "contentChanges": [{"text": MODULE + "\n\ndef test_more():\n    pass\n"}]})
    ids, dynamic = published_cases(client, start, path)
    assert ids == EXPECTED and not dynamic
