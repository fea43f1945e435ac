"""Issue 13: values of installed modules (the standard library, site-packages) that tests are
parametrized with are asked of the interpreter once and kept with the environment's key:
`math.pi`, `re.IGNORECASE`, `np.float64`, `np.arange(3)`. Their ids are static and equal to
pytest's; what a fresh import cannot vouch for stays pytest's to settle:
- a call whose two results differ (`random.random()`), made in pytest's working directory and
  in another (`os.path.abspath("data")`);
- this process's own state (`sys.argv`, `os.getpid()`);
- a module pytest's import path loads from the project while the interpreter alone loads the
  standard library's (a local `colorsys.py`).
"""
import json
import subprocess

from test_discover_parity import assert_parity, write_tree
from test_discover_static_eval import static_tree

TEST_STDLIB = """
import decimal
import math
import os.path
import re
import string
from fractions import Fraction

import pluggy
import pytest


@pytest.mark.parametrize("x", [math.pi, math.inf, os.path.sep, string.digits[:3]])
def test_constants(x): pass


@pytest.mark.parametrize("c", string.ascii_lowercase[:4])
def test_chars(c): pass


@pytest.mark.parametrize("flag", [re.IGNORECASE, re.MULTILINE])
def test_flags(flag): pass


@pytest.mark.parametrize("f", [math.floor, math.ceil, pluggy.HookimplMarker, decimal.Decimal])
def test_named(f): pass


@pytest.mark.parametrize("v", [Fraction(1, 2), decimal.Decimal("1.5"), math.floor(2.5), math.comb(5, 2)])
def test_calls(v): pass


@pytest.mark.parametrize("n", range(math.factorial(3)))
def test_range_of_call(n): pass


# Depends on the working directory: the interpreter's answer in another folder differs.
@pytest.mark.parametrize("p", [os.path.abspath("data")])
def test_cwd_dependent(p): pass
"""

# Its id differs in every collection: never static, and never equal across two runs.
TEST_RANDOM = """
import random

import pytest


@pytest.mark.parametrize("r", [random.random()])
def test_random(r): pass


# This process's own state (the command line, the process id): never the interpreter's answer.
import os
import sys


@pytest.mark.parametrize("arg", sys.argv[:1])
def test_argv(arg): pass


@pytest.mark.parametrize("pid", [os.getpid()])
def test_pid(pid): pass
"""

TEST_SHADOWED = """
import colorsys

import pytest


@pytest.mark.parametrize("third", [colorsys.ONE_THIRD])
def test_third(third): pass
"""


def test_installed_values_are_static_and_equal_to_pytest(fastest_bin, python_exe, tmp_path):
    write_tree(tmp_path, {
        "pytest.ini": "[pytest]\n",
        "test_stdlib.py": TEST_STDLIB,
        "colorsys.py": "ONE_THIRD = 0.25\n",  # pytest's import path loads this one
        "test_shadowed.py": TEST_SHADOWED,
    })
    assert_parity(fastest_bin, python_exe, tmp_path)
    (tmp_path / "test_stdlib_random.py").write_text(TEST_RANDOM)
    tree, is_dynamic = static_tree(fastest_bin, python_exe, tmp_path)
    static = [i for i in tree["selected"] if not is_dynamic(i)]
    assert static == [
        "test_stdlib.py::test_constants[3.141592653589793]", "test_stdlib.py::test_constants[inf]",
        "test_stdlib.py::test_constants[/]", "test_stdlib.py::test_constants[012]",
        "test_stdlib.py::test_chars[a]", "test_stdlib.py::test_chars[b]", "test_stdlib.py::test_chars[c]",
        "test_stdlib.py::test_chars[d]",
        "test_stdlib.py::test_flags[re.IGNORECASE]", "test_stdlib.py::test_flags[re.MULTILINE]",
        "test_stdlib.py::test_named[floor]", "test_stdlib.py::test_named[ceil]",
        "test_stdlib.py::test_named[HookimplMarker]", "test_stdlib.py::test_named[Decimal]",
        "test_stdlib.py::test_calls[v0]", "test_stdlib.py::test_calls[v1]", "test_stdlib.py::test_calls[2]",
        "test_stdlib.py::test_calls[10]",
    ] + [f"test_stdlib.py::test_range_of_call[{n}]" for n in range(6)]
    assert is_dynamic("test_stdlib_random.py::test_random")
    assert is_dynamic("test_stdlib.py::test_cwd_dependent")
    assert is_dynamic("test_stdlib_random.py::test_argv")
    assert is_dynamic("test_stdlib_random.py::test_pid")
    assert is_dynamic("test_shadowed.py::test_third")
    items = {i["id"]: i for i in tree["items"]}
    assert "two calls gave different results" in items["test_stdlib_random.py::test_random"]["dynamicReason"]
    assert "pytest's import path may load" in items["test_shadowed.py::test_third"]["dynamicReason"]


def test_answers_are_kept_and_not_asked_again(fastest_bin, python_exe, tmp_path):
    write_tree(tmp_path, {"pytest.ini": "[pytest]\n", "test_stdlib.py": TEST_STDLIB})
    static_tree(fastest_bin, python_exe, tmp_path)
    kept = list((tmp_path / ".fastest_cache" / "library-facts").glob("*.json"))
    assert len(kept) == 1
    before = kept[0].stat().st_mtime_ns
    answers = json.loads(kept[0].read_text())
    assert answers["statements"]["import math"]["where"] in ("stdlib", "builtin")
    tree, is_dynamic = static_tree(fastest_bin, python_exe, tmp_path)
    assert not is_dynamic("test_stdlib.py::test_constants[inf]")
    assert kept[0].stat().st_mtime_ns == before  # nothing new was asked
    # Without the facts, such values are pytest's to settle.
    proc = subprocess.run([fastest_bin, "discover", "--python", python_exe, "--no-settle", "--json",
                           "--no-library-facts"], cwd=tmp_path, capture_output=True, text=True)
    items = {i["id"]: i for i in json.loads(proc.stdout)["items"]}
    assert items["test_stdlib.py::test_constants"]["dynamic"]


def test_an_interpreter_that_dies_while_answering_leaves_the_values_unknown_once(fastest_bin, python_exe, tmp_path):
    """A call that kills the interpreter (pytest's own collection would die on it too): the
    values stay pytest's to settle, and the failure is kept, so the next run does not ask again."""
    write_tree(tmp_path, {"pytest.ini": "[pytest]\n",
                          "test_abort.py": "import os\n\nimport pytest\n\n\n"
                                           "@pytest.mark.parametrize('x', [os.abort()])\ndef test_never(x): pass\n"})
    tree, is_dynamic = static_tree(fastest_bin, python_exe, tmp_path)
    assert is_dynamic("test_abort.py::test_never")
    items = {i["id"]: i for i in tree["items"]}
    assert "gave no answer" in items["test_abort.py::test_never"]["dynamicReason"]
    kept = list((tmp_path / ".fastest_cache" / "library-facts").glob("*.json"))
    assert len(kept) == 1
    before = kept[0].stat().st_mtime_ns
    tree, is_dynamic = static_tree(fastest_bin, python_exe, tmp_path)
    assert is_dynamic("test_abort.py::test_never")
    assert kept[0].stat().st_mtime_ns == before  # not asked again
