"""A root's tree in chunks (docs/protocol.md, fastestTreeChunks): a client that opts in gets
several fastest/discoveredTests of at most 2,000 items — the first replaces, the next ones
append, all but the last say `more` — which together are the one message an older client gets."""
from lsp_client import LspClient


def workspace(root, files=250, tests_per_file=10):
    (root / "pytest.ini").write_text("[pytest]\n")
    for f in range(files):
        d = root / "tests" / f"pkg_{f % 5}"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"test_m{f}.py").write_text("".join(f"def test_{t}():\n    pass\n\n" for t in range(tests_per_file)))


def tree_messages(fastest_bin, python_exe, root, capabilities):
    client = LspClient(fastest_bin, cwd=root)
    try:
        client.initialize(root, capabilities=capabilities, options={"pythonPath": python_exe})
        client.wait_for(lambda m: m.get("method") == "fastest/discoveredTests" and not m["params"].get("more"), timeout=60)
        return client.notifications("fastest/discoveredTests")
    finally:
        client.close()


def test_a_client_that_opts_in_gets_the_tree_in_chunks_that_add_up_to_the_whole(fastest_bin, python_exe, tmp_path):
    workspace(tmp_path)  # 2,500 tests, 250 modules, 6 folders: 2,756 items
    whole = tree_messages(fastest_bin, python_exe, tmp_path, None)
    chunks = tree_messages(fastest_bin, python_exe, tmp_path, {"experimental": {"fastestTreeChunks": True}})
    assert len(whole) == 1 and "more" not in whole[0] and "append" not in whole[0]
    assert [len(c["items"]) for c in chunks] == [2000, 756]
    assert [c.get("append", False) for c in chunks] == [False, True]
    assert [c.get("more", False) for c in chunks] == [True, False]
    assert {c["scopeUri"] for c in chunks} == {whole[0]["scopeUri"]}
    assert [i for c in chunks for i in c["items"]] == whole[0]["items"]
    # Parents come before their children across chunks too.
    seen = set()
    for item in (i for c in chunks for i in c["items"]):
        assert item.get("parentId") is None or item["parentId"] in seen
        seen.add(item["id"])
