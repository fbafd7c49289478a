"""The edges both HTTP APIs share: a request-size limit and problem+json for every error.

``BodyLimit`` is ASGI middleware: a request whose body is larger than the limit is answered 413
without being read past the limit (by its ``Content-Length`` up front, or as it streams in), so a
200 MB body costs at most the limit in memory; a body that is not UTF-8 JSON text (UTF-16, a byte
order mark, a declared charset other than UTF-8) is 415, a repeated single-valued header (two
``Idempotency-Key``) 400 ``repeated_header``, and a request the server cancels before it answered (its
drain time at shutdown ran out) 503 ``stopping`` with ``Retry-After``, not uvicorn's plain-text 500
(ADR 0029). ``install_problems`` makes every error FastAPI or
Starlette raise (unknown route, wrong method, a body that is not JSON, any unexpected failure) an
``application/problem+json`` answer with a stable code.
"""

from __future__ import annotations

import asyncio
import codecs
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import structlog
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.requests import Request

from services.platform.problems import problem_body, problem_json

log = structlog.get_logger("http")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

RETRY_AFTER_S = 1
"""Seconds a client waits before retrying a 503 the edge itself answers."""
DEFAULT_MAX_BODY = 256 * 1024
"""Larger than the largest valid command even with every character JSON-escaped (about 130 KiB)."""

CODES: dict[int, str] = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
    500: "internal_error",
}
"""Stable codes of the errors the framework itself raises."""


SINGLE = frozenset(
    {b"authorization", b"content-type", b"content-length", b"idempotency-key", b"x-correlation-id"}
)
"""Headers a request may carry once: a second one is refused (400), never silently ignored."""
UTF8 = frozenset({"utf-8", "utf8"})


class BodyLimit:
    """The request's shape before any route sees it: single-valued headers sent once (400), a body of at
    most ``max_bytes`` (413, read no further) that is UTF-8 JSON text if anything (415)."""

    def __init__(self, app: ASGIApp, max_bytes: int = DEFAULT_MAX_BODY) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await _answered(self._serve, scope, receive, send)

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        repeated = _repeated(scope)
        if repeated is not None:
            why = f"the {repeated} header was sent more than once; send it once"
            await _refuse(scope, send, 400, "repeated_header", why)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._too_large(scope, send, f"Content-Length is {declared} bytes")
            return
        body = await self._read(receive)
        if body is None:
            await self._too_large(scope, send, "the body kept coming")
            return
        wrong = not_utf8_json(scope, body)
        if wrong is not None:
            await _refuse(scope, send, 415, "unsupported_media_type", wrong, close=False)
            return
        await self.app(scope, replay_body(body, receive), send)

    async def _read(self, receive: Receive) -> bytes | None:
        """The whole body, or None once it passes the limit."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return b"".join(chunks)  # the client left; the app sees an empty body and ends
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    async def _too_large(self, scope: Scope, send: Send, why: str) -> None:
        detail = f"{why}; a request body may have at most {self.max_bytes} bytes"
        await _refuse(scope, send, 413, "too_large", detail)


async def _answered(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    """Run ``app``; if the server cancels it before it answered (its drain time at shutdown ran out),
    answer 503 ``stopping`` with ``Retry-After`` instead of the server's plain-text 500."""
    started = False

    async def sending(message: Message) -> None:
        nonlocal started
        started = True  # before the send: a send that was interrupted is not followed by another start
        await send(message)

    try:
        await app(scope, receive, sending)
    except asyncio.CancelledError:
        if started:
            raise
        task = asyncio.current_task()
        if task is not None:
            task.uncancel()  # the cancellation is answered: this request ends now, with a 503
        log.warning("http.cancelled_at_shutdown", path=scope.get("path"))
        detail = "the service stopped before this request was answered; retry (the same Idempotency-Key)"
        await _refuse(scope, send, 503, "stopping", detail, retry_after=RETRY_AFTER_S)


async def _refuse(
    scope: Scope, send: Send, status: int, code: str, detail: str, close: bool = True, retry_after: int = 0
) -> None:
    """Answer problem+json from the middleware (``close``: the body was not read, so the connection
    cannot carry another request)."""
    body = json.dumps(problem_body(status, code, detail, scope.get("path"))).encode()
    headers = [(b"content-type", b"application/problem+json")]
    headers += [(b"connection", b"close")] if close else []
    headers += [(b"retry-after", str(retry_after).encode())] if retry_after else []
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _repeated(scope: Scope) -> str | None:
    """The first single-valued header the request repeats (its name), else None."""
    seen: set[bytes] = set()
    name: bytes
    for name, _ in scope.get("headers", []):
        if name in SINGLE:
            if name in seen:
                return name.decode()
            seen.add(name)
    return None


def not_utf8_json(scope: Scope, body: bytes) -> str | None:
    """Why ``body`` is not UTF-8 JSON text as RFC 8259 requires (None: it may be).

    Python's ``json.loads`` of bytes would guess UTF-16 or UTF-32 (from the zero bytes) and skip a
    byte order mark; we do not: another encoding, a BOM or a declared charset other than UTF-8 is a
    415. A zero byte is never in UTF-8 JSON text (a U+0000 must be escaped), so it marks UTF-16/32.
    """
    charset = _charset(scope)
    if charset is not None and charset not in UTF8:
        return f"charset {charset[:40]!r}: the body must be UTF-8 JSON (RFC 8259)"
    if not body:
        return None
    if body.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "the body starts with a byte order mark: send UTF-8 JSON (RFC 8259) without one"
    if b"\x00" in body:
        return "the body holds zero bytes (UTF-16 or UTF-32?): send UTF-8 JSON (RFC 8259)"
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"the body is not UTF-8 (byte {exc.start}): send UTF-8 JSON (RFC 8259)"
    return None


def _charset(scope: Scope) -> str | None:
    name: bytes
    value: bytes
    for name, value in scope.get("headers", []):
        if name == b"content-type" and b";" in value:  # (no parameters: nothing to decode)
            for param in value.decode("latin-1").split(";")[1:]:
                key, _, found = param.partition("=")
                if key.strip().lower() == "charset":
                    return found.strip().strip('"').lower()
    return None


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def replay_body(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the app the body already read, then the client's next messages."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # http.disconnect when the client goes

    return replay


async def _http_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code = CODES.get(exc.status_code, f"http_{exc.status_code}")
    detail = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    if exc.status_code == 405:
        allowed = (exc.headers or {}).get("Allow", "")
        detail = f"{request.method} is not allowed on {request.url.path}; allowed: {allowed}"
    elif exc.status_code == 404:
        detail = f"no route {request.url.path}; see /openapi.json for the API"
    response = problem_json(problem_body(exc.status_code, code, detail, request.url.path), exc.status_code)
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("http.unexpected", path=request.url.path, error=repr(exc))
    body = problem_body(500, "internal_error", "the service failed; this is a bug", request.url.path)
    return problem_json(body, 500)


def install_problems(app: FastAPI, max_body: int = DEFAULT_MAX_BODY) -> None:
    """Every framework error of ``app`` as problem+json, and the body limit in front of it."""
    app.add_exception_handler(HTTPException, _http_problem)
    app.add_exception_handler(Exception, _unexpected)
    app.add_middleware(BodyLimit, max_bytes=max_body)
