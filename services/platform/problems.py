"""RFC 9457 problem details shared by both services' HTTP APIs: one type URI scheme, one media type."""

from __future__ import annotations

from typing import Any

from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from schemas.codec import field_problems

PROBLEM_BASE = "https://hiring-pipeline.example/problems/"
MEDIA_TYPE = "application/problem+json"
MAX_PROBLEMS = 10
"""Invalid fields a problem lists at most; the rest are counted."""
MAX_TEXT = 300
"""Longest field path or message quoted (field names and values come from the client)."""


def problem_type(code: str) -> str:
    """The problem type URI of a stable code."""
    return PROBLEM_BASE + code


def problem_json(body: dict[str, Any], status: int) -> JSONResponse:
    """A problem body as an ``application/problem+json`` response."""
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE)


def invalid_fields(exc: RequestValidationError, skip: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """(field path, what is wrong) for the first ``MAX_PROBLEMS`` errors of a request, in order.

    More errors are counted in a last ``(more)`` entry, so a body of 30,000 bad items gets a short answer.
    """
    errors = exc.errors()
    found = [
        (printable(p.loc), printable(p.msg))
        for p in field_problems(errors[:MAX_PROBLEMS], skip=skip, noun="request")
    ]
    if len(errors) > MAX_PROBLEMS:
        found.append(("(more)", f"{len(errors) - MAX_PROBLEMS} more problem(s) not listed"))
    return found


def printable(text: str, limit: int = MAX_TEXT) -> str:
    """``text`` as printable, encodable UTF-8 of at most ``limit`` characters."""
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    text = "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in text)
    return text if len(text) <= limit else text[: limit - 3] + "..."
