"""Issue 13: parametrized fixtures and harmless conftest hooks, statically. Each tree is run
through real pytest and `fastest discover`: the output must be equal, and with --no-settle the
items must be static (not flagged dynamic) where the rules know them, and never a wrong id: an
item fastest does not flag is one pytest prints, in pytest's order."""
import json
import subprocess
import textwrap

import pytest

from test_discover_parity import assert_parity, pytest_collect, write_tree


def static_items(fastest_bin, python_exe, cwd, *args):
    """The selected items of `--no-settle --json`: those not flagged dynamic (by themselves or
    an enclosing module or folder), and those flagged."""
    proc = subprocess.run([fastest_bin, "discover", "--python", python_exe, "--no-settle", "--json", *args],
                          cwd=cwd, capture_output=True, text=True)
    tree = json.loads(proc.stdout)
    by_id = {item["id"]: item for item in tree["items"]}

    def flagged(node_id):
        while node_id:
            item = by_id.get(node_id, {})
            if item.get("dynamic"):
                return True
            node_id = item.get("parentId")
        return False

    selected = tree.get("selected", [])
    return [i for i in selected if not flagged(i)], [i for i in selected if flagged(i)]


def assert_static_and_exact(fastest_bin, python_exe, cwd, *args, all_static=True):
    assert_parity(fastest_bin, python_exe, cwd, *args)
    expected = [line for line in pytest_collect(python_exe, cwd, *args)[1] if "::" in line]
    static, flagged = static_items(fastest_bin, python_exe, cwd, *args)
    # No wrong static id: the unflagged items are pytest's, in pytest's order.
    assert static == [i for i in expected if i in set(static)]
    assert set(static) <= set(expected)
    if all_static:
        assert flagged == [] and static == expected
    return static, flagged


def tree(tmp_path, files):
    write_tree(tmp_path, {"pytest.ini": "[pytest]\n", **{k: textwrap.dedent(v) for k, v in files.items()}})


def test_stacked_and_transitive_parametrized_fixtures(fastest_bin, python_exe, tmp_path):
    tree(tmp_path, {
        "conftest.py": """
            import pytest

            @pytest.fixture(params=["a", "b"], ids=["A", None])
            def letter(request):
                return request.param
        """,
        "test_stack.py": """
            import pytest

            @pytest.fixture(params=[1, 2])
            def number(request, letter):
                return request.param

            def test_both(letter, number): pass

            def test_through(number): pass

            @pytest.mark.parametrize("x", [True, None])
            def test_with_mark(number, x): pass
        """,
    })
    assert_static_and_exact(fastest_bin, python_exe, tmp_path)


def test_overrides_in_nested_conftests_and_classes(fastest_bin, python_exe, tmp_path):
    tree(tmp_path, {
        "conftest.py": """
            import pytest

            @pytest.fixture(params=[1, 2])
            def value(request):
                return request.param
        """,
        "chained/conftest.py": """
            import pytest

            @pytest.fixture
            def value(value):
                return value * 10
        """,
        "chained/test_chained.py": "def test_v(value): pass\n",
        "hidden/conftest.py": """
            import pytest

            @pytest.fixture
            def value():
                return 0
        """,
        "hidden/test_hidden.py": "def test_v(value): pass\n",
        "replaced/conftest.py": """
            import pytest

            @pytest.fixture(params=["x", "y", "z"])
            def value(request):
                return request.param
        """,
        "replaced/test_replaced.py": """
            import pytest

            def test_v(value): pass

            class TestOwn:
                @pytest.fixture
                def value(self):
                    return 1

                def test_v(self, value): pass

            class TestChained:
                @pytest.fixture
                def value(self, value):
                    return value

                def test_v(self, value): pass
        """,
    })
    assert_static_and_exact(fastest_bin, python_exe, tmp_path)


def test_indirect_parametrize(fastest_bin, python_exe, tmp_path):
    tree(tmp_path, {
        "test_indirect.py": """
            import pytest

            @pytest.fixture(params=["u", "v"])
            def y(request):
                return request.param

            @pytest.fixture(params=[1, 2])
            def x(request, y):
                return request.param

            @pytest.mark.parametrize("x", [10, 20], indirect=True)
            def test_all(x): pass

            @pytest.mark.parametrize("x, k", [(10, "k")], indirect=["x"])
            def test_listed(x, k): pass

            @pytest.mark.parametrize("x", [10])
            def test_direct(x): pass
        """,
    })
    assert_static_and_exact(fastest_bin, python_exe, tmp_path)


def test_usefixtures_and_autouse_params(fastest_bin, python_exe, tmp_path):
    tree(tmp_path, {
        "conftest.py": """
            import pytest

            @pytest.fixture(autouse=True, params=["db"])
            def zz_backend(request):
                return request.param

            @pytest.fixture(params=[pytest.param(1, id="one"), 2])
            def level(request):
                return request.param
        """,
        "sub/conftest.py": """
            import pytest

            @pytest.fixture(autouse=True, params=[None, True])
            def aa_mode(request):
                return request.param
        """,
        "sub/test_auto.py": """
            import pytest

            @pytest.mark.usefixtures("level")
            def test_used(): pass

            class TestAuto:
                @pytest.fixture(autouse=True)
                def setup(self, level):
                    pass

                def test_m(self): pass
        """,
        "test_top.py": "def test_top(): pass\n",
    })
    assert_static_and_exact(fastest_bin, python_exe, tmp_path)


MARKING_CONFTEST = """
    import pytest

    def pytest_configure(config):
        config.addinivalue_line("markers", "slow: slow tests")

    def pytest_itemcollected(item):
        item.add_marker(pytest.mark.seen)

    def pytest_collection_modifyitems(config, items):
        skip_slow = pytest.mark.skip(reason="slow")
        for item in items:
            if "slow" in item.keywords:
                item.add_marker(skip_slow)
"""

SPLITTING_CONFTEST = """
    import re

    sp = re.compile(r"([0-9]+)/([1-9][0-9]*)")

    def process_split(config, items):
        split = config.getoption("--split")
        if not split:
            return
        i, t = map(int, sp.match(split).groups())
        start, end = (i - 1) * len(items) // t, i * len(items) // t
        if i < t:
            del items[end:]
        del items[:start]

    def pytest_addoption(parser):
        parser.addoption("--split", action="store", default="", help="split tests")

    def pytest_collection_modifyitems(config, items):
        process_split(config, items)
"""

MODULE_A = """
    import pytest

    @pytest.mark.slow
    def test_a1(): pass

    @pytest.mark.parametrize("n", [1, 2, 3])
    def test_a2(n): pass
"""


@pytest.mark.parametrize("conftest", [MARKING_CONFTEST, SPLITTING_CONFTEST], ids=["adds-marks", "option-guarded"])
def test_conftest_hooks_that_cannot_change_ids_keep_tests_static(fastest_bin, python_exe, tmp_path, conftest):
    tree(tmp_path, {"conftest.py": conftest, "test_a.py": MODULE_A, "test_b.py": "def test_b(): pass\n"})
    assert_static_and_exact(fastest_bin, python_exe, tmp_path)


def test_an_option_guarded_hook_acts_when_the_option_is_given(fastest_bin, python_exe, tmp_path):
    tree(tmp_path, {"conftest.py": SPLITTING_CONFTEST, "test_a.py": MODULE_A, "test_b.py": "def test_b(): pass\n"})
    (tmp_path / "pytest.ini").write_text("[pytest]\naddopts = --split=1/2\n")
    expected = [line for line in pytest_collect(python_exe, tmp_path)[1] if "::" in line]
    static, flagged = static_items(fastest_bin, python_exe, tmp_path)
    assert static == [] and set(expected) <= set(flagged)
    # The settled ids are pytest's (its count line says 5: the hook deletes without deselecting).
    settled = subprocess.run([fastest_bin, "discover", "--python", python_exe], cwd=tmp_path, capture_output=True,
                             text=True).stdout
    assert [line for line in settled.splitlines() if "::" in line] == expected == ["test_a.py::test_a1",
                                                                                   "test_a.py::test_a2[1]"]


def test_module_scoped_params_are_exact_or_dynamic(fastest_bin, python_exe, tmp_path):
    """reorder_items groups tests by higher-scoped params: tests of one module interleave."""
    tree(tmp_path, {
        "test_scoped.py": """
            import pytest

            @pytest.fixture(scope="module", params=["m1", "m2"])
            def resource(request):
                return request.param

            def test_one(resource): pass

            def test_plain(): pass

            def test_two(resource): pass
        """,
        "test_other.py": "def test_other(): pass\n",
    })
    assert_static_and_exact(fastest_bin, python_exe, tmp_path, all_static=False)


def test_a_hook_adding_marks_is_settled_when_m_selects(fastest_bin, python_exe, tmp_path):
    """The marks a hook adds are what -m selects by: pytest settles then."""
    tree(tmp_path, {"conftest.py": MARKING_CONFTEST, "test_a.py": MODULE_A, "test_b.py": "def test_b(): pass\n"})
    static, flagged = assert_static_and_exact(fastest_bin, python_exe, tmp_path, "-m", "not seen", all_static=False)
    assert static == []  # pytest selects none (`seen` is on every item); fastest leaves them to pytest
