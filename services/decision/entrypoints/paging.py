"""Cursor paging of the revision lists (ADR 0032): ``limit``, an opaque ``cursor``, a ``next`` link.

A cursor names how many revisions the client already holds; revisions are only ever appended, so a page
that has a ``next`` link is full and never changes (cacheable for good), and the last page grows.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Generic, TypeVar
from urllib.parse import urlencode

from fastapi import Header, Path, Query, Request, Response
from pydantic import BaseModel, Field

from schemas.common import MAX_SAFE_INT
from services.decision.entrypoints.problems import ProblemError
from services.platform.conditional import IF_NONE_MATCH_DOC, IMMUTABLE, REVALIDATE, conditional

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
_PREFIX = "after:"
Limit = Annotated[
    int,
    Query(
        ge=1, le=MAX_LIMIT, description=f"Revisions per page (default {DEFAULT_LIMIT}, at most {MAX_LIMIT})."
    ),
]
Cursor = Annotated[
    str | None,
    Query(
        pattern=r"^[A-Za-z0-9_-]{1,64}$",
        description="Opaque: the `cursor` of a `next` link. Left out: the first page.",
    ),
]
RevisionNumber = Annotated[
    int, Path(ge=1, le=MAX_SAFE_INT, description="The revision's number, 1 the first.")
]
IfNoneMatch = Annotated[
    str | None, Header(alias="If-None-Match", max_length=2000, description=IF_NONE_MATCH_DOC)
]

T = TypeVar("T")
S = TypeVar("S")


class Page(BaseModel, Generic[T]):
    """One page of a revision list, oldest first."""

    items: list[T] = Field(description="The revisions of this page, oldest first.")
    next: str | None = Field(
        description='Relative URL of the next page (also in `Link: <...>; rel="next"`); null on the last.'
    )


def encode_cursor(held: int) -> str:
    """The opaque cursor after the first ``held`` revisions."""
    return base64.urlsafe_b64encode(f"{_PREFIX}{held}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    """How many revisions the client holds (0 without a cursor); 422 naming ``query.cursor`` if forged."""
    if cursor is None:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        held = int(text.removeprefix(_PREFIX)) if text.startswith(_PREFIX) else -1
    except (binascii.Error, UnicodeDecodeError, ValueError):
        held = -1
    if held < 0:
        raise ProblemError(422, "invalid_request", "Invalid request",
                           "query.cursor: is not a cursor this API gave (take it from a next link)",
                           field="query.cursor")  # fmt: skip
    return held


def page_of(request: Request, found: list[S], limit: int, cursor: str | None) -> tuple[list[S], str | None]:
    """The part of ``found`` after ``cursor``, and the ``next`` link when more follow."""
    held = decode_cursor(cursor)
    more = held + limit < len(found)
    query = urlencode({"limit": limit, "cursor": encode_cursor(held + limit)})
    return found[held : held + limit], f"{request.url.path}?{query}" if more else None


def link_next(response: Response, page: Page[T]) -> Response:
    """``response`` with ``Link: <next>; rel="next"`` when the page has one."""
    if page.next is not None:
        response.headers["Link"] = f'<{page.next}>; rel="next"'
    return response


def page_response(request: Request, page: Page[T]) -> Response:
    """``page`` as a conditional response: ``immutable`` when a ``next`` link says it is full, else
    ``no-cache`` (the last page grows), with its ``Link`` header."""
    control = REVALIDATE if page.next is None else IMMUTABLE
    return link_next(conditional(request, page.model_dump_json(by_alias=True), control), page)


LINK_DOC = {
    "description": 'Link: <next page>; rel="next" (only when more follow).',
    "schema": {"type": "string"},
}
