"""Issue 13's static evaluator against real pytest: parametrize values built by comprehensions,
range/zip/enumerate/itertools, names bound to literals, f-strings and str.format, tests and
`collect_ignore` under `sys.version_info` conditions. `fastest discover` must print what
`pytest --collect-only -q` prints, and (`--no-settle --json`) know those items statically.
A rebound or mutated name stays dynamic and is settled by pytest.
"""
import json
import subprocess

from test_discover_parity import assert_parity, write_tree

TEST_NAMES = 'import pytest\nBASE = [1, 2]\nMORE = BASE + [3] * 2\nPAIRS = ((1, "a"), (2, "b"))\nNAMES = {"x": 1, "y": 2}\n@pytest.mark.parametrize("v", MORE)\ndef test_concat(v): pass\n@pytest.mark.parametrize("n,s", PAIRS)\ndef test_pairs(n, s): pass\n@pytest.mark.parametrize("k,v", NAMES.items())\ndef test_items(k, v): pass\n@pytest.mark.parametrize("k", NAMES)\ndef test_keys(k): pass\n@pytest.mark.parametrize("v", sorted(NAMES.values(), reverse=True))\ndef test_values(v): pass\n'

TEST_COMP = 'import itertools\nfrom itertools import product\nimport pytest\nSIZES = [1, 2, 3]\n@pytest.mark.parametrize("x", [s * 2 for s in SIZES if s != 2])\ndef test_list_comp(x): pass\n@pytest.mark.parametrize("a,b", list(itertools.product([1, 2], "ab")))\ndef test_product(a, b): pass\n@pytest.mark.parametrize("a,b", product(range(2), repeat=2))\ndef test_product_repeat(a, b): pass\n@pytest.mark.parametrize("a,b", itertools.combinations("abc", 2))\ndef test_combinations(a, b): pass\n@pytest.mark.parametrize("a,b", itertools.permutations([1, 2, 3], 2))\ndef test_permutations(a, b): pass\n@pytest.mark.parametrize("i,s", enumerate(["p", "q"], start=1))\ndef test_enumerate(i, s): pass\n@pytest.mark.parametrize("a,b", zip(SIZES, "xyz"))\ndef test_zip(a, b): pass\n@pytest.mark.parametrize("x", range(10, 0, -4))\ndef test_range(x): pass\n@pytest.mark.parametrize("x", (n for n in range(3)))\ndef test_genexp(x): pass\n@pytest.mark.parametrize("x", {k: k * 2 for k in "ab"})\ndef test_dictcomp(x): pass\n@pytest.mark.parametrize("x", reversed(SIZES))\ndef test_reversed(x): pass\n@pytest.mark.parametrize("x", [(1, 2)] + [(i, i) for i in range(2)])\ndef test_tuples_single_arg(x): pass\n'

TEST_FMT = 'import pytest\nNAMES = ["a", "b"]\n@pytest.mark.parametrize("x", [f"n-{n}" for n in NAMES])\ndef test_fstring(x): pass\n@pytest.mark.parametrize("x", [f"{i:03d}|{s!r}|{s:3}|" for i, s in enumerate(NAMES)])\ndef test_fstring_spec(x): pass\n@pytest.mark.parametrize("x", ["{}-{}".format(n, n.upper()) for n in NAMES] + ["{0}{k}{0}".format(n, k=n.upper()) for n in NAMES])\ndef test_format(x): pass\n@pytest.mark.parametrize("x", [1, 2], ids=[f"id{i}" for i in range(2)])\ndef test_ids(x): pass\n@pytest.mark.parametrize("x", [pytest.param(n, id=f"p_{n}") for n in NAMES])\ndef test_param_id(x): pass\nclass TestScope:\n    VALS = ["c1", "c2"]\n    @pytest.mark.parametrize("x", VALS)\n    def test_class_name(self, x): pass\n    @pytest.mark.parametrize("x", [v + "!" for v in VALS])\n    def test_class_comp(self, x): pass\n'

TEST_COND = 'import os\nimport sys\nimport platform\nimport pytest\nPY3 = sys.version_info[0] == 3\nif sys.version_info >= (3, 8):\n    def test_new(): pass\nelse:\n    def test_old(): pass\nif sys.version_info[:2] < (3, 0):\n    def test_py2(): pass\nelif PY3 and sys.platform.startswith("linux") and os.name == "posix":\n    def test_linux(): pass\nif platform.python_implementation() == "CPython" and sys.implementation.name == "cpython":\n    VALUES = [1, 2]\nelse:\n    VALUES = [3]\n@pytest.mark.parametrize("x", VALUES)\ndef test_values(x): pass\nif sys.version_info.major == 3 and sys.version_info.minor >= 99:\n    pytest.skip("too new", allow_module_level=True)\nclass TestC:\n    if sys.version_info > (3,):\n        def test_in_class(self): pass\n'

CONFTEST = """
import sys
collect_ignore = ["test_never.py"]
if sys.version_info < (3, 8):
    collect_ignore.append("test_cond.py")
elif sys.version_info[:2] >= (3, 0):
    collect_ignore += ["test_py3_ignored.py"]
"""

MUTATED = """
import pytest
VALUES = [1, 2]
REBOUND = ["a"]
REBOUND = ["b", "c"]
GROWN = [1]
for i in range(2, 4):
    GROWN.append(i)

@pytest.mark.parametrize("x", VALUES)
def test_mutated(x): pass

@pytest.mark.parametrize("x", GROWN)
def test_grown(x): pass

# pytest keeps the list and reads it at collection: this counts for test_mutated.
VALUES.append(3)

@pytest.mark.parametrize("x", REBOUND)
def test_rebound(x): pass
"""


def static_tree(fastest_bin, python_exe, cwd):
    proc = subprocess.run([fastest_bin, "discover", "--python", python_exe, "--no-settle", "--json"], cwd=cwd,
                          capture_output=True, text=True)
    tree = json.loads(proc.stdout)
    items = {item["id"]: item for item in tree["items"]}

    def is_dynamic(node_id):
        item = items.get(node_id)
        while item is not None:
            if item.get("dynamic"):
                return True
            item = items.get(item.get("parentId"))
        return False

    return tree, is_dynamic


def test_evaluated_values_and_known_conditions_are_static_and_equal_to_pytest(fastest_bin, python_exe, tmp_path):
    write_tree(tmp_path, {
        "pytest.ini": "[pytest]\n",
        "conftest.py": CONFTEST,
        "test_names.py": TEST_NAMES,
        "test_comp.py": TEST_COMP,
        "test_fmt.py": TEST_FMT,
        "test_cond.py": TEST_COND,
        "test_never.py": "def test_never(): pass\n",
        "test_py3_ignored.py": "def test_ignored(): pass\n",
    })
    assert_parity(fastest_bin, python_exe, tmp_path)
    tree, is_dynamic = static_tree(fastest_bin, python_exe, tmp_path)
    assert len(tree["selected"]) > 60
    dynamic = [node_id for node_id in tree["selected"] if is_dynamic(node_id)]
    assert dynamic == []
    assert "test_cond.py::test_linux" in tree["selected"]
    assert not any(node_id.startswith(("test_never.py", "test_py3_ignored.py")) for node_id in tree["selected"])


def test_mutated_names_stay_dynamic_and_are_settled_by_pytest(fastest_bin, python_exe, tmp_path):
    write_tree(tmp_path, {"pytest.ini": "[pytest]\n", "test_mut.py": MUTATED})
    assert_parity(fastest_bin, python_exe, tmp_path)
    tree, is_dynamic = static_tree(fastest_bin, python_exe, tmp_path)
    assert is_dynamic("test_mut.py::test_mutated")
    # bound again by a plain statement before it is read: the last binding, statically
    assert not is_dynamic("test_mut.py::test_rebound")
    assert [i for i in tree["selected"] if "test_rebound" in i] == ["test_mut.py::test_rebound[b]", "test_mut.py::test_rebound[c]"]
    # grown by append before it is read: replayed
    assert not is_dynamic("test_mut.py::test_grown")
    assert [i for i in tree["selected"] if "test_grown" in i] == [
        "test_mut.py::test_grown[1]", "test_mut.py::test_grown[2]", "test_mut.py::test_grown[3]"]
