"""A test parametrized by a call of the module's own function (`make()`, evaluated statically):
an unsaved edit inside that function's body changes the published cases at once. The editor's
fast path for an edit inside a function body (items only move) must not apply to a body the
evaluator read."""
import pytest

from lsp_client import LspClient, uri

MODULE = """import pytest


def make():
    out = []
    for i in range(2):
        out.append(i)
    return out


@pytest.mark.parametrize("x", make())
def test_x(x):
    pass
"""


@pytest.fixture
def client(fastest_bin, python_exe, tmp_path):
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_calls.py").write_text(MODULE)
    c = LspClient(fastest_bin, cwd=tmp_path)
    c.initialize(tmp_path, options={"pythonPath": python_exe})
    yield c
    c.close()


def cases(client, start, path):
    def published(m):
        return m.get("method") == "fastest/discoveredTests" and m["params"]["scopeUri"] == uri(path)
    items = client.wait_for(published, 30, start)["params"]["items"]
    return sorted(i["id"] for i in items if i["kind"] == "case"), [i for i in items if i.get("dynamic")]


def test_an_edit_in_the_body_of_an_evaluated_function_changes_the_cases(client, tmp_path):
    path = tmp_path / "test_calls.py"
    start = client.mark()
    client.notify("textDocument/didOpen", {"textDocument": {"uri": uri(path), "languageId": "python", "version": 1,
                                                            "text": MODULE}})
    ids, dynamic = cases(client, start, path)
    assert ids == ["test_calls.py::test_x[0]", "test_calls.py::test_x[1]"] and not dynamic
    # range(2) -> range(3), inside make()'s body, unsaved
    line = MODULE.splitlines().index("    for i in range(2):")
    column = MODULE.splitlines()[line].index("2")
    start = client.mark()
    client.notify("textDocument/didChange", {
        "textDocument": {"uri": uri(path), "version": 2},
        "contentChanges": [{"range": {"start": {"line": line, "character": column},
                                      "end": {"line": line, "character": column + 1}}, "text": "3"}]})
    ids, dynamic = cases(client, start, path)
    assert ids == ["test_calls.py::test_x[0]", "test_calls.py::test_x[1]", "test_calls.py::test_x[2]"] and not dynamic


HOOK_MODULE = """import pytest


def pytest_generate_tests(metafunc):
    if "v" in metafunc.fixturenames:
        metafunc.parametrize("v", [1, 2])


def test_v(v):
    pass
"""


def test_an_edit_in_the_body_of_a_generate_tests_hook_changes_the_cases(client, tmp_path):
    """The module's own pytest_generate_tests is read (issue 13): its body holds the cases."""
    path = tmp_path / "test_hook.py"
    path.write_text(HOOK_MODULE)
    start = client.mark()
    client.notify("textDocument/didOpen", {"textDocument": {"uri": uri(path), "languageId": "python", "version": 1,
                                                            "text": HOOK_MODULE}})
    ids, dynamic = cases(client, start, path)
    assert ids == ["test_hook.py::test_v[1]", "test_hook.py::test_v[2]"] and not dynamic
    line = HOOK_MODULE.splitlines().index('        metafunc.parametrize("v", [1, 2])')
    column = HOOK_MODULE.splitlines()[line].index("2]")
    start = client.mark()
    client.notify("textDocument/didChange", {
        "textDocument": {"uri": uri(path), "version": 2},
        "contentChanges": [{"range": {"start": {"line": line, "character": column},
                                      "end": {"line": line, "character": column + 1}}, "text": "2, 3"}]})
    ids, dynamic = cases(client, start, path)
    assert ids == ["test_hook.py::test_v[1]", "test_hook.py::test_v[2]", "test_hook.py::test_v[3]"] and not dynamic
