"""Query API: current verdict, verdict as of a sequence or a time, revisions; health, readiness, metrics."""

from __future__ import annotations

from datetime import datetime

from fastapi import FastAPI, Query, Response
from pydantic import AwareDatetime, BaseModel, Field

from schemas.decision import VerdictChanged
from schemas.envelope import Event
from services.decision.entrypoints.problems import (
    PROBLEM_RESPONSES,
    Problem,
    ProblemError,
    install,
    problem_response,
)
from services.decision.entrypoints.runtime import DecisionRuntime


class Revision(BaseModel):
    """One published revision: its CloudEvents id, time (of its cause), cause, and the verdict data."""

    id: str = Field(description="Deterministic CloudEvents id of the revision.")
    time: datetime = Field(description="Time of the interview event that caused the revision.")
    causationid: str = Field(description="Id of that interview event.")
    prevhash: str = Field(description="Hash chain over the interview's revisions.")
    verdict: VerdictChanged


class Health(BaseModel):
    """Liveness or readiness."""

    status: str
    partitions: list[int] = Field(default_factory=list)
    parked: dict[str, str] = Field(
        default_factory=dict, description="Parked interviews and their reason code."
    )


def _revision(event: Event) -> Revision:
    assert isinstance(event.data, VerdictChanged)
    a = event.attributes
    return Revision(id=a.id, time=a.time, causationid=a.causationid, prevhash=a.prevhash, verdict=event.data)


def _not_found(interview_id: str, what: str) -> ProblemError:
    return ProblemError(404, "verdict_not_found", "No verdict", f"interview {interview_id!r}: {what}")


def create_app(runtime: DecisionRuntime) -> FastAPI:
    """The FastAPI application serving ``runtime``'s store."""
    app = FastAPI(title="hiring-pipeline decision service", version="1.0.0", description=__doc__)
    install(app)
    store = runtime.store

    @app.get("/interviews/{interview_id}/verdict", responses=PROBLEM_RESPONSES)
    async def verdict(
        interview_id: str,
        as_of_sequence: int | None = Query(None, ge=1, description="Verdict after this interview event."),
        as_of_time: AwareDatetime | None = Query(
            None, description="Verdict in force at this time (RFC 3339)."
        ),
    ) -> Revision:
        """The current verdict, or the one in force as of an interview sequence number or a time."""
        if as_of_sequence is not None and as_of_time is not None:
            raise ProblemError(400, "ambiguous_as_of", "Ambiguous query", "give as_of_sequence or as_of_time")
        if as_of_sequence is not None:
            found = store.as_of_sequence(interview_id, as_of_sequence)
        elif as_of_time is not None:
            found = store.as_of_time(interview_id, as_of_time)
        else:
            found = store.current(interview_id)
        if found is None:
            raise _not_found(interview_id, "no revision (yet) for that point")
        return _revision(found)

    @app.get("/interviews/{interview_id}/revisions", responses=PROBLEM_RESPONSES)
    async def revisions(interview_id: str) -> list[Revision]:
        """Every revision of an interview's verdict, oldest first."""
        found = store.revisions(interview_id)
        if not found:
            raise _not_found(interview_id, "no revision published")
        return [_revision(e) for e in found]

    @app.get("/healthz")
    async def healthz() -> Health:
        """Liveness: the process answers."""
        return Health(status="ok")

    @app.get("/readyz", responses={503: {"model": Problem}})
    async def readyz() -> Response:
        """Readiness: partitions rebuilt and the query store caught up."""
        if not runtime.ready:
            return problem_response(
                Problem(
                    type="about:blank",
                    title="Not ready",
                    status=503,
                    code="not_ready",
                    detail="rebuilding partitions or catching up with decision.events",
                )
            )
        health = Health(
            status="ready", partitions=sorted(runtime.processor.assigned), parked=runtime.handler.parked()
        )
        return Response(health.model_dump_json(), media_type="application/json")

    @app.get("/metrics")
    async def metrics() -> Response:
        """Prometheus metrics."""
        runtime.progress.metrics.parked.set(len(runtime.handler.parked()))
        return Response(runtime.progress.metrics.render(), media_type="text/plain; version=0.0.4")

    return app
