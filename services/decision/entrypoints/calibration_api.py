"""Interviewer calibration over HTTP (ADR 0013; method v2, ADR 0021): never to candidates.

``GET /calibration`` is the whole report; ``GET /calibration/interviewers/{id}`` one interviewer. Both
answer 503 ``not_ready`` until the calibration store has read compacted ``decision.verdicts`` (the final
revision of every concluded interview) up to its end at start.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import FastAPI, Path
from starlette.concurrency import run_in_threadpool

from schemas.common import Id
from services.decision.adapters.calibration_store import CalibrationStore
from services.decision.domain.calibration import CalibrationReport, InterviewerCalibration
from services.decision.entrypoints.problems import PROBLEM_RESPONSES, ProblemError, require_ready
from services.decision.entrypoints.runtime import QueryRuntime

ROUTES = ("/calibration", "/calibration/interviewers/{interviewer_id}")
"""Read routes of this module (roles: auditor, recruiter, interviewer; never candidate)."""
InterviewerId = Annotated[Id, Path(description="The interviewer's participant id.")]


def mount_calibration(app: FastAPI, query: QueryRuntime) -> None:
    """Add the calibration routes to the query API."""

    def store() -> CalibrationStore:
        require_ready(query.ready)
        if not query.calibration_ready():
            raise ProblemError(503, "not_ready", "Not ready", "the calibration store is catching up with "
                               "decision.verdicts")  # fmt: skip
        return query.calibration

    @app.get(ROUTES[0], operation_id="getCalibration", responses=PROBLEM_RESPONSES, tags=["calibration"])
    async def calibration() -> CalibrationReport:
        """Every interviewer's severity (rater-effects model, ``method``), overall and per goal, with its
        interval and agreement with final verdicts, flagged when large and well supported (informs
        people; never changes a verdict)."""
        return await run_in_threadpool(store().report)  # a refit takes a while: not on the event loop

    @app.get(ROUTES[1], operation_id="getInterviewerCalibration", responses=PROBLEM_RESPONSES,
             tags=["calibration"])  # fmt: skip
    async def interviewer(interviewer_id: InterviewerId) -> InterviewerCalibration:
        """One interviewer's calibration."""
        for found in (await run_in_threadpool(store().report)).interviewers:
            if found.interviewer == interviewer_id:
                return found
        detail = f"interviewer {interviewer_id!r} has no assessment in a concluded interview"
        raise ProblemError(404, "interviewer_not_found", "No calibration", detail)
