import pytest

from inventory import Item, OutOfStock, Stock


@pytest.fixture(scope="module")
def catalogue():
    return [Item(f"S-{i}", f"item {i}", 100 + i) for i in range(5)]


def test_restock_cycle(catalogue):
    stock = Stock()
    for item in catalogue:
        stock.add(item, 2)
    for item in catalogue:
        stock.take(item, 2)
    assert all(stock.count(item) == 0 for item in catalogue)


def test_out_of_stock_message(apple):
    with pytest.raises(OutOfStock, match="A-1: have 0, want 1"):
        Stock().take(apple)


def test_fails_on_purpose_message():
    assert "inventory" == "inventary"


@pytest.mark.slow
@pytest.mark.parametrize("n", [int(i) for i in range(3)])
def test_dynamic_range(n):
    """A call (int()) is not evaluated statically: discovery flags this test dynamic."""
    assert n < 3
