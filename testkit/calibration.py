"""The calibration sample (services/launcher/calibration_sample.py) as interview events, for tests."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from schemas.common import Frozen, Side
from schemas.envelope import Event
from schemas.interview import (
    GoalAssessed,
    InterviewConcluded,
    InterviewOpened,
    QuestionAnswered,
    QuestionAsked,
    StoryTold,
)
from schemas.sealed import plain
from services.launcher.calibration_sample import SampleInterview, calibration_sample, steps
from testkit.interviews import EPOCH, Script, interleaved

TEXT = ("title", "summary", "text", "note")
"""Text fields: the domain holds them clear (the writer seals them when it stores the event)."""


def _data(route: str, actor: str, body: dict[str, Any], sides: dict[str, Side]) -> Frozen:
    body = {k: plain(v) if k in TEXT and isinstance(v, str) else v for k, v in body.items()}
    if route == "open":
        return InterviewOpened(**body, policy_version="v1")
    if route == "questions":
        return QuestionAsked(asker=actor, **body)
    if route == "stories":
        return StoryTold(teller=actor, **body)
    if route == "answers":
        return QuestionAnswered(answerer=actor, **body)
    if route == "assessments":
        given = {"confidence": None, "note": plain("")} | body
        return GoalAssessed(assessor=actor, assessor_side=sides[actor], **given)
    if route == "conclusion":
        return InterviewConcluded(concluded_by=actor, **body)
    raise ValueError(f"unknown route {route!r}")


def sample_events(sample: SampleInterview, *, start: datetime = EPOCH) -> list[Event]:
    """One sample interview as the interview service would log it (the same commands as over HTTP)."""
    script = Script(sample.interview_id, start=start)
    script.sides = {sample.candidate: Side.CANDIDATE} | dict.fromkeys(sample.panel, Side.COMPANY)
    for route, actor, body in steps(sample):
        script._append(_data(route, actor, body, script.sides), actor)
    return script.events


def calibration_stream(interviews: int = 36, **kwargs: Any) -> list[Event]:
    """The whole sample, interviews interleaved, each starting a minute after the previous."""
    samples = calibration_sample(interviews, **kwargs)
    return interleaved(*(sample_events(s, start=EPOCH + timedelta(minutes=n)) for n, s in enumerate(samples)))
