import pytest

from inventory import Item, Stock


@pytest.fixture
def apple():
    return Item("A-1", "apple", 50)


@pytest.fixture
def stock():
    return Stock()
