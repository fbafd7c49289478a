"""Query API of the candidacy projection (ADR 0012): current verdict, as of a time, revision history."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import FastAPI, Path, Query, Request, Response
from pydantic import AwareDatetime, BaseModel, Field

from schemas.common import Id
from schemas.decision import CandidacyVerdictChanged, CandidacyVerdictChangedV2
from schemas.envelope import Event
from services.decision.entrypoints.paging import (
    DEFAULT_LIMIT,
    LINK_DOC,
    Cursor,
    IfNoneMatch,
    Limit,
    Page,
    RevisionNumber,
    page_of,
    page_response,
)
from services.decision.entrypoints.problems import PROBLEM_RESPONSES, ProblemError, catching_up, require_ready
from services.decision.entrypoints.runtime import QueryRuntime
from services.platform.conditional import (
    IMMUTABLE,
    REVALIDATE,
    cached_responses,
    conditional,
)

CandidacyId = Annotated[Id, Path(description="The candidacy id (interview.opened's candidacy_id).")]

class CandidacyRevision(BaseModel):
    """One published candidacy revision: its id, time (of its cause), cause, chain, and the verdicts."""

    id: str = Field(description="Deterministic CloudEvents id of the revision.")
    time: datetime = Field(description="Time of the round verdict revision that caused it.")
    causationid: str = Field(description="CloudEvents id of that round verdict revision.")
    prevhash: str = Field(description="Hash chain over the candidacy's revisions.")
    verdict: CandidacyVerdictChangedV2 | CandidacyVerdictChanged = Field(
        description="The revision's data under its candidacy policy (candidacy-v2's shape, or v1's)."
    )


def _revision(event: Event) -> CandidacyRevision:
    assert isinstance(event.data, CandidacyVerdictChanged)
    a = event.attributes
    return CandidacyRevision(
        id=a.id, time=a.time, causationid=a.causationid, prevhash=a.prevhash, verdict=event.data
    )


def _not_found(candidacy_id: str, what: str) -> ProblemError:
    return ProblemError(
        404, "candidacy_not_found", "No candidacy verdict", f"candidacy {candidacy_id!r}: {what}"
    )


def add_candidacy_routes(app: FastAPI, query: QueryRuntime) -> None:
    """``GET /candidacies/{id}/verdict[?as_of_time=]`` and ``GET /candidacies/{id}/revisions``."""
    store = query.candidacies

    def complete() -> None:
        require_ready(query.ready)
        if not query.candidacy_history_complete():  # ADR 0015: filled in the background after a start
            raise catching_up("the candidacy revisions (decision.candidacies)")

    @app.get(
        "/candidacies/{candidacy_id}/verdict",
        operation_id="getCandidacyVerdict",
        response_model=CandidacyRevision,
        responses={**PROBLEM_RESPONSES, **cached_responses(REVALIDATE)},
    )
    async def candidacy_verdict(
        request: Request,
        candidacy_id: CandidacyId,
        as_of_time: AwareDatetime | None = Query(
            None, description="Verdict in force at this time (RFC 3339)."
        ),
        _if_none_match: IfNoneMatch = None,
    ) -> Response:
        """The candidacy's current verdict across its rounds, or the one in force at a time."""
        complete()
        found = (
            store.current(candidacy_id) if as_of_time is None else store.as_of_time(candidacy_id, as_of_time)
        )
        if found is None:
            raise _not_found(candidacy_id, "no revision (yet) for that point")
        return conditional(request, _revision(found).model_dump_json(by_alias=True), REVALIDATE)

    def history(candidacy_id: str) -> list[Event]:
        complete()
        found = store.revisions(candidacy_id)
        if not found:
            raise _not_found(candidacy_id, "no revision published")
        return found

    @app.get(
        "/candidacies/{candidacy_id}/revisions",
        operation_id="listCandidacyRevisions",
        response_model=Page[CandidacyRevision],
        responses={**PROBLEM_RESPONSES, **cached_responses(IMMUTABLE, REVALIDATE, extra={"Link": LINK_DOC})},
    )
    async def candidacy_revisions(
        request: Request,
        candidacy_id: CandidacyId,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
        _if_none_match: IfNoneMatch = None,
    ) -> Response:
        """The revisions of a candidacy's verdict, oldest first, a page at a time (as an interview's)."""
        part, after = page_of(request, history(candidacy_id), limit, cursor)
        page = Page[CandidacyRevision](items=[_revision(e) for e in part], next=after)
        return page_response(request, page)

    @app.get(
        "/candidacies/{candidacy_id}/revisions/{n}",
        operation_id="getCandidacyRevision",
        response_model=CandidacyRevision,
        responses={**PROBLEM_RESPONSES, **cached_responses(IMMUTABLE)},
    )
    async def candidacy_revision(
        request: Request,
        candidacy_id: CandidacyId,
        n: RevisionNumber,
        _if_none_match: IfNoneMatch = None,
    ) -> Response:
        """Revision ``n`` of a candidacy's verdict: published once, never changed, so cacheable for good."""
        found = history(candidacy_id)
        if n > len(found):
            raise _not_found(candidacy_id, f"no revision {n} (yet): {len(found)} published")
        return conditional(request, _revision(found[n - 1]).model_dump_json(by_alias=True), IMMUTABLE)
