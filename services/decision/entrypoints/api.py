"""Query API: current verdict, verdict as of a sequence or a time, revisions; health, readiness, metrics."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import structlog
from fastapi import FastAPI, Path, Query, Request, Response
from pydantic import AwareDatetime, BaseModel, Field

from schemas.common import MAX_SAFE_INT, Id
from schemas.decision import VerdictChanged, VerdictChangedV2
from schemas.envelope import Event
from services.decision.entrypoints.access import ACCESS
from services.decision.entrypoints.calibration_api import mount_calibration
from services.decision.entrypoints.candidacy_api import add_candidacy_routes
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
from services.decision.entrypoints.probes import BrokerProbe, Probes, add_probes
from services.decision.entrypoints.problems import (
    PROBLEM_RESPONSES,
    ProblemError,
    catching_up,
    install,
    require_ready,
)
from services.decision.entrypoints.runtime import QueryRuntime
from services.decision.entrypoints.transparency_api import add_transparency_routes
from services.decision.entrypoints.views import View, candidate_view, view_for
from services.platform.api_docs import mount_api_docs
from services.platform.asyncapi_http import mount_asyncapi
from services.platform.auth import Scope, grant_of, install_access
from services.platform.conditional import (
    IMMUTABLE,
    REVALIDATE,
    cached_responses,
    conditional,
)
from services.platform.http_metrics import measure_http

log = structlog.get_logger("decision.api")
InterviewId = Annotated[Id, Path(description="The interview id.")]

class Revision(BaseModel):
    """One published revision: its CloudEvents id, time (of its cause), cause, and the verdict data.

    ``view`` says how much of it the caller may see: ``full``, or ``candidate`` (the panel's individual
    assessments left out; docs/security.md).
    """

    id: str = Field(description="Deterministic CloudEvents id of the revision.")
    time: datetime = Field(description="Time of the interview event that caused the revision.")
    causationid: str = Field(description="Id of that interview event.")
    prevhash: str = Field(description="Hash chain over the interview's revisions.")
    verdict: VerdictChangedV2 | VerdictChanged = Field(
        description="The revision's data: verdict_changed.v2 (policy v2: confidence) or .v1 (policy v1)."
    )
    view: View = Field(default=View.FULL, description="full, or candidate: the candidate's view.")


def _revision(event: Event, view: View = View.FULL) -> Revision:
    assert isinstance(event.data, VerdictChanged)
    a = event.attributes
    data = candidate_view(event.data) if view is View.CANDIDATE else event.data
    return Revision(
        id=a.id, time=a.time, causationid=a.causationid, prevhash=a.prevhash, verdict=data, view=view
    )


def _not_found(interview_id: str, what: str) -> ProblemError:
    return ProblemError(404, "verdict_not_found", "No verdict", f"interview {interview_id!r}: {what}")


def create_app(query: QueryRuntime, probes: Probes, broker: BrokerProbe | None = None) -> FastAPI:
    """The query API over ``query``'s read models, with ``probes`` (this process's readiness and metrics);
    ``broker`` tells whether the broker answers."""
    # /docs and /redoc: served offline by mount_api_docs
    app = FastAPI(title="hiring-pipeline decision service", version="2.0.0", description=__doc__,
                  docs_url=None, redoc_url=None)  # fmt: skip
    install(app, query.settings.max_request_bytes)
    install_access(app, ACCESS, query.settings.auth)  # before the routes: each one checks it
    mount_api_docs(app)
    mount_asyncapi(app)
    store = query.store

    def readable(request: Request, interview_id: str) -> View:
        """The caller's view of the interview; 404, as for a missing one, when it is not theirs."""
        require_ready(query.ready)  # before: who takes part is unknown, and no verdict is read yet
        grant = grant_of(request)
        found: View | None = View.FULL
        if grant.scope is not Scope.ALL:
            people = query.participants
            side = people.side(interview_id, grant.principal.sub)
            found = view_for(grant, side, people.opened_by(interview_id))
        if found is None:
            log.info("decision.read_refused", role=grant.role.value)
            raise _not_found(interview_id, "no revision published")
        return found

    @app.get(
        "/interviews/{interview_id}/verdict",
        operation_id="getVerdict",
        response_model=Revision,
        responses={**PROBLEM_RESPONSES, **cached_responses(REVALIDATE)},
    )
    async def verdict(
        request: Request,
        interview_id: InterviewId,
        as_of_sequence: int | None = Query(
            None, ge=1, le=MAX_SAFE_INT, description="Verdict after this interview event."
        ),
        as_of_time: AwareDatetime | None = Query(
            None, description="Verdict in force at this time (RFC 3339)."
        ),
        _if_none_match: IfNoneMatch = None,
    ) -> Response:
        """The current verdict, or the one in force as of an interview sequence number or a time."""
        view = readable(request, interview_id)
        if as_of_sequence is not None and as_of_time is not None:
            raise ProblemError(400, "ambiguous_as_of", "Ambiguous query", "give as_of_sequence or as_of_time")
        if (as_of_sequence is not None or as_of_time is not None) and not query.history_complete():
            raise catching_up("the revision history (decision.events)")  # ADR 0015
        if as_of_sequence is not None:
            found = store.as_of_sequence(interview_id, as_of_sequence)
        elif as_of_time is not None:
            found = store.as_of_time(interview_id, as_of_time)
        else:
            found = store.current(interview_id)
        if found is None:
            raise _not_found(interview_id, "no revision (yet) for that point")
        return conditional(request, _revision(found, view).model_dump_json(by_alias=True), REVALIDATE)

    def history(request: Request, interview_id: str) -> tuple[View, list[Event]]:
        view = readable(request, interview_id)
        if not query.history_complete():
            raise catching_up("the revision history (decision.events)")  # ADR 0015
        found = store.revisions(interview_id)
        if not found:
            raise _not_found(interview_id, "no revision published")
        return view, found

    @app.get(
        "/interviews/{interview_id}/revisions",
        operation_id="listVerdictRevisions",
        response_model=Page[Revision],
        responses={**PROBLEM_RESPONSES, **cached_responses(IMMUTABLE, REVALIDATE, extra={"Link": LINK_DOC})},
    )
    async def revisions(
        request: Request,
        interview_id: InterviewId,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
        _if_none_match: IfNoneMatch = None,
    ) -> Response:
        """The revisions of an interview's verdict, oldest first, a page at a time: a page with a
        ``next`` link is full and never changes (``immutable``); the last one grows (``no-cache``)."""
        view, found = history(request, interview_id)
        part, after = page_of(request, found, limit, cursor)
        page = Page[Revision](items=[_revision(e, view) for e in part], next=after)
        return page_response(request, page)

    @app.get(
        "/interviews/{interview_id}/revisions/{n}",
        operation_id="getVerdictRevision",
        response_model=Revision,
        responses={**PROBLEM_RESPONSES, **cached_responses(IMMUTABLE)},
    )
    async def revision(
        request: Request,
        interview_id: InterviewId,
        n: RevisionNumber,
        _if_none_match: IfNoneMatch = None,
    ) -> Response:
        """Revision ``n`` of an interview's verdict: published once, never changed, so cacheable for good."""
        view, found = history(request, interview_id)
        if n > len(found):
            raise _not_found(interview_id, f"no revision {n} (yet): {len(found)} published")
        return conditional(request, _revision(found[n - 1], view).model_dump_json(by_alias=True), IMMUTABLE)

    add_candidacy_routes(app, query)  # ADR 0012
    add_transparency_routes(app, query, readable)  # ADR 0026
    add_probes(app, probes, broker or BrokerProbe(query.client))
    mount_calibration(app, query)
    measure_http(app, query.metrics.http)  # last: it wraps every other middleware
    return app
