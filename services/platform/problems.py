"""RFC 9457 problem details shared by both services' HTTP APIs: one type URI scheme, one media type."""

from __future__ import annotations

from typing import Any

from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from schemas.codec import field_problems

PROBLEM_BASE = "https://hiring-pipeline.example/problems/"
MEDIA_TYPE = "application/problem+json"


def problem_type(code: str) -> str:
    """The problem type URI of a stable code."""
    return PROBLEM_BASE + code


def problem_json(body: dict[str, Any], status: int) -> JSONResponse:
    """A problem body as an ``application/problem+json`` response."""
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE)


def invalid_fields(exc: RequestValidationError, skip: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """(field path, what is wrong) for every error of a rejected request, in order."""
    return [(p.loc, p.msg) for p in field_problems(exc.errors(), skip=skip, noun="request")]
