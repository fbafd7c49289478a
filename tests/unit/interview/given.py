"""Given events -> when command -> then events or rejection: builders shared by the domain tests."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from schemas.commands import CommandEnvelope
from schemas.common import Side
from schemas.envelope import Event
from services.interview.domain import Command, InterviewState, Rejection, Stamp, decide, fold

IID = "iv-1"
CANDIDATE, ALICE, BOB, MALLORY = "cand-7", "alice", "bob", "mallory"
T0 = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
_counter = itertools.count(1)


def uid() -> str:
    """A fresh, deterministic-looking UUID string."""
    return str(uuid.UUID(int=next(_counter)))


def command(payload: dict[str, Any], *, actor: str = ALICE, version: int = 0, **extra: Any) -> Command:
    """A command envelope for interview ``IID``."""
    body = {
        "command_id": uid(),
        "interview_id": IID,
        "expected_version": version,
        "actor_id": actor,
        "correlation_id": "corr-1",
        "payload": payload,
        **extra,
    }
    return CommandEnvelope.model_validate(body)


def stamp(n: int = 0) -> Stamp:
    """Fresh event ids and a time."""
    return Stamp(event_ids=[uid()], time=T0 + timedelta(seconds=n))


def open_payload(**over: Any) -> dict[str, Any]:
    """A valid open_interview payload: one candidate and two company participants."""
    payload: dict[str, Any] = {
        "type": "open_interview",
        "candidacy_id": "cy-1",
        "round": "technical",
        "position": "Backend engineer",
        "candidate_id": CANDIDATE,
        "participants": [
            {"id": CANDIDATE, "side": "candidate", "role": "candidate"},
            {"id": ALICE, "side": "company", "role": "interviewer"},
            {"id": BOB, "side": "company", "role": "hiring_manager"},
        ],
    }
    return payload | over


def story(story_id: str = "s1", **over: Any) -> dict[str, Any]:
    """A tell_story payload."""
    base = {
        "type": "tell_story",
        "story_id": story_id,
        "kind": "bug_hunt",
        "title": "The leak",
        "summary": "…",
    }
    return base | over


def question(question_id: str, kind: str, about: str | None = None) -> dict[str, Any]:
    """An ask_question payload."""
    return {"type": "ask_question", "question_id": question_id, "kind": kind, "text": "Why?", "about": about}


def answer(answer_id: str, question_id: str) -> dict[str, Any]:
    """An answer_question payload."""
    return {"type": "answer_question", "answer_id": answer_id, "question_id": question_id, "text": "Because."}


def assess(assessment_id: str, goal: str, evidence: list[str], rating: str = "yes") -> dict[str, Any]:
    """An assess_goal payload."""
    return {
        "type": "assess_goal",
        "assessment_id": assessment_id,
        "goal": goal,
        "rating": rating,
        "evidence": evidence,
    }


def conclude(outcome: str = "completed") -> dict[str, Any]:
    """A conclude_interview payload."""
    return {"type": "conclude_interview", "outcome": outcome}


def given(*steps: tuple[str, dict[str, Any]]) -> tuple[list[Event], InterviewState]:
    """History built from accepted (actor, payload) steps; returns the events and the folded state."""
    events: list[Event] = []
    state = InterviewState(IID)
    for actor, payload in steps:
        outcome = decide(state, command(payload, actor=actor, version=state.version), stamp(len(events)))
        assert not isinstance(outcome, Rejection), outcome
        events.extend(outcome)
        state = fold(IID, events)
    return events, state


def opened_story_told() -> tuple[list[Event], InterviewState]:
    """The usual start: opened, story invited, story told."""
    return given(
        (ALICE, open_payload()),
        (ALICE, question("q1", "invite_story")),
        (CANDIDATE, story("s1", in_reply_to="q1")),
    )


def when(state: InterviewState, actor: str, payload: dict[str, Any], **extra: Any) -> list[Event] | Rejection:
    """Decide one command at the state's current version (unless ``version`` is given)."""
    version = extra.pop("version", state.version)
    return decide(state, command(payload, actor=actor, version=version, **extra), stamp(99))


def rejected(outcome: list[Event] | Rejection, code: str, field: str | None = None) -> Rejection:
    """Assert a rejection with this code (and field); return it."""
    assert isinstance(outcome, Rejection), f"expected {code}, got events {outcome}"
    assert outcome.code == code, outcome
    if field is not None:
        assert outcome.field == field, outcome
    assert outcome.message
    return outcome


def accepted(outcome: list[Event] | Rejection) -> Event:
    """Assert exactly one event was decided; return it."""
    assert not isinstance(outcome, Rejection), outcome
    assert len(outcome) == 1
    return outcome[0]


SIDES = {CANDIDATE: Side.CANDIDATE, ALICE: Side.COMPANY, BOB: Side.COMPANY}
