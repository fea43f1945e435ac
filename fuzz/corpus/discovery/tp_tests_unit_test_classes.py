import unittest

import pytest

from inventory import Item, Stock


class TestStockBasics:
    def test_empty(self, stock, apple):
        assert stock.count(apple) == 0

    def test_add_then_take(self, stock, apple):
        stock.add(apple, 2)
        stock.take(apple, 1)
        assert stock.count(apple) == 1

    class TestNested:
        def test_inner(self, apple):
            assert apple.name == "apple"

        class TestDeeper:
            def test_deepest(self):
                assert True


class BaseChecks:
    """Not collected itself (no Test prefix); its tests are inherited."""

    quantity = 1

    def test_inherited_add(self, stock, apple):
        stock.add(apple, self.quantity)
        assert stock.count(apple) == self.quantity


class TestSmallQuantity(BaseChecks):
    quantity = 2


class TestLargeQuantity(BaseChecks):
    quantity = 1000

    def test_own(self):
        assert self.quantity == 1000


@pytest.mark.parametrize("cents", [1, 2])
class TestParametrizedClass:
    def test_positive(self, cents):
        assert cents > 0

    @pytest.mark.parametrize("factor", [10])
    def test_scaled(self, cents, factor):
        assert cents * factor >= 10


class TestIsHelper:
    __test__ = False

    def test_not_collected(self):
        raise AssertionError("never collected")


class StockCase(unittest.TestCase):
    def setUp(self):
        self.stock = Stock()
        self.pear = Item("P-1", "pear", 80)

    def test_zero(self):
        self.assertEqual(self.stock.count(self.pear), 0)

    def test_add(self):
        self.stock.add(self.pear)
        self.assertEqual(self.stock.count(self.pear), 1)

    def test_fails_on_purpose_unittest(self):
        self.assertEqual(self.stock.count(self.pear), 5)


class AsyncStockCase(unittest.IsolatedAsyncioTestCase):
    async def test_async_count(self):
        stock = Stock()
        self.assertEqual(await stock.count_async(Item("Q", "q", 1)), 0)
