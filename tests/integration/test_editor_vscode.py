"""The VS Code extension type-checks against the pinned VS Code API and language client."""
import os
import shutil
import subprocess

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.mark.skipif(shutil.which("npm") is None, reason="npm is needed for the extension's dependencies")
def test_vscode_extension_type_checks(tmp_path):
    src = os.path.join(REPO, "editors", "vscode")
    dest = tmp_path / "vscode"
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("node_modules", "out"))
    install = subprocess.run(["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"], cwd=dest,
                             capture_output=True, text=True, timeout=300)
    if install.returncode != 0:
        pytest.skip("npm registry unreachable: " + install.stderr[-300:])
    check = subprocess.run(["npx", "--no-install", "tsc", "-p", ".", "--noEmit"], cwd=dest,
                           capture_output=True, text=True, timeout=300)
    assert check.returncode == 0, check.stdout + check.stderr
