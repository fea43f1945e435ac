import pytest


@pytest.fixture
def full_stock(stock, apple):
    stock.add(apple, 10)
    return stock
