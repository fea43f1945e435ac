import pytest

pytestmark = [pytest.mark.slow]


@pytest.mark.parametrize("a,b", [(1, 2), (3.5, -4), ("x y", b"\x00\n"), (None, True), ([1], {"k": (2,)})])
@pytest.mark.parametrize("c", [pytest.param(1, id="one"), pytest.param(2, marks=pytest.mark.xfail), 1e300, 0x10])
def test_stacked(a, b, c):
    pass


@pytest.mark.parametrize("n", range(3), ids=["z", "z", None])
def test_ids(n):
    pass


@pytest.mark.parametrize(("s",), [("é\t\u2603",), ("\\",), (r"\n",), ("a" * 120,)])
def test_strings(s):
    pass


@pytest.mark.parametrize("x", [], ids=lambda v: str(v))
def test_empty(x):
    pass
