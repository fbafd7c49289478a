"""The API pages' HTML names no other host, their assets are the locked files, served without a token."""

from __future__ import annotations

import hashlib
import importlib.util
import re
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI

from services.decision.adapters.metrics import DecisionMetrics
from services.decision.entrypoints.probes import Health, Probes, probe_app
from services.platform import api_docs
from tests.fuzz.inprocess import AnsweringBroker, InProcessGateway, fuzz_decision_app, fuzz_interview_app

ROOT = Path(__file__).resolve().parents[3]
PAGES = ("/docs", "/redoc", "/asyncapi")
EXTERNAL = re.compile(r"(?:https?:)?//[a-z0-9.-]+", re.IGNORECASE)


def fetcher() -> ModuleType:
    """deploy/image/api_assets.py (a script, not a package module)."""
    spec = importlib.util.spec_from_file_location("api_assets", ROOT / "deploy" / "image" / "api_assets.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["api_assets"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(params=["interview", "decision"])
async def http(request: pytest.FixtureRequest) -> AsyncIterator[httpx.AsyncClient]:
    """A client of one service's real app, with no token."""
    app = fuzz_interview_app(InProcessGateway()) if request.param == "interview" else fuzz_decision_app([])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://svc") as client:
        yield client


def loaded_urls(html: str) -> list[str]:
    """Every URL the page's markup makes the browser load: scripts, styles, icons, images, CSS urls."""
    soup = BeautifulSoup(html, "html.parser")
    urls = [tag.get("src") or tag.get("href") for tag in soup.find_all(["script", "link", "img", "iframe"])]
    styles = " ".join(style.get_text() for style in soup.find_all("style"))
    urls += re.findall(r"url\(([^)]*)\)|@import\s+['\"]([^'\"]+)", styles)
    return [str(u) for u in urls if u]


@pytest.mark.parametrize("path", PAGES)
async def test_each_page_loads_only_from_its_own_service(http: httpx.AsyncClient, path: str) -> None:
    page = await http.get(path)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "default-src 'self'" in csp
    assert "connect-src 'self'" in csp
    urls = loaded_urls(page.text)
    assert any(u.startswith(api_docs.ASSETS_URL + "/") for u in urls), urls
    assert [u for u in urls if EXTERNAL.match(u) or not u.startswith("/")] == []
    for forbidden in (
        "fonts.googleapis",
        "cdn.jsdelivr",
        "unpkg.com",
        "fastapi.tiangolo",
        "asyncapi.com/fav",
    ):
        assert forbidden not in page.text
    for url in urls:  # and each of them is there
        assert (await http.get(url)).status_code == 200, url


async def test_the_assets_are_the_locked_files_with_their_licences(http: httpx.AsyncClient) -> None:
    for package in api_docs.packages().values():
        assert "LICENSE" in package["files"], package["name"]
        assert package["integrity"].startswith("sha512-")
        assert package["tarball"].startswith("https://registry.npmjs.org/")
        for name, digest in package["files"].items():
            served = await http.get(f"{api_docs.ASSETS_URL}/{package['dir']}/{name}")
            assert served.status_code == 200, name
            assert hashlib.sha256(served.content).hexdigest() == digest, name
            assert served.headers["cache-control"] == "public, max-age=31536000, immutable"
    script = await http.get(f"{api_docs.ASSETS_URL}/redoc-2.5.4/bundles/redoc.standalone.js")
    assert script.headers["content-type"] == "text/javascript; charset=utf-8"


@pytest.mark.parametrize(
    "path", ["../lock.json", "redoc-2.5.4/package.json", "redoc-2.5.4/../../api_docs.py", "nothing"]
)
async def test_only_locked_files_are_served(http: httpx.AsyncClient, path: str) -> None:
    assert (await http.get(f"{api_docs.ASSETS_URL}/{path}")).status_code == 404


async def test_missing_assets_answer_503_naming_the_fix(
    http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(api_docs, "assets", lambda: {"redoc-2.5.4/LICENSE": tmp_path / "absent"})
    for path in PAGES:
        page = await http.get(path)
        assert page.status_code == 503, path
        assert "deploy/image/api_assets.py fetch" in page.text


def test_the_pages_replace_fastapis_own() -> None:
    with pytest.raises(ValueError, match="docs_url=None"):
        api_docs.mount_api_docs(FastAPI())


async def test_a_probes_only_role_serves_no_pages() -> None:
    """ADR 0016: the projector roles answer probes and metrics only; the query role serves the API."""
    metrics = DecisionMetrics("projector")
    probes = Probes(
        "projector", lambda: True, "", lambda: Health(status="ready", role="projector"), metrics.render
    )
    app = probe_app(probes, AnsweringBroker(), 1024)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://role") as client:
        for path in (*PAGES, f"{api_docs.ASSETS_URL}/redoc-2.5.4/LICENSE", "/openapi.json"):
            assert (await client.get(path)).status_code == 404, path


def test_the_fetcher_checks_integrity_and_reports_what_is_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = fetcher()
    assert script.sri_ok(b"abc", "sha512-" + _b64_sha512(b"abc"))
    assert not script.sri_ok(b"abd", "sha512-" + _b64_sha512(b"abc"))
    assert not script.sri_ok(b"abc", "sha1-qZk+NkcGgWq6PiVxeFDCbJzQ2J0=")
    assert script.main(["check", "--root", str(ROOT)]) == 0  # this tree was set up
    lock = tmp_path / "services" / "platform" / "api_assets" / "lock.json"
    lock.parent.mkdir(parents=True)
    lock.write_text((ROOT / "services" / "platform" / "api_assets" / "lock.json").read_text())
    packages: list[dict[str, Any]] = list(api_docs.packages().values())
    (lock.parent / packages[0]["dir"]).mkdir()
    (lock.parent / packages[0]["dir"] / "LICENSE").write_text("edited")
    assert script.main(["check", "--root", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert f"{packages[0]['dir']}/LICENSE: sha256 differs from the lock" in err
    assert f"{packages[1]['dir']}/LICENSE: missing" in err


def _b64_sha512(data: bytes) -> str:
    import base64

    return base64.b64encode(hashlib.sha512(data).digest()).decode()
