"""Issue 13: `pytest_generate_tests` hooks of the shape pytest's documentation shows
(`if "name" in metafunc.fixturenames: metafunc.parametrize("name", VALUES)`) are read. Tests whose
fixture closure holds none of the names tested keep static ids; a branch of known values gives
static cases in pytest's order (the module's hook, then conftests nearest first, then fixture
params and parametrize marks); anything else stays dynamic and is settled. `fastest discover`
prints exactly what `pytest --collect-only -q` prints.
"""
from test_discover_parity import assert_parity, write_tree
from test_discover_static_eval import static_tree

ROOT_CONFTEST = """
import pytest

VERSIONS = ('3.6', '3.7')


def pytest_generate_tests(metafunc):
    \"\"\"As parso's.\"\"\"
    if 'each_version' in metafunc.fixturenames:
        metafunc.parametrize('each_version', VERSIONS)
    elif 'pair' in metafunc.fixturenames:
        metafunc.parametrize('pair,other', [(1, 2), (3, 4)], ids=['one', 'two'])
    elif 'listed' in metafunc.fixturenames:
        cases = sorted(set(VERSIONS))
        metafunc.parametrize('listed', cases)
    if "flavour" in metafunc.fixturenames:
        metafunc.parametrize("flavour", ["a", "b"])


@pytest.fixture(params=[True, False])
def slots(request):
    return request.param


@pytest.fixture
def uses_version(each_version):
    return each_version
"""

SUB_CONFTEST = """
def pytest_generate_tests(metafunc):
    if "depth" in metafunc.fixturenames:
        metafunc.parametrize("depth", [1, 2])
"""

TEST_MODULE = """
import pytest


def pytest_generate_tests(metafunc):
    if 'mod_v' in metafunc.fixturenames:
        metafunc.parametrize('mod_v', ["m", "n"])


@pytest.mark.parametrize("x", [10, 20])
def test_marks_and_conftest(x, each_version): pass
def test_pair(pair, other): pass
def test_two_chains(each_version, flavour): pass
def test_module_and_fixture(mod_v, slots): pass
def test_module_and_conftest(mod_v, each_version): pass
def test_through_a_fixture(uses_version): pass
def test_nested_conftest(depth, each_version): pass
def test_locals(listed): pass
def test_conftest_and_fixture(each_version, slots): pass
def test_plain(): pass
def test_fixture_only(slots): pass


class TestC:
    def test_in_class(self, flavour): pass
"""

TEST_CLASS_HOOK = """
class TestGen:
    def pytest_generate_tests(self, metafunc):
        metafunc.parametrize('v', [1, 2])

    def test_v(self, v): pass


class TestPlain:
    def test_w(self): pass
"""

UNREAD_CONFTEST = """
import os


def pytest_generate_tests(metafunc):
    for name in os.environ.get("NAMES", "a").split():
        if name in metafunc.fixturenames:
            metafunc.parametrize(name, [1])
"""


def test_generate_tests_hooks_are_read_and_equal_to_pytest(fastest_bin, python_exe, tmp_path):
    write_tree(tmp_path, {
        "pytest.ini": "[pytest]\n",
        "conftest.py": ROOT_CONFTEST,
        "tests/unit/conftest.py": SUB_CONFTEST,
        "tests/unit/test_m.py": TEST_MODULE,
        "tests/unit/test_cls.py": TEST_CLASS_HOOK,
    })
    assert_parity(fastest_bin, python_exe, tmp_path)

    _, is_dynamic = static_tree(fastest_bin, python_exe, tmp_path)
    m = "tests/unit/test_m.py::"
    for static in ["test_marks_and_conftest[3.6-10]", "test_marks_and_conftest[3.7-20]", "test_pair[one]",
                   "test_pair[two]", "test_two_chains[3.7-b]", "test_module_and_fixture[n-False]",
                   "test_module_and_conftest[m-3.6]", "test_through_a_fixture[3.6]",
                   "test_nested_conftest[1-3.6]", "test_nested_conftest[2-3.7]", "test_plain",
                   "test_fixture_only[True]", "TestC::test_in_class[a]"]:
        assert not is_dynamic(m + static), static
    # A branch that binds locals, fixture params beside a conftest's hook (pytest's order then
    # depends on when the conftest loads) and a class's own hook are pytest's to settle.
    for dynamic in ["test_locals", "test_conftest_and_fixture"]:
        assert is_dynamic(m + dynamic), dynamic
    assert is_dynamic("tests/unit/test_cls.py::TestGen::test_v")
    assert not is_dynamic("tests/unit/test_cls.py::TestPlain::test_w")


def test_a_generate_tests_hook_of_another_shape_leaves_the_folder_to_pytest(fastest_bin, python_exe, tmp_path):
    write_tree(tmp_path, {
        "pytest.ini": "[pytest]\n",
        "conftest.py": UNREAD_CONFTEST,
        "test_a.py": "def test_a(a): pass\ndef test_b(): pass\n",
    })
    assert_parity(fastest_bin, python_exe, tmp_path)
    _, is_dynamic = static_tree(fastest_bin, python_exe, tmp_path)
    assert is_dynamic("test_a.py::test_b")
