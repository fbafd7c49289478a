"""``/docs``, ``/redoc`` and ``/asyncapi`` of both services render with no host but 127.0.0.1 reachable.

Each page is loaded by headless Chromium over real HTTP (uvicorn on 127.0.0.1) with every other host
unresolvable. Its DOM is read back for what only a rendered page has (Swagger UI's operation blocks,
Redoc's operation headings, the AsyncAPI viewer's channels, none of them in the served HTML), its
screenshot must not be blank, and every request the page made went to the service itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from PIL import Image

from services.platform.asyncapi_http import document
from tests.browser.offline import Load, load, served
from tests.fuzz.inprocess import InProcessGateway, fuzz_decision_app, fuzz_interview_app

APPS: dict[str, Callable[[], FastAPI]] = {
    "interview": lambda: fuzz_interview_app(InProcessGateway()),
    "decision": lambda: fuzz_decision_app([]),
}
REDOC_CREDIT = "https://cdn.redoc.ly/redoc/logo-mini.svg"
"""Redoc's sidebar credit always asks for its logo from Redocly's CDN; the page's CSP refuses it (no
request is made) and Redoc hides the image. The one refusal these pages may show."""
WIDTH, HEIGHT = 1280, 900


@pytest.fixture(scope="module", params=sorted(APPS))
def service(request: pytest.FixtureRequest) -> Iterator[tuple[str, dict[str, Any]]]:
    """One service on a real port, with its OpenAPI document."""
    app = APPS[request.param]()
    with served(app) as base:
        yield base, app.openapi()


def rendered(load_: Load) -> BeautifulSoup:
    """The DOM as drawn, without scripts (the AsyncAPI page carries its document inside one)."""
    soup = BeautifulSoup(load_.dom, "html.parser")
    for script in soup.find_all("script"):
        script.decompose()
    return soup


def shown(base: str, path: str, shot: Path) -> Load:
    """Load ``base + path`` offline with a screenshot; check it made no request but to ``base``."""
    result = load(base + path, f"--screenshot={shot}", f"--window-size={WIDTH},{HEIGHT}")
    assert result.requested, "the page requested nothing: its scripts never ran"
    strays = [url for url in result.requested if not url.startswith(base + "/")]
    assert strays == [], f"{path} requested other hosts: {strays}"
    assert not blank(shot), f"{path}: the screenshot is blank"
    return result


def blank(png: Path) -> bool:
    """Whether the picture is (nearly) one colour: what a page whose scripts failed looks like."""
    with Image.open(png) as image:
        rgb = image.convert("RGB")
        colours = sorted(rgb.getcolors(WIDTH * HEIGHT) or [], reverse=True)
    background = colours[0][0] if colours else WIDTH * HEIGHT
    return len(colours) < 16 or background > 0.97 * WIDTH * HEIGHT


def operations(openapi: dict[str, Any]) -> list[dict[str, Any]]:
    """Every operation of the OpenAPI document, with its path."""
    return [{**op, "path": path} for path, ops in openapi["paths"].items() for op in ops.values()]


def test_swagger_ui_renders_every_operation_offline(
    service: tuple[str, dict[str, Any]], tmp_path: Path
) -> None:
    base, openapi = service
    page = shown(base, "/docs", tmp_path / "docs.png")
    assert page.refused == []
    soup = rendered(page)
    paths = {tag["data-path"] for tag in soup.select(".opblock .opblock-summary-path")}
    assert paths == {op["path"] for op in operations(openapi)}
    assert soup.select_one(".swagger-ui .info .title") is not None


def test_redoc_renders_every_operation_offline(service: tuple[str, dict[str, Any]], tmp_path: Path) -> None:
    base, openapi = service
    page = shown(base, "/redoc", tmp_path / "redoc.png")
    assert all(REDOC_CREDIT in refusal for refusal in page.refused), page.refused
    headings = {h2.get_text(strip=True) for h2 in rendered(page).find_all("h2")}
    summaries = {op["summary"] for op in operations(openapi)}
    assert summaries <= headings, f"missing: {sorted(summaries - headings)}"


def test_the_asyncapi_viewer_renders_every_channel_offline(
    service: tuple[str, dict[str, Any]], tmp_path: Path
) -> None:
    base, _ = service
    page = shown(base, "/asyncapi", tmp_path / "asyncapi.png")
    assert page.refused == []
    soup = rendered(page)
    text = soup.get_text(" ")
    assert str(document()["info"]["title"]) in text
    channels = {channel["address"] for channel in document()["channels"].values()}
    assert len(channels) >= 8
    assert [c for c in sorted(channels) if c not in text] == []
    assert {"Servers", "Operations"} <= {h2.get_text(strip=True) for h2 in soup.find_all("h2")}
