"""Shared fixtures for the end-to-end tests: they drive the real `fastest` binary."""
import os
import pathlib
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
FASTEST = pathlib.Path(os.environ.get("FASTEST_BIN", REPO / "build" / "fastest"))
TEST_PROJECT = REPO / "test_project"


@pytest.fixture(scope="session")
def fastest_bin() -> pathlib.Path:
    if not FASTEST.exists():
        pytest.fail(f"{FASTEST} is missing: run scripts/setup.sh first")
    return FASTEST


@pytest.fixture(scope="session")
def python_exe() -> str:
    """The interpreter that has the pinned pytest (the project venv when present)."""
    venv = REPO / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


@pytest.fixture(scope="session")
def test_project() -> pathlib.Path:
    return TEST_PROJECT
