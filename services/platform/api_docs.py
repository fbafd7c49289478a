"""The API pages, offline: ``/docs`` (Swagger UI), ``/redoc`` (Redoc) and ``/asyncapi`` (the AsyncAPI viewer).

Their scripts, styles and favicon come from this package (``api_assets/``, fetched from pinned npm
packages with their licences; ADR 0031) under ``/docs/assets/``; nothing on the pages loads from another
host (no CDN, no web fonts, no remote favicon, no online validator). A page whose assets are missing (a
source tree where ``deploy/local/setup.sh`` has not run) answers 503 naming the command, not a blank page.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import FileResponse, HTMLResponse, PlainTextResponse, Response

log = structlog.get_logger("api_docs")
ASSETS_URL = "/docs/assets"
OAUTH2_REDIRECT = "/docs/oauth2-redirect"
FETCH = "python3 deploy/image/api_assets.py fetch (deploy/local/setup.sh runs it)"
IMMUTABLE = "public, max-age=31536000, immutable"  # each asset's path names its package version
CSP = (  # the browser itself refuses anything from another host
    "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".png": "image/png",
}


def _directory() -> Path:
    return Path(str(resources.files("services.platform") / "api_assets"))


@cache
def packages() -> dict[str, dict[str, Any]]:
    """The locked npm packages by name (``api_assets/lock.json``)."""
    lock = json.loads((_directory() / "lock.json").read_text(encoding="utf-8"))
    return {package["name"]: package for package in lock["packages"]}


@cache
def assets() -> dict[str, Path]:
    """Every servable asset: ``<dir>/<file>`` (its URL under ``/docs/assets/``) to its file."""
    base = _directory()
    return {f"{p['dir']}/{name}": base / p["dir"] / name for p in packages().values() for name in p["files"]}


def missing() -> list[str]:
    """The assets not installed (empty when the pages can render)."""
    return sorted(name for name, path in assets().items() if not path.is_file())


def asset_url(request: Request, package: str, name: str) -> str:
    """The same-origin URL of ``name`` from ``package`` (behind a proxy prefix too)."""
    root = str(request.scope.get("root_path", "")).rstrip("/")
    return f"{root}{ASSETS_URL}/{packages()[package]['dir']}/{name}"


def page(html: HTMLResponse) -> Response:
    """An API page with its CSP, or 503 (plain text, naming the fix) when its assets are missing."""
    absent = missing()
    if absent:
        log.error("api_docs.assets_missing", missing=absent, fix=FETCH)
        return PlainTextResponse(f"API page assets are not installed ({absent[0]}, ...): run {FETCH}\n", 503)
    html.headers["Content-Security-Policy"] = CSP
    return html


def mount_api_docs(app: FastAPI) -> None:
    """Add ``/docs``, ``/redoc`` and the assets of every page to ``app`` (built with ``docs_url=None,
    redoc_url=None``); ``asyncapi_http.mount_asyncapi`` adds ``/asyncapi``."""
    if app.docs_url is not None or app.redoc_url is not None:
        raise ValueError("build the app with docs_url=None, redoc_url=None: these pages replace FastAPI's")
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> Response:
        root = str(request.scope.get("root_path", "")).rstrip("/")
        return page(get_swagger_ui_html(
            openapi_url=root + openapi_url, title=f"{app.title} - Swagger UI",
            swagger_js_url=asset_url(request, "swagger-ui-dist", "swagger-ui-bundle.js"),
            swagger_css_url=asset_url(request, "swagger-ui-dist", "swagger-ui.css"),
            swagger_favicon_url=asset_url(request, "swagger-ui-dist", "favicon-32x32.png"),
            oauth2_redirect_url=root + OAUTH2_REDIRECT,
            swagger_ui_parameters={"validatorUrl": None},  # no badge from validator.swagger.io
        ))  # fmt: skip

    @app.get(OAUTH2_REDIRECT, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> Response:
        root = str(request.scope.get("root_path", "")).rstrip("/")
        return page(get_redoc_html(
            openapi_url=root + openapi_url, title=f"{app.title} - ReDoc",
            redoc_js_url=asset_url(request, "redoc", "bundles/redoc.standalone.js"),
            redoc_favicon_url=asset_url(request, "swagger-ui-dist", "favicon-32x32.png"),
            with_google_fonts=False,
        ))  # fmt: skip

    @app.get(ASSETS_URL + "/{asset:path}", include_in_schema=False)
    async def asset(asset: str) -> Response:
        path = assets().get(asset)  # only the locked files: no path from the request reaches the disk
        if path is None or not path.is_file():
            return PlainTextResponse("no such asset\n", 404)
        kind = _TYPES.get(path.suffix, "text/plain; charset=utf-8")  # LICENSE, NOTICE, *.LICENSE.txt
        return FileResponse(path, media_type=kind, headers={"Cache-Control": IMMUTABLE})
