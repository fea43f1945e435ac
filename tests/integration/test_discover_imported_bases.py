"""Issue 13's imported bases against real pytest: test classes inheriting from classes in other
modules (a helper package, a relative import, a re-export through `__init__.py`, a unittest
base, a parametrized method, a class nested in a class) are known statically and equal to
`pytest --collect-only -q`; a base defined conditionally stays dynamic and pytest settles it.
"""
from test_discover_parity import assert_parity, write_tree
from test_discover_static_eval import static_tree

HELPERS_INIT = "from .testing import BaseTests\n"

HELPERS_TESTING = """
import unittest
import pytest

SIZES = [1, 2]


class BaseTests:
    def test_base_first(self): pass

    @pytest.mark.parametrize("size", SIZES)
    def test_sized(self, size): pass

    def test_overridden(self): pass


class CaseBase(unittest.TestCase):
    def test_z_case(self): pass

    def test_a_case(self): pass


class outer:
    class Nested(unittest.TestCase):
        def test_nested(self): pass
"""

TESTS_INIT = """
class PackageMixin:
    def test_from_package(self): pass
"""

TESTS_COMMON = """
import sys
if sys.argv:
    class MaybeBase:
        def test_maybe(self): pass
else:
    class MaybeBase:
        def test_other(self): pass


class LocalBase:
    def test_local(self): pass
"""

TEST_INHERIT = """
import unittest
import helpers
import helpers.testing as ht
from helpers import BaseTests
from . import PackageMixin
from .common import LocalBase, MaybeBase

nested = ht.outer


class TestReexported(BaseTests):
    def test_overridden(self): pass
    def test_own(self): pass


class TestModuleAttr(ht.BaseTests, PackageMixin):
    pass


class TestRelative(LocalBase):
    def test_mine(self): pass


class CaseTests(ht.CaseBase):
    def test_m_case(self): pass


class NestedTests(nested.Nested):
    pass


class MixedCase(unittest.TestCase, PackageMixin):
    pass


class TestConditional(MaybeBase):
    pass
"""


def test_inherited_tests_from_other_modules_are_static_and_equal_to_pytest(fastest_bin, python_exe, tmp_path):
    write_tree(tmp_path, {
        "pytest.ini": "[pytest]\n",
        "helpers/__init__.py": HELPERS_INIT,
        "helpers/testing.py": HELPERS_TESTING,
        "tests/__init__.py": TESTS_INIT,
        "tests/common.py": TESTS_COMMON,
        "tests/test_inherit.py": TEST_INHERIT,
    })
    assert_parity(fastest_bin, python_exe, tmp_path)
    tree, is_dynamic = static_tree(fastest_bin, python_exe, tmp_path)
    prefix = "tests/test_inherit.py::"
    dynamic = [node_id for node_id in tree["selected"] if is_dynamic(node_id)]
    assert all(node_id.startswith(prefix + "TestConditional") for node_id in dynamic)
    selected = tree["selected"]
    for node_id in ("TestReexported::test_sized[1]", "TestModuleAttr::test_from_package", "TestRelative::test_local",
                    "CaseTests::test_a_case", "NestedTests::test_nested", "MixedCase::test_from_package"):
        assert prefix + node_id in selected
    items = {item["id"]: item for item in tree["items"]}
    conditional = items[prefix + "TestConditional"]
    assert conditional["dynamic"] and "conditionally" in conditional["dynamicReason"]


# pyparsing's `from .testing import pyparsing_test as testing` in its __init__.py: the package's
# attribute `testing` is the class (the statement imports the submodule, then binds the name
# again), and a `"name" not in globals()` test only reads the namespace.
SHADOW_INIT = """
from .testing import pyparsing_test as testing
if "pyparsing_test" not in globals():
    pyparsing_test = testing
"""

SHADOW_TESTING = """
import unittest


class pyparsing_test:
    class TestParseResultsAsserts(unittest.TestCase):
        def assert_parsed(self): pass
        def test_inherited(self): pass
"""

SHADOW_TEST = """
import unittest
from pkg import testing as ppt


class TestA(ppt.TestParseResultsAsserts, unittest.TestCase):
    def test_a(self): pass
"""


def test_a_package_name_bound_over_its_submodule_is_the_name(fastest_bin, python_exe, tmp_path):
    write_tree(tmp_path, {
        "pytest.ini": "[pytest]\n",
        "pkg/__init__.py": SHADOW_INIT,
        "pkg/testing.py": SHADOW_TESTING,
        "tests/test_x.py": SHADOW_TEST,
    })
    assert_parity(fastest_bin, python_exe, tmp_path)
    tree, is_dynamic = static_tree(fastest_bin, python_exe, tmp_path)
    assert tree["selected"] == ["tests/test_x.py::TestA::test_a", "tests/test_x.py::TestA::test_inherited"]
    assert not any(is_dynamic(node_id) for node_id in tree["selected"])
