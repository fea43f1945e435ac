"""The VS Code extension type-checks against the pinned VS Code API and language client, and its
pure parts behave (run under plain Node)."""
import os
import shutil
import subprocess

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

pytestmark = pytest.mark.skipif(shutil.which("npm") is None, reason="npm is needed for the extension's dependencies")


@pytest.fixture(scope="module")
def extension(tmp_path_factory):
    """A copy of editors/vscode with its locked dependencies installed."""
    dest = tmp_path_factory.mktemp("vscode") / "vscode"
    shutil.copytree(os.path.join(REPO, "editors", "vscode"), dest, ignore=shutil.ignore_patterns("node_modules", "out"))
    install = subprocess.run(["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"], cwd=dest,
                             capture_output=True, text=True, timeout=300)
    if install.returncode != 0:
        pytest.skip("npm registry unreachable: " + install.stderr[-300:])
    return dest


def test_vscode_extension_type_checks(extension):
    check = subprocess.run(["npx", "--no-install", "tsc", "-p", ".", "--noEmit"], cwd=extension,
                           capture_output=True, text=True, timeout=300)
    assert check.returncode == 0, check.stdout + check.stderr


def run_under_node(extension, test_script, module):
    """Builds the extension, then runs tests/integration/vscode/TEST_SCRIPT on its out/MODULE
    under plain Node (a pure module: no VS Code API). Returns its stdout."""
    build = subprocess.run(["npx", "--no-install", "tsc", "-p", "."], cwd=extension, capture_output=True, text=True,
                           timeout=300)
    assert build.returncode == 0, build.stdout + build.stderr
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    run = subprocess.run([node, os.path.join(REPO, "tests", "integration", "vscode", test_script),
                          str(extension / "out" / module)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr
    return run.stdout


def test_run_notifications_before_the_reply_are_kept(extension):
    """The server sends a run's `enqueued` states (even its end) before the client reads the reply
    naming the run: they wait for it instead of being dropped."""
    assert "run router: ok" in run_under_node(extension, "run_router_test.js", "runRouter.js")


def test_failure_message_starts_with_its_summary(extension):
    """The workbench draws a message's first line after the failing line: pytest's "E" line, not
    the report's `def test_...():`."""
    assert "failure summary: ok" in run_under_node(extension, "failure_summary_test.js", "failureSummary.js")
