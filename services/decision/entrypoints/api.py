"""Query API: current verdict, verdict as of a sequence or a time, revisions; health, readiness, metrics."""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import datetime
from typing import Annotated, Any

import structlog
from aiokafka.admin import AIOKafkaAdminClient
from fastapi import FastAPI, Path, Query, Request, Response
from fastapi.responses import PlainTextResponse
from pydantic import AwareDatetime, BaseModel, Field

from schemas.common import MAX_SAFE_INT, Id
from schemas.decision import VerdictChanged
from schemas.envelope import Event
from services.decision.entrypoints.access import ACCESS
from services.decision.entrypoints.calibration_api import mount_calibration
from services.decision.entrypoints.candidacy_api import add_candidacy_routes
from services.decision.entrypoints.problems import (
    PROBLEM_RESPONSES,
    ProblemError,
    catching_up,
    install,
    problem_response,
)
from services.decision.entrypoints.runtime import DecisionRuntime
from services.decision.entrypoints.views import View, candidate_view, view_for
from services.platform.asyncapi_http import mount_asyncapi
from services.platform.auth import Scope, grant_of, install_access

log = structlog.get_logger("decision.api")
InterviewId = Annotated[Id, Path(description="The interview id.")]
STALE_AFTER_S = 3.0
"""Readiness fails once the broker has not answered for this long."""


class BrokerProbe:
    """Whether the broker answered lately: a cluster description, asked at most once a second.

    The projection's and the feed's clients retry quietly through an outage; this probe is what lets
    ``/readyz`` say so within a few seconds (a killed broker refuses, a frozen one does not answer).
    """

    def __init__(self, client: dict[str, Any], every_s: float = 1.0, timeout_s: float = 2.0) -> None:
        self._client, self._every_s, self._timeout_s = client, every_s, timeout_s
        self._last_ok = self._asked = time.monotonic()
        self._task: asyncio.Task[None] | None = None

    async def healthy(self) -> bool:
        """Ask again if due (waiting at most the timeout); True if the broker answered lately."""
        if self._task is None and time.monotonic() - self._asked >= self._every_s:
            self._asked = time.monotonic()
            self._task = asyncio.create_task(self._ask(), name="decision-broker-probe")
        if self._task is not None:
            await asyncio.wait([self._task], timeout=self._timeout_s + 0.5)
            self._task = None if self._task.done() else self._task
        return time.monotonic() - self._last_ok < STALE_AFTER_S

    async def _ask(self) -> None:
        admin = AIOKafkaAdminClient(**self._client, request_timeout_ms=int(self._timeout_s * 1000))
        try:
            await asyncio.wait_for(self._describe(admin), self._timeout_s)
            self._last_ok = time.monotonic()
        except Exception as exc:  # any failure to answer is the answer
            log.warning("decision.broker_probe_failed", error=repr(exc))
        finally:
            with contextlib.suppress(Exception):
                await admin.close()

    @staticmethod
    async def _describe(admin: AIOKafkaAdminClient) -> None:
        await admin.start()
        await admin.describe_cluster()


class Revision(BaseModel):
    """One published revision: its CloudEvents id, time (of its cause), cause, and the verdict data.

    ``view`` says how much of it the caller may see: ``full``, or ``candidate`` (the panel's individual
    assessments left out; docs/security.md).
    """

    id: str = Field(description="Deterministic CloudEvents id of the revision.")
    time: datetime = Field(description="Time of the interview event that caused the revision.")
    causationid: str = Field(description="Id of that interview event.")
    prevhash: str = Field(description="Hash chain over the interview's revisions.")
    verdict: VerdictChanged
    view: View = Field(default=View.FULL, description="full, or candidate: the candidate's view.")


class Health(BaseModel):
    """Liveness or readiness."""

    status: str
    partitions: list[int] = Field(default_factory=list)
    parked: int = Field(
        default=0,
        description="How many interviews are parked (ids: `hiring-pipeline decision parked`, an operator "
        "command; probes are anonymous, so no id is shown here).",
    )
    history: str = Field(
        default="complete",
        description="`complete`, or `catching_up` while a new replica still reads the revision history "
        "(revisions and as-of reads answer 503 until then; ADR 0015).",
    )


def _revision(event: Event, view: View = View.FULL) -> Revision:
    assert isinstance(event.data, VerdictChanged)
    a = event.attributes
    data = candidate_view(event.data) if view is View.CANDIDATE else event.data
    return Revision(
        id=a.id, time=a.time, causationid=a.causationid, prevhash=a.prevhash, verdict=data, view=view
    )


def _not_found(interview_id: str, what: str) -> ProblemError:
    return ProblemError(404, "verdict_not_found", "No verdict", f"interview {interview_id!r}: {what}")


def create_app(runtime: DecisionRuntime, probe: BrokerProbe | None = None) -> FastAPI:
    """The FastAPI application serving ``runtime``'s store; ``probe`` tells whether the broker answers."""
    app = FastAPI(title="hiring-pipeline decision service", version="1.0.0", description=__doc__)
    install(app, runtime.settings.max_request_bytes)
    install_access(app, ACCESS, runtime.settings.auth)  # before the routes: each one checks it
    mount_asyncapi(app)
    store = runtime.store
    probe = probe or BrokerProbe(runtime.client)

    def readable(request: Request, interview_id: str) -> View:
        """The caller's view of the interview; 404, as for a missing one, when it is not theirs."""
        grant = grant_of(request)
        found: View | None = View.FULL
        if grant.scope is not Scope.ALL:
            people = runtime.participants
            side = people.side(interview_id, grant.principal.sub)
            found = view_for(grant, side, people.opened_by(interview_id))
        if found is None:
            log.info("decision.read_refused", role=grant.role.value)
            raise _not_found(interview_id, "no revision published")
        return found

    @app.get("/interviews/{interview_id}/verdict", responses=PROBLEM_RESPONSES)
    async def verdict(
        request: Request,
        interview_id: InterviewId,
        as_of_sequence: int | None = Query(
            None, ge=1, le=MAX_SAFE_INT, description="Verdict after this interview event."
        ),
        as_of_time: AwareDatetime | None = Query(
            None, description="Verdict in force at this time (RFC 3339)."
        ),
    ) -> Revision:
        """The current verdict, or the one in force as of an interview sequence number or a time."""
        view = readable(request, interview_id)
        if as_of_sequence is not None and as_of_time is not None:
            raise ProblemError(400, "ambiguous_as_of", "Ambiguous query", "give as_of_sequence or as_of_time")
        if (as_of_sequence is not None or as_of_time is not None) and not runtime.history_complete():
            raise catching_up("the revision history (decision.events)")  # ADR 0015
        if as_of_sequence is not None:
            found = store.as_of_sequence(interview_id, as_of_sequence)
        elif as_of_time is not None:
            found = store.as_of_time(interview_id, as_of_time)
        else:
            found = store.current(interview_id)
        if found is None:
            raise _not_found(interview_id, "no revision (yet) for that point")
        return _revision(found, view)

    @app.get("/interviews/{interview_id}/revisions", responses=PROBLEM_RESPONSES)
    async def revisions(request: Request, interview_id: InterviewId) -> list[Revision]:
        """Every revision of an interview's verdict, oldest first."""
        view = readable(request, interview_id)
        if not runtime.history_complete():
            raise catching_up("the revision history (decision.events)")  # ADR 0015
        found = store.revisions(interview_id)
        if not found:
            raise _not_found(interview_id, "no revision published")
        return [_revision(e, view) for e in found]

    add_candidacy_routes(app, runtime)  # ADR 0012

    @app.get("/healthz")
    async def healthz() -> Health:
        """Liveness: the process answers."""
        return Health(status="ok")

    @app.get("/readyz", responses={503: PROBLEM_RESPONSES[503]})
    async def readyz() -> Response:
        """Readiness: partitions rebuilt, the query store caught up, the broker answering."""
        if not runtime.ready:
            return problem_response(
                ProblemError(
                    503, "not_ready", "Not ready",
                    "restoring partitions or reading the latest verdicts and the participants",
                ).problem
            )
        if not await probe.healthy():
            detail = f"the broker has not answered for {STALE_AFTER_S:.0f} s or more"
            return problem_response(ProblemError(503, "unavailable", "Broker unavailable", detail).problem)
        parked = len(runtime.handler.parked())
        history = "complete" if runtime.history_complete() else "catching_up"
        health = Health(
            status="ready", partitions=sorted(runtime.processor.assigned), parked=parked, history=history
        )
        return Response(health.model_dump_json(), media_type="application/json")

    @app.get("/metrics", response_class=PlainTextResponse)
    async def metrics() -> Response:
        """Prometheus metrics."""
        runtime.progress.metrics.parked.set(len(runtime.handler.parked()))
        return Response(runtime.progress.metrics.render(), media_type="text/plain; version=0.0.4")

    mount_calibration(app, runtime)
    return app
