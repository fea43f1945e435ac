"""Issue 13: a conftest's `collect_ignore` and fixture params built from names it imports from
the project's own modules (attrs: `from attr._compat import PY_3_10_PLUS`), and tests whose
signature mock.patch changes. `fastest discover` prints what `pytest --collect-only -q` prints,
and (`--no-settle --json`) knows those items statically.
"""
from test_discover_parity import assert_parity, write_tree
from test_discover_static_eval import static_tree

FILES = {
    "pytest.ini": "[pytest]\npythonpath = .\n",
    "pkg/__init__.py": "",
    "pkg/compat.py": "import sys\nPY_3_8_PLUS = sys.version_info[:2] >= (3, 8)\nFLAVOURS = ('mint', 'lime')\n",
    "tests/conftest.py": (
        "import pytest\n"
        "from pkg.compat import PY_3_8_PLUS, FLAVOURS\n"
        "collect_ignore = []\n"
        "if PY_3_8_PLUS:\n"
        "    collect_ignore.extend(['test_py2_only.py'])\n"
        "@pytest.fixture(params=FLAVOURS)\n"
        "def flavour(request):\n"
        "    return request.param\n"
    ),
    "tests/test_py2_only.py": "def test_print_statement(): pass\n",
    "tests/test_flavours.py": (
        "from unittest import mock\n"
        "def test_flavour(flavour): pass\n"
        "@mock.patch('os.getcwd')\n"
        "def test_patched(flavour, other): pass\n"
        "class TestMethods:\n"
        "    @mock.patch('os.getcwd', lambda: '/')\n"
        "    def test_new_given(self, flavour): pass\n"
    ),
}


def test_conftest_imported_values_and_patched_signatures_are_static_and_equal_to_pytest(fastest_bin, python_exe, tmp_path):
    write_tree(tmp_path, FILES)
    assert_parity(fastest_bin, python_exe, tmp_path)
    tree, is_dynamic = static_tree(fastest_bin, python_exe, tmp_path)
    assert tree["selected"] == [
        "tests/test_flavours.py::test_flavour[mint]",
        "tests/test_flavours.py::test_flavour[lime]",
        "tests/test_flavours.py::test_patched",  # the mock takes `flavour`: only `other` is a fixture
        "tests/test_flavours.py::TestMethods::test_new_given[mint]",
        "tests/test_flavours.py::TestMethods::test_new_given[lime]",
    ]
    assert not any(is_dynamic(i) for i in tree["selected"])


REORDERED = {
    "tests/conftest.py": (
        "import pytest\n"
        "@pytest.fixture(params=['base', 'full'], scope='session')\n"
        "def converter(request):\n"
        "    return request.param\n"
        "@pytest.fixture(params=[1, 2])\n"
        "def n(request):\n"
        "    return request.param\n"
        "@pytest.fixture\n"
        "def built(converter):\n"
        "    return converter\n"
    ),
    "tests/sub/test_s.py": "def test_s1(built): pass\ndef test_s2(): pass\n",
    "tests/test_a.py": "def test_a1(built): pass\ndef test_plain(): pass\ndef test_a2(converter, n): pass\n",
    "tests/test_ab_static.py": "def test_between(): pass\n",  # no fixture: it still moves after the groups
    "tests/test_b.py": "def test_b1(converter): pass\ndef test_b2(n): pass\n",
    "other/test_c.py": "def test_c(): pass\n",
}


def test_a_session_scoped_parametrized_fixture_leaves_its_folder_in_pytests_order(fastest_bin, python_exe, tmp_path):
    """pytest's reorder_items groups the tests requesting a session-scoped parametrized fixture
    by param across the modules of the conftest's folder (cattrs' `converter_cls`): that
    folder's order is pytest's; the rest stays static."""
    write_tree(tmp_path, REORDERED)
    assert_parity(fastest_bin, python_exe, tmp_path)
    tree, is_dynamic = static_tree(fastest_bin, python_exe, tmp_path)
    assert is_dynamic("tests/test_a.py::test_plain") and is_dynamic("tests/test_ab_static.py::test_between")
    assert not is_dynamic("other/test_c.py::test_c")
