# From the parity fixtures (tests/integration/test_discover_parity.py, "parametrize_forms" and
# "pyproject_addopts"), with bodies of their own lines so a line can be typed at their top.
import pytest

VALUES = [1, 2]
pytestmark = pytest.mark.slow


@pytest.mark.parametrize("v", VALUES)
def test_named(v):
    assert v


@pytest.mark.parametrize("a, b", [(1, "x"), (2, "y")], ids=["first", None])
def test_ids(a, b):
    assert a and b


@pytest.mark.parametrize("s", ["é", "中文", "a b", "tab\t", b"bytes", ""])
def test_strings(s):
    assert s is not None


@pytest.mark.parametrize("d", [1, 1, 2, 2, "x", "x"])
def test_duplicates(d):
    assert d


@pytest.mark.parametrize("v", [pytest.param(1, id="one"), pytest.param(2, marks=pytest.mark.xfail)])
def test_param(v):
    assert v


@pytest.mark.parametrize("x", [0, 1])
@pytest.mark.parametrize("y", ["a", "b"])
def test_stacked(x, y):
    assert y


@pytest.mark.parametrize("f", [1.5, 1e20, -0.5, 0x10, 1_000, True])
def test_numbers(f):
    assert f


class TestC:
    pytestmark = pytest.mark.skip

    def test_in_skipped_class(self):
        assert True

    @pytest.mark.parametrize("n", [1, 2])
    def test_method_cases(self, n):
        assert n


def test_last():
    assert True
