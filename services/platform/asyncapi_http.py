"""Each service serves the event contract it implements next to its OpenAPI ``/docs``.

``/asyncapi`` is the AsyncAPI viewer (``@asyncapi/react-component``, its assets served from this package
like ``/docs``'s: ``api_docs``) on the AsyncAPI 3 document, ``/asyncapi.yaml`` the document itself (the
committed ``schemas/asyncapi.yaml``, byte for byte), ``/asyncapi.json`` the same as JSON.
Consumers discover the topics, the CloudEvents types of every version and their schemas from the
running service.
"""

from __future__ import annotations

import json
from functools import cache
from html import escape
from importlib import resources
from typing import Any

import yaml
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response

from services.platform.api_docs import asset_url, page

VIEWER = "@asyncapi/react-component"
# What the viewer shows (FastStream's choice for its own page; no try-it-out: it would publish).
CONFIG = {
    "show": dict.fromkeys(
        ("sidebar", "info", "servers", "operations", "messages", "schemas", "errors"), True
    ),
    "expand": {"messageExamples": True},
    "sidebar": {"showServers": "byDefault", "showOperations": "byDefault"},
}


@cache
def document_text() -> str:
    """The committed AsyncAPI document (package data of ``schemas``)."""
    return (resources.files("schemas") / "asyncapi.yaml").read_text(encoding="utf-8")


@cache
def document() -> dict[str, Any]:
    """The AsyncAPI document as a mapping."""
    loaded: dict[str, Any] = yaml.safe_load(document_text())
    return loaded


def _script_json(value: Any) -> str:
    """``value`` as JSON that cannot close the ``<script>`` it is embedded in."""
    text = json.dumps(value)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def viewer_html(request: Request) -> HTMLResponse:
    """The viewer's page: its script, style and favicon from this host, the document inline."""
    title = str(document()["info"]["title"])
    props = {"schema": json.dumps(document()), "config": CONFIG}
    return HTMLResponse(f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} AsyncAPI</title>
<link rel="icon" type="image/png" href="{asset_url(request, "swagger-ui-dist", "favicon-32x32.png")}">
<link rel="stylesheet" href="{asset_url(request, VIEWER, "styles/default.min.css")}">
<style>html {{ font-family: ui-sans-serif, system-ui, sans-serif; line-height: 1.5; }}</style>
</head>
<body>
<div id="asyncapi"></div>
<script src="{asset_url(request, VIEWER, "browser/standalone/index.js")}"></script>
<script>
window.AsyncApiStandalone.render({_script_json(props)}, document.getElementById("asyncapi"));
</script>
</body>
</html>
""")


def mount_asyncapi(app: FastAPI) -> None:
    """Add ``/asyncapi``, ``/asyncapi.yaml`` and ``/asyncapi.json`` to ``app``."""

    @app.get(
        "/asyncapi",
        operation_id="getAsyncApiPage",
        response_class=HTMLResponse,
        summary="The event contract (AsyncAPI 3, HTML view)",
    )
    async def asyncapi_html(request: Request) -> Response:
        return page(viewer_html(request))

    yaml_doc = {200: {"content": {"application/yaml": {"schema": {"type": "object"}}}, "description": "YAML"}}

    @app.get(
        "/asyncapi.yaml", operation_id="getAsyncApiYaml",
        summary="The event contract (AsyncAPI 3 document, YAML)", response_class=Response, responses=yaml_doc,  # type: ignore[arg-type]
    )  # fmt: skip
    async def asyncapi_yaml() -> Response:
        return Response(document_text(), media_type="application/yaml")

    @app.get(
        "/asyncapi.json",
        operation_id="getAsyncApiJson",
        summary="The event contract (AsyncAPI 3 document, JSON)",
    )
    async def asyncapi_json() -> dict[str, Any]:
        return document()
