"""Module doctest.

>>> 1 + 1
2
"""
import unittest
from helpers import test_imported


class Base:
    def test_inherited(self):
        """
        >>> Base().test_inherited()
        """


class TestDerived(Base):
    __test__ = True

    class TestNested:
        def test_inner(self):
            pass

    @staticmethod
    def test_static():
        pass

    @property
    def test_property(self):
        return 1


class TestWithInit:
    def __init__(self):
        pass

    def test_never(self):
        pass


class Cases(unittest.TestCase):
    def test_case(self):
        self.assertTrue(True)

    @unittest.skip("no")
    def test_skipped(self):
        pass


def pytest_generate_tests(metafunc):
    pass


async def test_async():
    pass


test_lambda = lambda: None
