"""The largest interview the bounded contract allows, built through the real domain and policy.

Every identifier is 128 characters, every text its maximum length in 4-byte UTF-8 characters (the
most bytes a character can take on the wire: control characters, which JSON escapes to 6 bytes, are
refused), the panel is full, and the interview's items are spent so that its verdict is as large as
policy v1 can make it: every participant assesses every goal citing the most evidence, and the
company's questions trigger three signals each (story_not_invited, checklist_interview or
adversarial_interview) before one story leaves every story shallow.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from schemas.codec import KafkaRecord, encode
from schemas.commands import CommandEnvelope
from schemas.common import MAX_EVIDENCE, MAX_ITEMS, MAX_PARTICIPANTS, MAX_SKILLS, GoalId
from schemas.envelope import Event
from services.decision.domain.replay import project
from services.interview.adapters import wire
from services.interview.domain import InterviewState, Rejection, Stamp, decide, evolve

WIDE = "\U0001d11e"  # MUSICAL SYMBOL G CLEF: 4 bytes in UTF-8, one character for maxLength
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def long_id(name: str) -> str:
    """An identifier of the maximum length (128 characters), unique by ``name``."""
    return (name + "-").ljust(128, "x")


def text(length: int) -> str:
    """Text of ``length`` characters, each taking 4 bytes on the wire."""
    return WIDE * length


def token(name: str) -> str:
    """A client token of the maximum length (200 characters)."""
    return (name + "-").ljust(200, "t")


IID = long_id("interview")
CANDIDATE = long_id("candidate")
PANEL = [long_id(f"interviewer{i}") for i in range(MAX_PARTICIPANTS - 1)]
ASSESSMENTS = MAX_PARTICIPANTS * len(GoalId)
QUESTIONS = MAX_ITEMS - ASSESSMENTS - 1
STORY = long_id("story")


@dataclass
class Built:
    """The commands sent, the events they appended, and the writer's results."""

    commands: list[CommandEnvelope] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    results: list[Any] = field(default_factory=list)
    state: InterviewState = field(default_factory=lambda: InterviewState(IID))

    def send(self, actor: str, payload: dict[str, Any]) -> None:
        """Decide one command; it must be accepted."""
        command = CommandEnvelope.model_validate(
            {
                "command_id": str(uuid.uuid4()),
                "idempotency_key": token(f"key{len(self.commands)}"),
                "interview_id": IID,
                "expected_version": self.state.version,
                "actor_id": actor,
                "correlation_id": token("corr"),
                "causation_id": token("cause"),
                "payload": payload,
            }
        )
        stamp = Stamp([str(uuid.uuid4())], T0 + timedelta(seconds=len(self.commands)))
        outcome = decide(self.state, command, stamp)
        assert not isinstance(outcome, Rejection), outcome
        for event in outcome:
            self.state = evolve(self.state, event)
        self.commands.append(command)
        self.events.extend(outcome)
        self.results.append(wire.accepted(command, outcome))


def open_payload() -> dict[str, Any]:
    """open_interview with a full panel and every text at its longest."""
    people = [{"id": CANDIDATE, "side": "candidate", "role": text(500)}]
    people += [{"id": p, "side": "company", "role": text(500)} for p in PANEL]
    return {
        "type": "open_interview",
        "candidacy_id": long_id("candidacy"),
        "round": "technical-" + "r" * 22,
        "position": text(500),
        "candidate_id": CANDIDATE,
        "participants": people,
    }


def story_payload() -> dict[str, Any]:
    """The longest story: longest title and summary, the most skills, each of the longest tag."""
    skills = [f"{i:02d}".ljust(64, "s") for i in range(MAX_SKILLS)]
    return {
        "type": "tell_story",
        "story_id": STORY,
        "kind": "bug_hunt",
        "title": text(500),
        "summary": text(10_000),
        "skills": skills,
        "in_reply_to": long_id("q0"),
    }


def largest_interview() -> Built:
    """Open, the company's questions, one story, every participant assessing every goal, conclude."""
    built = Built()
    built.send(PANEL[0], open_payload())
    questions = [long_id(f"q{i}") for i in range(QUESTIONS)]
    for i, qid in enumerate(questions):
        kind = "challenge" if i % 3 == 2 else "scripted"  # two thirds scripted: a checklist interview
        payload = {"type": "ask_question", "question_id": qid, "kind": kind, "text": text(10_000)}
        built.send(PANEL[i % len(PANEL)], payload)
    built.send(CANDIDATE, story_payload())
    evidence = [STORY, *questions[: MAX_EVIDENCE - 1]]
    for n, person in enumerate([CANDIDATE, *PANEL]):
        for goal in GoalId:
            assessment = {
                "type": "assess_goal",
                "assessment_id": long_id(f"a{n}-{goal.value}"),
                "goal": goal.value,
                "rating": "strong_no" if n % 2 else "strong_yes",
                "confidence": "medium",
                "evidence": evidence,
                "note": text(10_000),
            }
            built.send(person, assessment)
    built.send(PANEL[0], {"type": "conclude_interview", "outcome": "completed"})
    return built


def verdicts(built: Built) -> list[Event]:
    """Every verdict revision policy v1 publishes for the interview."""
    return project(built.events)


def command_records(built: Built) -> Iterator[KafkaRecord]:
    """The command records as the HTTP front produces them."""
    for command in built.commands:
        value = command.model_dump_json(exclude_none=True).encode()
        yield KafkaRecord(command.interview_id.encode(), value, list(wire.JSON_HEADERS))


def result_records(built: Built) -> Iterator[KafkaRecord]:
    """The writer's result records."""
    for result in built.results:
        out = wire.result_record(result, "interview.command-results", 0)
        yield KafkaRecord(out.key or b"", out.value or b"", list(out.headers))


def event_records(events: list[Event]) -> Iterator[KafkaRecord]:
    """Events as CloudEvents binary-mode records."""
    return map(encode, events)
