"""Headless Chromium (Debian's package) for page checks; every process it starts is stopped by group id."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

INSTALL = "bash deploy/local/browser.sh"


def chromium() -> str:
    """The browser's path; in CI (CI=true) a missing browser fails the test instead of skipping it."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        message = f"headless Chromium is not installed (`{INSTALL}` installs Debian's package)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return found


def run(url: str, *flags: str, timeout: float = 90) -> str:
    """Run headless Chromium on ``url`` with ``flags``; its stdout. Its whole process group is stopped."""
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        return launch(profile, url, *flags, timeout=timeout)[0]


def launch(profile: str, url: str, *flags: str, timeout: float) -> tuple[str, str]:
    """Headless Chromium on ``url`` with its profile in ``profile``: (stdout, stderr); raises when it
    fails. Its whole process group is stopped."""
    command = [
        chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-dev-shm-usage", "--disable-extensions", "--hide-scrollbars",
        f"--user-data-dir={profile}", *flags, url,
    ]  # fmt: skip
    pipe = subprocess.PIPE
    process = subprocess.Popen(command, stdout=pipe, stderr=pipe, start_new_session=True)
    try:
        out, err = process.communicate(timeout=timeout)
    finally:
        stop_group(process)
    if process.returncode != 0:
        raise AssertionError(f"chromium exited {process.returncode}: {err.decode(errors='replace')[-2000:]}")
    return out.decode(), err.decode(errors="replace")


def stop_group(process: subprocess.Popen[bytes]) -> None:
    """Stop the browser and its helpers (its session's process group) and wait until they are gone."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    raise AssertionError(f"chromium process group {process.pid} still running")


def screenshot(page: Path, out: Path, width: int, height: int) -> None:
    """A PNG of ``page`` as the browser draws it in a ``width`` x ``height`` window."""
    run(page.resolve().as_uri(), f"--screenshot={out}", f"--window-size={width},{height}")


def dump_dom(page: Path) -> str:
    """The page's DOM after the browser loaded it, serialised."""
    return run(page.resolve().as_uri(), "--dump-dom")
