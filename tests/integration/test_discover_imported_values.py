"""Issue 13, round 9: parametrize values and fixture params that real projects build from names
imported from their own modules, enum members, datetime values, loops over the same lists and
pickle's protocol. `fastest discover` must print what `pytest --collect-only -q` prints, and
(`--no-settle --json`) know those items statically; what may differ stays dynamic.
"""
from test_discover_parity import assert_parity, write_tree
from test_discover_static_eval import static_tree

DATA = """
import enum
from enum import Enum, IntEnum

PRIMES = [2, 3, 5]
NAMES = ("a", "b")


def helper():
    pass


class Style(IntEnum):
    DEFAULT = 10
    PLAIN = 11
    OLD_PLAIN = 11


class Color(enum.Enum):
    RED = "r"
    GREEN = (0, 1)
    CRIMSON = "r"


COUNTER = []
COUNTER.insert(0, 1)
"""

TEST_IMPORTED = """
import pytest
from pkg import PRIMES
from pkg.data import NAMES, helper, Style, Color, COUNTER


def configure(style):
    return style


configure(Style.DEFAULT)


@pytest.mark.parametrize("p", PRIMES)
def test_primes(p): pass


@pytest.mark.parametrize("n,f", [(n, helper) for n in NAMES])
def test_names(n, f): pass


@pytest.mark.parametrize("style", [Style.DEFAULT, Style.PLAIN, Style.OLD_PLAIN])
def test_int_enum(style): pass


@pytest.mark.parametrize("color", [Color.RED, Color.GREEN, Color.CRIMSON])
def test_enum(color): pass


@pytest.mark.parametrize("c", COUNTER)
def test_counter(c): pass
"""

TEST_VALUES = """
import datetime
import pickle
import sys
from datetime import date, timedelta

import pytest

sys.path.insert(0, "unused")
CASES = [("a", date(1990, 4, 15)), ("b", datetime.datetime(2003, 9, 25, 10))]
SNIPPETS = [b"a", "h\\u00e9llo".encode(), "abc".encode("ascii")]


def check(*args):
    pass


def test_walk():
    for text, day in CASES:
        check(text, day, date.today())
    for i in range(3):
        check(i, list)
    for a in SNIPPETS:
        for b in SNIPPETS:
            check(a + b)


@pytest.mark.parametrize("text,day", CASES)
def test_cases(text, day): pass


@pytest.mark.parametrize("d,delta", [(date(2021, 1, 1), timedelta(days=1))])
def test_delta(d, delta): pass


@pytest.mark.parametrize("val,even", [(i, j) for i in range(2) for j in [True, False]])
def test_range(val, even): pass


@pytest.mark.parametrize("snippet", SNIPPETS)
def test_snippet(snippet): pass


@pytest.fixture(params=["deepcopy"] + list(range(pickle.HIGHEST_PROTOCOL + 1)))
def roundtrip(request):
    return request.param


def test_roundtrip(roundtrip): pass
"""

CONFTEST = """
import pytest

SOURCES = ("tzpath", "tzdata")


@pytest.fixture(params=SOURCES)
def source(request):
    return request.param
"""

TEST_FIXTURES = """
import pytest

MODES = ["a", "b"]


@pytest.fixture(params=[m.upper() for m in MODES], ids=["x-" + m for m in MODES])
def mode(request):
    return request.param


def test_mode(mode, source): pass
"""


def test_imported_enum_datetime_and_fixture_values_are_static_and_equal_to_pytest(fastest_bin, python_exe, tmp_path):
    write_tree(tmp_path, {
        "pytest.ini": "[pytest]\n",
        "conftest.py": CONFTEST,
        "pkg/__init__.py": "from .data import PRIMES\n",
        "pkg/data.py": DATA,
        "tests/test_imported.py": TEST_IMPORTED,
        "tests/test_values.py": TEST_VALUES,
        "tests/test_fixtures.py": TEST_FIXTURES,
    })
    assert_parity(fastest_bin, python_exe, tmp_path)
    tree, is_dynamic = static_tree(fastest_bin, python_exe, tmp_path)
    dynamic = sorted({node_id.split("[")[0] for node_id in tree["selected"] if is_dynamic(node_id)})
    # COUNTER is changed in its module by other than append/extend: pytest settles it.
    assert dynamic == ["tests/test_imported.py::test_counter"]
    assert "tests/test_imported.py::test_enum[Color.RED0]" in tree["selected"]
    assert "tests/test_values.py::test_roundtrip[5]" in tree["selected"]
    assert "tests/test_fixtures.py::test_mode[x-b-tzdata]" in tree["selected"]
