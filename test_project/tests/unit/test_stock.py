import asyncio

import pytest

from inventory import Item, OutOfStock, Stock

pytestmark = pytest.mark.db

PRICES = [(50, 0.5), (199, 1.99), (0, 0.0)]


def test_add_counts(stock, apple):
    stock.add(apple, 3)
    assert stock.count(apple) == 3


def test_take_too_many_raises(full_stock, apple):
    with pytest.raises(OutOfStock):
        full_stock.take(apple, 11)


@pytest.mark.parametrize("cents, expected", PRICES)
def test_price(cents, expected):
    assert Item("X", "x", cents).price() == expected


@pytest.mark.parametrize("quantity", [0, -1, pytest.param(-100, id="very-negative")])
def test_add_rejects_non_positive(stock, apple, quantity):
    with pytest.raises(ValueError):
        stock.add(apple, quantity)


@pytest.mark.parametrize("name", ["pomme", "äpple", "苹果", "tab\there"])
def test_names_keep_unicode(name):
    assert Item("S", name, 1).name == name


@pytest.mark.parametrize("a", [1, 2])
@pytest.mark.parametrize("b", [10, 20])
def test_stacked(a, b):
    assert a < b


@pytest.mark.parametrize(
    "sku, quantity",
    [("A", 1), ("B", 2)],
    ids=["first", "second"],
)
def test_ids_list(stock, sku, quantity):
    item = Item(sku, sku, 1)
    stock.add(item, quantity)
    assert stock.count(item) == quantity


@pytest.mark.parametrize("flag", [True, False, None])
def test_literal_kinds(flag):
    assert flag in (True, False, None)


def test_count_async(full_stock, apple):
    assert asyncio.run(full_stock.count_async(apple)) == 10


@pytest.mark.skip(reason="shows a skipped test in the tree")
def test_skipped():
    raise AssertionError("never runs")


@pytest.mark.skipif(True, reason="condition is always true here")
def test_skipped_if():
    raise AssertionError("never runs")


@pytest.mark.xfail(reason="rounding is not implemented", strict=False)
def test_expected_failure():
    assert Item("X", "x", 1).price() == 0


@pytest.mark.slow
def test_slow_marked():
    assert sum(range(1000)) == 499500


def test_fails_on_purpose_wrong_count(stock, apple):
    stock.add(apple, 2)
    assert stock.count(apple) == 3


@pytest.mark.parametrize("cents", [100, pytest.param(5, marks=pytest.mark.xfail(reason="too cheap"))])
def test_param_marks(cents):
    assert cents >= 10


# Values of installed modules: their ids are what the interpreter says (`math.floor` is named
# `floor`), known without pytest (asked once, kept in .fastest_cache/library-facts/).
import math  # noqa: E402


@pytest.mark.parametrize("rounding", [math.floor, math.ceil])
def test_price_rounds(rounding):
    assert rounding(Item("X", "x", 150).price()) in (1, 2)
