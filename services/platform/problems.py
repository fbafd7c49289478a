"""RFC 9457 problem details shared by both services' HTTP APIs: one type URI scheme, one media type."""

from __future__ import annotations

from typing import Any

from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from schemas.codec import field_problems

PROBLEM_BASE = "https://hiring-pipeline.example/problems/"
MEDIA_TYPE = "application/problem+json"
MAX_PROBLEMS = 10
"""Invalid fields a problem lists at most; the rest are counted."""
MAX_TEXT = 300
"""Longest field path or message quoted (field names and values come from the client)."""


class Problem(BaseModel):
    """A refusal: ``code`` is stable, ``detail`` names the field and what is allowed.

    The one problem model of every API (and of the framework's own errors); the optional members are
    left out of a body when not set.
    """

    type: str = Field(description="URI of the problem type, ending with the code.")
    title: str = Field(description="Short summary of the problem type.")
    status: int = Field(description="HTTP status code.")
    detail: str = Field(description="What is wrong with this request and what is allowed.")
    code: str = Field(description="Stable machine-readable code, e.g. version_conflict.")
    field: str | None = Field(default=None, description="Offending field, e.g. payload.evidence[0].")
    instance: str | None = Field(default=None, description="The request path.")
    command_id: str | None = Field(default=None, description="Command id given to this request.")
    current_version: int | None = Field(default=None, description="Interview version when refused.")
    replay_of: str | None = Field(
        default=None, description="Set on a retry: the command whose first result (this refusal) is repeated."
    )


def problem_body(
    status: int, code: str, detail: str, instance: str | None = None, **extra: Any
) -> dict[str, Any]:
    """An RFC 9457 body with our code (members not set are left out); ``instance`` is the request path."""
    body = {"type": problem_type(code), "title": code.replace("_", " "), "status": status}
    body |= {"detail": detail, "code": code}
    return body | {k: v for k, v in ({"instance": instance} | extra).items() if v is not None}


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
