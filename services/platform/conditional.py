"""Validators and caching of read responses: a strong ``ETag``, ``Cache-Control``, 304 on ``If-None-Match``.

The entity tag is a hash of the exact body bytes, so it changes exactly when the body does (a view that
leaves fields out has its own tag). Every read behind a token is ``private`` and varies by
``Authorization``: a shared cache must never hand one caller's view to another.
"""

from __future__ import annotations

import hashlib
from typing import Any

from fastapi import Request, Response

IMMUTABLE = "private, max-age=31536000, immutable"
"""A revision that can never change (its chain and data are fixed once published), read behind a token."""
REVALIDATE = "private, no-cache"
"""A read that changes as revisions arrive: kept, but asked again (cheaply, with If-None-Match) each time."""


def etag_of(body: bytes) -> str:
    """The strong entity tag of ``body``."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _matches(header: str, tag: str) -> bool:
    """Whether ``If-None-Match`` names ``tag`` (weak comparison, RFC 9110 13.1.2) or is ``*``."""
    wanted = [t.strip().removeprefix("W/") for t in header.split(",")]
    return "*" in wanted or tag in wanted


def conditional(request: Request, body: bytes | str, cache_control: str) -> Response:
    """``body`` as JSON with its ``ETag``, or 304 Not Modified when the client already holds it."""
    body = body.encode() if isinstance(body, str) else body
    tag = etag_of(body)
    headers = {"ETag": tag, "Cache-Control": cache_control, "Vary": "Authorization"}
    if _matches(request.headers.get("if-none-match", ""), tag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


IF_NONE_MATCH_DOC = "Entity tag(s) from an earlier ETag: 304 Not Modified, no body, when one still matches."


def cached_responses(
    *controls: str, extra: dict[str, dict[str, Any]] | None = None
) -> dict[int | str, dict[str, Any]]:
    """OpenAPI: the 200's ``ETag``, ``Cache-Control`` (one of ``controls``), ``Vary`` and ``extra``
    headers, and the 304."""
    control = " or ".join(f"`{c}`" for c in controls)
    headers = {
        "ETag": {"description": "Strong entity tag of the body.", "schema": {"type": "string"}},
        "Cache-Control": {"description": f"{control}.", "schema": {"type": "string"}},
        "Vary": {
            "description": "`Authorization`: each caller's view is its own.",
            "schema": {"type": "string"},
        },
    }
    return {
        200: {"headers": headers | (extra or {})},
        304: {"description": "Not Modified: If-None-Match named the current ETag (no body).",
              "headers": {k: headers[k] for k in ("ETag", "Cache-Control")}},
    }  # fmt: skip
