"""Each service serves the event contract it implements next to its OpenAPI ``/docs``.

``/asyncapi`` is FastStream's HTML view of the AsyncAPI 3 document, ``/asyncapi.yaml`` the document
itself (the committed ``schemas/asyncapi.yaml``, byte for byte), ``/asyncapi.json`` the same as JSON.
Consumers discover the topics, the CloudEvents types of every version and their schemas from the
running service.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import yaml
from fastapi import FastAPI
from fastapi.responses import HTMLResponse, Response
from faststream.specification.asyncapi import get_asyncapi_html


@cache
def document_text() -> str:
    """The committed AsyncAPI document (package data of ``schemas``)."""
    return (resources.files("schemas") / "asyncapi.yaml").read_text(encoding="utf-8")


@cache
def document() -> dict[str, Any]:
    """The AsyncAPI document as a mapping."""
    loaded: dict[str, Any] = yaml.safe_load(document_text())
    return loaded


class _Specification:
    """What FastStream's HTML view needs of a document: its title and its JSON."""

    @property
    def title(self) -> str:
        return str(document()["info"]["title"])

    def to_json(self) -> str:
        return json.dumps(document())


def mount_asyncapi(app: FastAPI) -> None:
    """Add ``/asyncapi``, ``/asyncapi.yaml`` and ``/asyncapi.json`` to ``app``."""

    @app.get("/asyncapi", response_class=HTMLResponse, summary="The event contract (AsyncAPI 3, HTML view)")
    async def asyncapi_html() -> HTMLResponse:
        return HTMLResponse(get_asyncapi_html(_Specification(), try_it_out_path=None))  # type: ignore[arg-type]

    yaml_doc = {200: {"content": {"application/yaml": {"schema": {"type": "object"}}}, "description": "YAML"}}

    @app.get(
        "/asyncapi.yaml", summary="The event contract (AsyncAPI 3 document, YAML)",
        response_class=Response, responses=yaml_doc,  # type: ignore[arg-type]
    )  # fmt: skip
    async def asyncapi_yaml() -> Response:
        return Response(document_text(), media_type="application/yaml")

    @app.get("/asyncapi.json", summary="The event contract (AsyncAPI 3 document, JSON)")
    async def asyncapi_json() -> dict[str, Any]:
        return document()
