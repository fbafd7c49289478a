"""RFC 9457 problem+json errors for the query API."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from services.platform.problems import MEDIA_TYPE, invalid_fields, problem_json, problem_type


class Problem(BaseModel):
    """An error as problem+json, with a stable ``code``."""

    type: str
    title: str
    status: int
    detail: str
    code: str


class ProblemError(Exception):
    """Raised by a route to answer with a problem."""

    def __init__(self, status: int, code: str, title: str, detail: str) -> None:
        super().__init__(detail)
        self.problem = Problem(type=problem_type(code), title=title, status=status, detail=detail, code=code)


def problem_response(problem: Problem) -> JSONResponse:
    """A problem as an HTTP response."""
    return problem_json(problem.model_dump(), problem.status)


async def _problem(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProblemError)
    return problem_response(exc.problem)


async def _invalid(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    detail = "; ".join(f"{field}: {msg}" for field, msg in invalid_fields(exc))
    return problem_response(
        Problem(
            type=problem_type("invalid_request"),
            title="Invalid request",
            status=422,
            detail=detail,
            code="invalid_request",
        )
    )


def install(app: FastAPI) -> None:
    """Answer every error of ``app`` as problem+json."""
    app.add_exception_handler(ProblemError, _problem)
    app.add_exception_handler(RequestValidationError, _invalid)


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"model": Problem, "content": {MEDIA_TYPE: {}}},
    400: {"model": Problem, "content": {MEDIA_TYPE: {}}},
    422: {"model": Problem, "content": {MEDIA_TYPE: {}}},
}
