"""`fastest run` forgets a module pytest's cache recorded as failing to collect once it
collects again, as pytest does (LFPlugin.pytest_collectreport), instead of keeping it forever."""

from test_run_cache import cached, fastest, make_tree, pytest_run

FILES = {
    "pytest.ini": "[pytest]\n",
    "tests/test_ok.py": "def test_a(): pass\ndef test_b(): assert 0\n",
    "tests/test_broken.py": "import not_a_module_anywhere\ndef test_x(): pass\n",
}


def test_a_module_that_collects_again_leaves_lastfailed(fastest_bin, python_exe, tmp_path):
    theirs, ours = make_tree(tmp_path / "pytest", FILES), make_tree(tmp_path / "fastest", FILES)
    pytest_run(python_exe, theirs)
    fastest(fastest_bin, python_exe, ours)
    assert cached(ours, "lastfailed") == cached(theirs, "lastfailed")
    for root in (theirs, ours):
        (root / "tests/test_broken.py").write_text("def test_x(): pass\n")
    pytest_run(python_exe, theirs)
    fastest(fastest_bin, python_exe, ours)
    assert cached(theirs, "lastfailed") == {"tests/test_ok.py::test_b": True}
    assert cached(ours, "lastfailed") == cached(theirs, "lastfailed")
