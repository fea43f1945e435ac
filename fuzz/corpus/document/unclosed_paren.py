import pytest

def test_first():
    foo(

def test_second():
    pass

class TestThird:
    def test_x(self):
        pass
