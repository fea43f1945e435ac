"""Generated test suites for the end-to-end comparisons (pure functions of their sizes)."""
from pathlib import Path


def write(root: Path, files: dict) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def numpy_pandas_suite(root: Path, modules: int = 3) -> Path:
    """Test modules that each start with `import numpy as np; import pandas as pd`, and an
    empty conftest: what a new user's project looks like (issue 14)."""
    body = ("import numpy as np\nimport pandas as pd\n\n\n"
            "def test_sum():\n    assert np.arange(4).sum() == 6\n\n\n"
            "def test_frame():\n    assert pd.DataFrame({'a': [1, 2]})['a'].sum() == 3\n")
    return write(root, {"pytest.ini": "[pytest]\n", "tests/conftest.py": "",
                        **{f"tests/test_mod{i}.py": body for i in range(modules)}})


def project_module_suite(root: Path, heavy: bool, modules: int = 3) -> Path:
    """Test modules that import the project's own `calc` (src/, on pythonpath) and, when
    `heavy`, numpy and pandas: what the project image holds, and what a user edits."""
    heavy_imports = "import numpy as np\nimport pandas as pd\n" if heavy else ""
    body = (heavy_imports + "from calc import add\n\n\n"
            "def test_add():\n    assert add(2, 3) == 5\n")
    return write(root, {"pytest.ini": "[pytest]\npythonpath = src\n", "tests/conftest.py": "",
                        "src/calc.py": "def add(a, b):\n    return a + b\n",
                        **{f"tests/test_calc{i}.py": body for i in range(modules)}})


def mixed_suite(root: Path, tests: int, per_file: int = 20) -> Path:
    """Plain functions, classes and parametrize, `per_file` tests per module."""
    files = {"pytest.ini": "[pytest]\n"}
    n_files = max(1, tests // per_file)
    for f in range(n_files):
        body = ["import pytest", ""]
        for t in range(per_file // 2):
            body += [f"def test_plain_{t}():", f"    assert {t} + 1 > {t}", ""]
        body += ["class TestGroup:"]
        for t in range(per_file // 4):
            body += [f"    def test_method_{t}(self):", "        assert True", ""]
        rest = per_file - per_file // 2 - per_file // 4
        values = ", ".join(str(v) for v in range(rest))
        body += [f"@pytest.mark.parametrize('value', [{values}])", "def test_param(value):", "    assert value >= 0", ""]
        files[f"tests/pkg_{f % 10}/test_mod_{f}.py"] = "\n".join(body)
    return write(root, files)


def one_test_files(root: Path, files_count: int) -> Path:
    """One trivial test per file: what costs per file (collection, batches, progress) shows."""
    files = {"pytest.ini": "[pytest]\n"}
    for f in range(files_count):
        files[f"tests/test_file_{f:05d}.py"] = "def test_x():\n    pass\n"
    return write(root, files)


def skewed_suite(root: Path, slow: int = 4, slow_s: float = 0.4, fast: int = 120, fast_s: float = 0.01) -> Path:
    files = {"pytest.ini": "[pytest]\n"}
    lines = ["import time", ""]
    for i in range(slow):
        lines += [f"def test_slow_{i}():", f"    time.sleep({slow_s})", ""]
    files["tests/test_slow.py"] = "\n".join(lines)
    per_file = 20
    for f in range(max(1, fast // per_file)):
        lines = ["import time", ""]
        for i in range(per_file):
            lines += [f"def test_fast_{i}():", f"    time.sleep({fast_s})", ""]
        files[f"tests/test_fast_{f}.py"] = "\n".join(lines)
    return write(root, files)


def heavy_import_suite(root: Path, files_count: int = 20, tests_per_file: int = 10) -> Path:
    heavy = "import json, decimal, email.mime.text, http.client, xml.dom.minidom, asyncio, unittest.mock, logging.handlers"
    files = {"pytest.ini": "[pytest]\n"}
    for f in range(files_count):
        lines = [heavy, ""]
        for t in range(tests_per_file):
            lines += [f"def test_{t}():", "    assert json.loads('[1]') == [1]", ""]
        files[f"tests/test_heavy_{f}.py"] = "\n".join(lines)
    return write(root, files)


def big_test_file(lines: int) -> str:
    out = ["import pytest", ""]
    n = 0
    while len(out) < lines:
        out += [f"class TestGroup{n}:"]
        for m in range(5):
            out += [f"    def test_method_{m}(self):", f"        value = {m}", f"        assert value == {m}", ""]
        out += [f"def test_plain_{n}():", "    assert True", ""]
        n += 1
    return "\n".join(out) + "\n"


def realistic_test_file(lines: int) -> str:
    """About one test per 15 lines, as in real suites: setup, a few asserts, a helper now and then."""
    out = ["import pytest", ""]
    n = 0
    while len(out) < lines:
        out += [f"class TestFeature{n}:"]
        for m in range(4):
            out += [f"    def test_case_{m}(self):", "        items = [1, 2, 3]", f"        total = sum(items) + {m}",
                    "        doubled = [i * 2 for i in items]", "        assert total > 0", "        assert doubled[0] == 2",
                    "        assert len(items) == 3", "        # check the edges", "        assert items[-1] == 3",
                    "        assert min(items) == 1", "        assert max(items) == 3", ""]
        out += [f"def helper_{n}(value):", "    return value * 2", ""]
        n += 1
    return "\n".join(out) + "\n"
