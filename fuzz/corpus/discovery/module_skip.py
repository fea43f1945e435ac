import pytest
pytest.importorskip("numpy")

if True:
    def test_conditional():
        pass

try:
    import os
except ImportError:
    pass

with open("x") as f:
    def test_in_with():
        pass
