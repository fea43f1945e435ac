"""Issue 13, numpy's suite (run from its installed tree): shapes that listed ids pytest does not
print, now read as pytest reads them.
- A helper module of the tests' own package that may skip (or fail) at import, wherever the
  `pytest.skip(..., allow_module_level=True)` stands (numpy's f2py/tests/util.py probes for
  compilers when imported): its importers, relative or absolute, are pytest's to settle.
- A module attribute holding a fixture function is a fixture of that name (`Poly1 = Poly`,
  numpy's polynomial/tests/test_classes.py): its params multiply its requesters.
`fastest discover` prints exactly what `pytest --collect-only -q` prints.
"""
from test_discover_parity import assert_parity, write_tree
from test_discover_static_eval import static_tree

UTIL = """
import pytest


def check_compilers():
    pytest.skip("no compiler here", allow_module_level=True)


check_compilers()
"""

TEST_RELATIVE = """
from . import util


def test_compiled(): pass
"""

TEST_ABSOLUTE = """
from pkg.tests import util


def test_compiled_too(): pass
"""

TEST_ALIAS = """
import pytest

classes = ("Polynomial", "Legendre")


@pytest.fixture(params=classes)
def Poly(request):
    return request.param


@pytest.fixture(name="named", params=[1, 2])
def _named(request):
    return request.param


Poly1 = Poly
Poly2 = Poly
Named2 = _named


def test_conversion(Poly1, Poly2): pass
def test_named(named): pass
def test_plain(): pass
"""


IMPORTED_FIXTURE = """
import pytest


@pytest.fixture(params=[1, 2])
def fix(request):
    return request.param
"""

TEST_IMPORTED_ALIAS = """
from pkg.tests.fixtures import fix

fix2 = fix


def test_alias_of_imported(fix2): pass
"""


def test_numpy_shapes_are_equal_to_pytest(fastest_bin, python_exe, tmp_path):
    write_tree(tmp_path, {
        "pytest.ini": "[pytest]\n",
        "pkg/__init__.py": "",
        "pkg/tests/__init__.py": "",
        "pkg/tests/util.py": UTIL,
        "pkg/tests/test_relative.py": TEST_RELATIVE,
        "pkg/tests/test_absolute.py": TEST_ABSOLUTE,
        "pkg/tests/test_alias.py": TEST_ALIAS,
        "pkg/tests/fixtures.py": IMPORTED_FIXTURE,
        "pkg/tests/test_imported_alias.py": TEST_IMPORTED_ALIAS,
    })
    assert_parity(fastest_bin, python_exe, tmp_path)
    tree, is_dynamic = static_tree(fastest_bin, python_exe, tmp_path)
    assert is_dynamic("pkg/tests/test_relative.py::test_compiled")
    assert is_dynamic("pkg/tests/test_absolute.py::test_compiled_too")
    alias = "pkg/tests/test_alias.py::"
    assert [i for i in tree["selected"] if i.startswith(alias)] == [
        alias + "test_conversion[Polynomial-Polynomial]", alias + "test_conversion[Polynomial-Legendre]",
        alias + "test_conversion[Legendre-Polynomial]", alias + "test_conversion[Legendre-Legendre]",
        alias + "test_named[1]", alias + "test_named[2]", alias + "test_plain"]
    assert not any(is_dynamic(i) for i in tree["selected"] if i.startswith(alias))
    # An alias of an imported fixture may be parametrized: pytest's to say (was listed bare).
    assert is_dynamic("pkg/tests/test_imported_alias.py::test_alias_of_imported")
