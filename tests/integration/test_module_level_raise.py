"""A module whose import fails at collection: one that raises (a `raise` or a failing `assert` at module level, in a class
body, or in an `if` the interpreter takes) is pytest's collection error, or its skip for a raised
unittest.SkipTest: `fastest discover` and `fastest run` print what pytest prints, the module's
captured stdout/stderr under its error included (`--show-capture` honoured). A `raise` that does
not run at import (`if __name__ == "__main__":`, an `if` the interpreter decides against, a
function body) leaves the module static.
"""
import json
import re
import subprocess

import pytest

from test_discover_parity import fastest_discover, pytest_collect, write_tree

RAISING = {
    "raise": 'import sys\nprint("loading")\nsys.stderr.write("WARNING: no data\\n")\nraise RuntimeError("boom")\n'
             "def test_a(): pass\n",
    "class-body": "class TestA:\n    raise ValueError('bad class')\n    def test_a(self): pass\n",
    "assert": "import sys\nassert sys.version_info < (3,), 'python 2 only'\ndef test_a(): pass\n",
    "taken-branch": "import sys\nif sys.version_info >= (3,):\n    raise ImportError('needs py2')\ndef test_a(): pass\n",
    "skiptest": "import unittest\nraise unittest.SkipTest('no backend here')\ndef test_a(): pass\n",
}

NOT_RUN = {
    "main-guard": "def test_a(): pass\nif __name__ == '__main__':\n    raise SystemExit(1)\n",
    "untaken-branch": "import sys\nif sys.version_info < (3,):\n    raise ImportError('py3 only')\ndef test_a(): pass\n",
    "function-body": "def helper():\n    raise ValueError\ndef test_a(): pass\n",
    "handler": "import sys\ntry:\n    import json\nexcept ImportError:\n    if sys.platform.startswith('win'):\n        raise\n"
               "def test_a(): pass\n",
    "holding-assert": "import sys\nassert sys.version_info >= (3,)\ndef test_a(): pass\n",
    "data-assert": "CASES = [(1, 2), (3, 4)]\nassert len(set(c[0] for c in CASES)) == len(CASES)\ndef test_a(): pass\n",
}


def tree(tmp_path, source, addopts=""):
    write_tree(tmp_path, {"pytest.ini": f"[pytest]\naddopts = {addopts}\n", "tests/test_ok.py": "def test_ok(): pass\n",
                          "tests/test_mod.py": source})
    return tmp_path


@pytest.mark.parametrize("addopts", ["", "--show-capture=stderr", "--show-capture=no"])
@pytest.mark.parametrize("case", sorted(RAISING))
def test_a_module_raising_at_import_is_listed_as_pytest(fastest_bin, python_exe, tmp_path, case, addopts):
    root = tree(tmp_path, RAISING[case], addopts)
    assert fastest_discover(fastest_bin, python_exe, root) == pytest_collect(python_exe, root)


@pytest.mark.parametrize("case", ["raise", "skiptest"])
def test_a_module_raising_at_import_runs_as_pytest(fastest_bin, python_exe, tmp_path, case):
    root = tree(tmp_path, RAISING[case])
    ref = subprocess.run([python_exe, "-m", "pytest", "-p", "no:cacheprovider", "-rA"], cwd=root,
                         capture_output=True, text=True, timeout=120)
    ours = subprocess.run([fastest_bin, "run", "--python", python_exe, "-rA"], cwd=root,
                          capture_output=True, text=True, timeout=120)
    def from_collected(out):  # the header's platform/plugins lines are fastest's own
        lines = re.sub(r" in \d+\.\d+s", "", out).splitlines()
        return lines[next(i for i, line in enumerate(lines) if line.startswith("collected")):]
    assert from_collected(ours.stdout) == from_collected(ref.stdout)
    assert ours.returncode == ref.returncode


@pytest.mark.parametrize("case", sorted(NOT_RUN))
def test_a_raise_that_does_not_run_at_import_leaves_the_module_static(fastest_bin, python_exe, tmp_path, case):
    root = tree(tmp_path, NOT_RUN[case])
    listing = subprocess.run([fastest_bin, "discover", "--python", python_exe, "--no-settle", "--json"], cwd=root,
                             capture_output=True, text=True, timeout=60)
    module = next(i for i in json.loads(listing.stdout)["items"] if i["id"] == "tests/test_mod.py")
    assert not module["dynamic"], module.get("dynamicReason")
    assert fastest_discover(fastest_bin, python_exe, root) == pytest_collect(python_exe, root)


PROJECT_PACKAGE = {
    "mypkg/__init__.py": "from .core import answer\n",
    "mypkg/core.py": "from . import backends\n\nanswer = 42\n",
    "mypkg/backends.py": "import os\nimport not_installed_dependency\n",
    "mypkg/optional.py": "try:\n    import not_installed_dependency\nexcept ImportError:\n    pass\n",
}


@pytest.mark.parametrize("test_import", ["from mypkg import answer", "import mypkg.core", "from mypkg.core import answer"])
def test_a_project_package_failing_to_import_is_a_collection_error_as_pytest(fastest_bin, python_exe, tmp_path,
                                                                               test_import):
    """The test module imports the project's package; the package imports, two modules down, a
    dependency that is not installed: pytest reports the test module's ImportError."""
    write_tree(tmp_path, {"pytest.ini": "[pytest]\n", **PROJECT_PACKAGE,
                          "tests/test_uses_pkg.py": f"{test_import}\n\ndef test_answer():\n    pass\n",
                          "tests/test_alone.py": "def test_alone():\n    pass\n"})
    assert fastest_discover(fastest_bin, python_exe, tmp_path) == pytest_collect(python_exe, tmp_path)
    ref = subprocess.run([python_exe, "-m", "pytest", "-p", "no:cacheprovider"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    ours = subprocess.run([fastest_bin, "run", "--python", python_exe], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert ours.returncode == ref.returncode == 2
    assert ours.stdout.strip().splitlines()[-1].split(" in ")[0] == ref.stdout.strip().splitlines()[-1].split(" in ")[0]


def test_a_project_package_with_guarded_optional_imports_stays_static(fastest_bin, python_exe, tmp_path):
    files = dict(PROJECT_PACKAGE)
    files["mypkg/core.py"] = "from . import optional\n\nanswer = 42\n"
    write_tree(tmp_path, {"pytest.ini": "[pytest]\n", **files,
                          "tests/test_uses_pkg.py": "from mypkg import answer\n\ndef test_answer():\n    pass\n"})
    listing = subprocess.run([fastest_bin, "discover", "--python", python_exe, "--no-settle", "--json"], cwd=tmp_path,
                             capture_output=True, text=True, timeout=60)
    module = next(i for i in json.loads(listing.stdout)["items"] if i["id"] == "tests/test_uses_pkg.py")
    assert not module["dynamic"], module.get("dynamicReason")
    assert fastest_discover(fastest_bin, python_exe, tmp_path) == pytest_collect(python_exe, tmp_path)


def test_a_conftest_importing_a_failing_project_package_is_pytests_error(fastest_bin, python_exe, tmp_path):
    write_tree(tmp_path, {"pytest.ini": "[pytest]\n", **PROJECT_PACKAGE,
                          "tests/conftest.py": "from mypkg import answer\n",
                          "tests/test_plain.py": "def test_plain():\n    pass\n"})
    assert fastest_discover(fastest_bin, python_exe, tmp_path) == pytest_collect(python_exe, tmp_path)


def test_a_test_helper_imported_relatively_that_fails_to_import_is_pytests_error(fastest_bin, python_exe, tmp_path):
    """tests/unit/test_x.py does `from ..helpers import check`; tests/helpers.py imports the
    project's package, whose import fails (as isort's profile tests without mypy_extensions)."""
    write_tree(tmp_path, {"pytest.ini": "[pytest]\n", **PROJECT_PACKAGE,
                          "tests/__init__.py": "", "tests/unit/__init__.py": "",
                          "tests/helpers.py": "import mypkg\n\ndef check():\n    pass\n",
                          "tests/unit/test_x.py": "from ..helpers import check\n\ndef test_x():\n    check()\n",
                          "tests/unit/test_y.py": "from .. import helpers\n\ndef test_y():\n    pass\n",
                          "tests/unit/test_fine.py": "def test_fine():\n    pass\n"})
    assert fastest_discover(fastest_bin, python_exe, tmp_path) == pytest_collect(python_exe, tmp_path)
