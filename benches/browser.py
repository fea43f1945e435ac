"""Headless Chromium, to see a page as a reader does: a screenshot, and the DOM after its
scripts ran. Used by the dashboard (its PNG) and by the test that checks the dashboard renders."""
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Optional

NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> Optional[str]:
    """$FASTEST_CHROMIUM, else the first Chromium-like browser on PATH."""
    if os.environ.get("FASTEST_CHROMIUM"):
        return os.environ["FASTEST_CHROMIUM"]
    return next((path for path in map(shutil.which, NAMES) if path), None)


def run_headless(chromium: str, page: Path, *flags: str, fragment: str = "",
                 timeout: float = 120) -> subprocess.CompletedProcess:
    # A throw-away profile: nothing read from or left in the user's home. No sandbox: CI and
    # containers run as root, where Chromium's sandbox refuses to start.
    with tempfile.TemporaryDirectory(prefix="fastest-chromium-") as profile:
        cmd = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
               "--disable-dev-shm-usage", "--hide-scrollbars", "--force-device-scale-factor=1",
               "--enable-logging=stderr", "--v=0", f"--user-data-dir={profile}", *flags,
               page.resolve().as_uri() + (f"#{fragment}" if fragment else "")]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def screenshot(chromium: str, page: Path, png: Path, width: int = 1280, height: int = 900,
               fragment: str = "") -> subprocess.CompletedProcess:
    return run_headless(chromium, page, f"--screenshot={png.resolve()}", f"--window-size={width},{height}",
                        fragment=fragment)


def dump_dom(chromium: str, page: Path, fragment: str = "") -> subprocess.CompletedProcess:
    """stdout: the DOM once the page loaded and its scripts ran; stderr: the console's errors."""
    return run_headless(chromium, page, "--dump-dom", "--window-size=1280,900", fragment=fragment)
