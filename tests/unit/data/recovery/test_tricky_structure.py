'''A module docstring that shows code at column 0, which must never start a statement:

def test_in_module_docstring():
    pass

class TestInDocstring:
    pass
'''
import unittest

import pytest

TEMPLATE = """
def test_in_a_string():
    assert False
"""


@pytest.mark.parametrize(
    "value",
    [
1,
2,
    ],
)
def test_decorator_continued_at_column_zero(value):
    assert value


@pytest.mark.skip(reason="a reason: with a colon")
# a comment between the decorator and the def
def test_commented_decorator():
    text = """
def test_in_a_body_string():
    pass
"""
    assert text


async def test_async():
    assert True


def test_multiline_signature(
    a=1,
    b=(2, 3),
):
    assert a


if True:
    def test_conditional():
        assert True


class TestOuter:
    """A class docstring.
def not_a_method(): pass
    """

    attribute = {"key": "value"}

    def test_first(self):
        assert self.attribute

    @pytest.mark.parametrize("n", [1, 2])
    def test_second(self, n):
        assert n

    class TestInner:
        def test_inner_a(self):
            assert True

        def test_inner_b(self):
            assert True

    def test_after_inner(self):
        assert True


class Case(unittest.TestCase):
    def setUp(self):
        self.value = 1

    def test_b(self):
        self.assertEqual(self.value, 1)

    def test_a(self):
        self.assertTrue(self.value)


def test_tail_one():
    assert True


def test_tail_two():
    assert True
