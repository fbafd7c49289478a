"""The command lane: a well-formed command request is served without FastAPI's per-request machinery.

FastAPI resolves each command route's parameters through its dependency system on every request
(path, two headers, the body, the access check): about half the HTTP front's CPU per command, more
than the command itself (docs/decisions/0019). The lane is ASGI middleware in front of the router
(inside the body limit): for ``POST /interviews/{id}/<command>`` with a JSON body it parses, checks
access and validates with the *same* models and the same access check as the routes, then runs the
same ``submit`` function. Whatever it does not fully accept (a body that is not JSON, a validation
error, a bad header, another method or path) it hands to the FastAPI app unchanged, which answers as
it always has, so every refusal keeps its exact problem+json. The routes stay declared in FastAPI for
the OpenAPI document and the access table. ``tests/unit/interview/test_command_lane.py`` proves the
lane's answers equal the routes'.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from pydantic import TypeAdapter, ValidationError
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from schemas.common import Id
from services.platform.auth import AccessError, refusal
from services.platform.http_limits import ASGIApp, Receive, Scope, Send, replay_body

Submit = Callable[[Request, str, Any, str | None, str | None], Awaitable[Response]]
_PATH = re.compile(r"/interviews/([^/]+)/([a-z]+)")
_ID: TypeAdapter[str] = TypeAdapter(Id)
_TOKEN_BOUNDS = (1, 200)
"""What the routes declare for ``Idempotency-Key`` and ``X-Correlation-Id`` (FastAPI checks it)."""


@dataclass(frozen=True)
class _Command:
    route: Route
    body: Any  # the request model (a pydantic model class)


class CommandLane:
    """ASGI middleware serving the command routes of ``api`` directly; everything else goes to ``app``."""

    def __init__(self, app: ASGIApp, api: FastAPI, submit: Submit, bodies: dict[str, Any]) -> None:
        self.app, self.api, self.submit = app, api, submit
        self._commands: dict[str, _Command] = {}
        for route in api.routes:
            match = _PATH.fullmatch(getattr(route, "path", "").replace("{interview_id}", "x"))
            if isinstance(route, Route) and match and match[2] in bodies and "POST" in (route.methods or ()):
                self._commands[match[2]] = _Command(route, bodies[match[2]])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = _PATH.fullmatch(scope["path"]) if scope["type"] == "http" else None
        command = self._commands.get(match[2]) if match and scope["method"] == "POST" else None
        if command is None or match is None:
            await self.app(scope, receive, send)
            return
        body = await _whole_body(receive)
        replay = replay_body(body, receive)
        response = await self._serve(scope, replay, command, match[1], body)
        if response is None:  # not ours to answer: the route answers exactly as it always has
            await self.app(scope, replay_body(body, receive), send)
        else:
            await response(scope, replay, send)

    async def _serve(
        self, scope: Scope, receive: Receive, command: _Command, interview_id: str, body: bytes
    ) -> Response | None:
        headers = Headers(scope=scope)
        if not _is_json(headers.get("content-type")):
            return None
        try:
            raw = json.loads(body)
        except (ValueError, RecursionError):
            return None  # FastAPI parses the body before it checks access: it answers this one
        scope["app"], scope["route"] = self.api, command.route
        scope["path_params"] = {"interview_id": interview_id}
        request = Request(scope, receive)
        try:
            await self.api.state.authorize(request)
        except AccessError as exc:
            return await refusal(request, exc)
        key, corr = headers.get("idempotency-key"), headers.get("x-correlation-id")
        if not (_token(key) and _token(corr)):
            return None
        try:
            valid_id = _ID.validate_python(interview_id)
            model = command.body.model_validate(raw)
        except ValidationError:
            return None
        return await self.submit(request, valid_id, model, key, corr)


def _is_json(content_type: str | None) -> bool:
    """``application/json`` (any parameters): a type FastAPI parses as JSON too."""
    return content_type is not None and content_type.partition(";")[0].strip().lower() == "application/json"


def _token(value: str | None) -> bool:
    """Within the bounds the routes declare for the optional token headers."""
    return value is None or _TOKEN_BOUNDS[0] <= len(value) <= _TOKEN_BOUNDS[1]


async def _whole_body(receive: Receive) -> bytes:
    """The request body (the body limit in front has already bounded it)."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks)
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)
