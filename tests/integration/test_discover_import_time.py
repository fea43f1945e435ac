"""Issue 13: what runs while a test module is imported, read more exactly (pyparsing's suite).
- `setattr(...)` in a method of a class used only inside test bodies (or as a base, or through
  `Cls.attr = value`) never runs at import: the module stays static; one reached from
  module-level code keeps it dynamic.
- A test-like name imported from a project module that binds it to a string is not collected.
- `if "name" not in globals(): name = value` in a package binds `name` when no star import before
  it exports the name.
- A unittest class without test methods runs its `runTest` (pytest's UnitTestCase.collect).
`fastest discover` prints exactly what `pytest --collect-only -q` prints.
"""
from test_discover_parity import assert_parity, write_tree
from test_discover_static_eval import static_tree

PKG_INIT = """
from .core import *
from .testing import helper_cls as testing
if "helper_cls" not in globals():
    helper_cls = testing
"""

PKG_CORE = """
class Options:
    names = ["a"]

    @classmethod
    def set(cls, name, value):
        setattr(cls, name, value)


Options.set("a", 1)


def public():
    return 1
"""

PKG_TESTING = """
import unittest


class helper_cls:
    class Asserts(unittest.TestCase):
        def assert_ok(self): pass
        def test_from_base(self): pass
"""

DATA = '''
test1 = """some text"""
test2 = [1, 2]
'''

TEST_MODULE = """
import unittest
import pkg as pp
from tests.data import test1, test2

ppt = pp.helper_cls


class resetting:
    def __init__(self, ob, name):
        self.ob, self.name = ob, name

    def __exit__(self, *args):
        setattr(self.ob, self.name, None)


class Base(unittest.TestCase):
    pass


class TestRunOnly(Base):
    def runTest(self):
        with resetting(self, "x"):
            pass


class TestWithMethods(Base):
    def runTest(self): pass
    def test_one(self): pass


class TestInherits(ppt.Asserts, Base):
    def test_two(self): pass


TestInherits.flag = True
"""

TEST_REACHED = """
import sys


def add_tests():
    setattr(sys.modules[__name__], "test_added", lambda: None)


def register():
    add_tests()


register()


def test_plain(): pass
"""


def test_import_time_code_is_read_exactly_and_equal_to_pytest(fastest_bin, python_exe, tmp_path):
    write_tree(tmp_path, {
        "pytest.ini": "[pytest]\n",
        "pkg/__init__.py": PKG_INIT,
        "pkg/core.py": PKG_CORE,
        "pkg/testing.py": PKG_TESTING,
        "tests/__init__.py": "",
        "tests/data.py": DATA,
        "tests/test_mod.py": TEST_MODULE,
        "tests/test_reached.py": TEST_REACHED,
    })
    assert_parity(fastest_bin, python_exe, tmp_path)
    tree, is_dynamic = static_tree(fastest_bin, python_exe, tmp_path)
    m = "tests/test_mod.py::"
    assert [i for i in tree["selected"] if i.startswith(m)] == [
        m + "TestRunOnly::runTest", m + "TestWithMethods::test_one", m + "TestInherits::test_from_base",
        m + "TestInherits::test_two"]
    assert not any(is_dynamic(i) for i in tree["selected"] if i.startswith(m))
    assert is_dynamic("tests/test_reached.py::test_plain")
