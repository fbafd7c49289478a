"""A page loaded by headless Chromium over real HTTP from 127.0.0.1 with every other host unreachable.

Every host name but 127.0.0.1 resolves to nothing (``--host-resolver-rules``), so a page that needs a CDN
renders blank. The browser's network log names every request the page made (the browser's own update
and account checks have no page initiator and are left out), its console log every request the page's
Content-Security-Policy refused.
"""

from __future__ import annotations

import json
import re
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from tests.browser.chromium import launch
from tests.deploy.cluster import free_port

BLOCK_ALL_BUT_LOCALHOST = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"
REFUSED = re.compile(r"CONSOLE.*?\"((?:Loading|Refused|Connecting)[^\"]*violates[^\"]*)\"")


@dataclass(frozen=True)
class Load:
    """What one page load showed: its DOM (or nothing), the URLs it requested, what its CSP refused."""

    dom: str
    requested: list[str]
    refused: list[str]


@contextmanager
def served(app: FastAPI) -> Iterator[str]:
    """``app`` on a real HTTP port of 127.0.0.1 (uvicorn in a thread); its base URL."""
    port = free_port()
    # log_config=None: uvicorn leaves the process's logging alone (other tests check its configuration)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    try:
        while not server.started:  # the thread sets it once the socket listens
            if not thread.is_alive():
                raise AssertionError("uvicorn did not start")
            thread.join(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)
        assert not thread.is_alive(), "uvicorn did not stop"


def load(url: str, *flags: str, timeout: float = 120) -> Load:
    """Load ``url`` offline; its DOM after up to 15 s (virtual) of scripts. ``flags``: e.g. a screenshot."""
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        netlog = Path(profile) / "netlog.json"
        out, err = launch(
            f"{profile}/data", url, BLOCK_ALL_BUT_LOCALHOST, f"--log-net-log={netlog}",
            "--enable-logging=stderr", "--v=0", "--virtual-time-budget=15000", "--dump-dom", *flags,
            timeout=timeout,
        )  # fmt: skip
        return Load(out, page_requests(netlog), REFUSED.findall(err))


def page_requests(netlog: Path) -> list[str]:
    """Every URL a page (not the browser itself) requested, from Chromium's network log."""
    log = json.loads(netlog.read_text())
    start = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    urls = []
    for event in log["events"]:
        params = event.get("params") or {}
        if event["type"] == start and params.get("initiator", "not an origin") != "not an origin":
            urls.append(params["url"])
    return urls
