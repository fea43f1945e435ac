import pytest

collect_ignore = ["setup.py"]
pytest_plugins = ["a.plugin"]


@pytest.fixture(params=[1, 2], ids=["a", "b"])
def param_fixture(request):
    return request.param


@pytest.fixture(autouse=True)
def auto(param_fixture):
    yield


def test_uses(param_fixture):
    pass


@pytest.mark.usefixtures("auto")
@pytest.mark.skipif(sys.platform == "win32", reason="posix")
def test_marked():
    pass


def pytest_collection_modifyitems(items):
    items.reverse()
