"""RFC 9457 problem+json errors for the query API."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from services.platform.http_limits import install_problems
from services.platform.problems import MEDIA_TYPE, Problem, invalid_fields, problem_json, problem_type

RETRY_AFTER_S = 1
"""Seconds a client waits before asking again after a 503."""


class ProblemError(Exception):
    """Raised by a route to answer with a problem."""

    def __init__(self, status: int, code: str, title: str, detail: str, field: str | None = None) -> None:
        super().__init__(detail)
        self.problem = Problem(
            type=problem_type(code), title=title, status=status, detail=detail, code=code, field=field
        )


def catching_up(what: str) -> ProblemError:
    """503 ``catching_up``: a read needs ``what``, which a replica reads after it is ready (ADR 0015)."""
    detail = f"{what} is still being read from Kafka after this replica started; ask again shortly"
    return ProblemError(503, "catching_up", "Catching up", detail)


def require_ready(ready: bool) -> None:
    """503 ``not_ready`` unless the read models are restored: never a 404 for data not read yet."""
    if not ready:
        detail = "the read models are still being restored from Kafka after this replica started; ask again"
        raise ProblemError(503, "not_ready", "Not ready", detail)


def problem_response(problem: Problem) -> JSONResponse:
    """A problem as an HTTP response (503: with ``Retry-After``)."""
    response = problem_json(problem.model_dump(exclude_none=True), problem.status)
    if problem.status == 503:
        response.headers["Retry-After"] = str(RETRY_AFTER_S)
    return response


async def _problem(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProblemError)
    return problem_response(exc.problem)


async def _invalid(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    found = invalid_fields(exc)
    detail = "; ".join(f"{field}: {msg}" for field, msg in found)
    field = next((f for f, _ in found if not f.startswith("(")), None)  # "(more)", "(root)": no field
    return problem_response(
        Problem(
            type=problem_type("invalid_request"),
            title="Invalid request",
            status=422,
            detail=detail,
            code="invalid_request",
            field=field,
        )
    )


def install(app: FastAPI, max_body: int) -> None:
    """Answer every error of ``app`` as problem+json; refuse bodies over ``max_body`` bytes."""
    install_problems(app, max_body)
    app.add_exception_handler(ProblemError, _problem)
    app.add_exception_handler(RequestValidationError, _invalid)


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "content": {MEDIA_TYPE: {}}, "description": description}
    for status, description in {
        400: "Problem details: a malformed request, a repeated single-valued header (repeated_header) "
        "or an ambiguous query.",
        404: "Problem details: no such verdict.",
        413: "Problem details: the request is too large.",
        415: "Problem details: a body that is not UTF-8 JSON (unsupported_media_type).",
        422: "Problem details: invalid path, query or header parameters, each named in detail; field is "
        "the first one's location, e.g. query.as_of_sequence.",
        503: "Problem details: not_ready (the read models are still being restored) or catching_up; "
        "retry after Retry-After seconds.",
    }.items()
}
