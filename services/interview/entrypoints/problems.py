"""RFC 9457 problem details (``application/problem+json``) for every refusal, with a stable code."""

from __future__ import annotations

from typing import Any

from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.requests import Request

from services.platform.problems import MEDIA_TYPE, Problem, invalid_fields, problem_json, problem_type

STATUS: dict[str, int] = {
    "invalid_command": 422,
    "invalid_participants": 422,
    "unknown_policy": 422,
    "missing_reference": 422,
    "unknown_reference": 422,
    "invalid_evidence": 422,
    "idempotency_key_reused": 422,
    "not_opened": 404,
    "not_a_participant": 403,
    "wrong_side": 403,
    "actor_mismatch": 403,
    "version_conflict": 409,
    "already_opened": 409,
    "concluded": 409,
    "duplicate_id": 409,
    "too_many_items": 409,
    "history_unreadable": 409,
    "output_too_large": 413,
    "too_large": 413,
    "timeout": 504,
    "not_ready": 503,
    "unavailable": 503,
    "stopping": 503,
    "key_store_unavailable": 503,
    "repeated_header": 400,
    "bad_request": 400,
    "unsupported_media_type": 415,
}
RETRY_AFTER_S = 1
"""Seconds a client waits before retrying a 503 or 504 (with the same Idempotency-Key)."""


def problem(code: str, detail: str, request: Request | None = None, **extra: Any) -> JSONResponse:
    """A problem+json response for ``code`` (status from the code table, else 400)."""
    status = STATUS.get(code, 400)
    body = Problem(
        type=problem_type(code),
        title=code.replace("_", " "),
        status=status,
        detail=detail,
        code=code,
        instance=request.url.path if request else None,
        **extra,
    )
    response = problem_json(jsonable_encoder(body, exclude_none=True), status)
    if status in (503, 504):
        response.headers["Retry-After"] = str(RETRY_AFTER_S)
    return response


async def validation_problem(request: Request, exc: Exception) -> JSONResponse:
    """Request bodies that do not fit the schema: 422 invalid_command naming every field."""
    assert isinstance(exc, RequestValidationError)
    found = invalid_fields(exc, skip=("body",))
    detail = "; ".join(f"{field}: {msg}" for field, msg in found)
    field = next((f for f, _ in found if not f.startswith("(")), None)  # "(body)", "(root)": no field
    return problem("invalid_command", detail, request, field=field)


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries documenting problem+json bodies."""
    return {c: {"model": Problem, "content": {MEDIA_TYPE: {}}, "description": _why(c)} for c in codes}


def _why(status: int) -> str:
    codes = sorted(code for code, s in STATUS.items() if s == status)
    return "Problem details; code: " + ", ".join(codes)
