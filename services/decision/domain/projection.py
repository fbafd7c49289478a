"""The facts of one interview the policy needs, folded from its events by a pure ``evolve``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import MappingProxyType
from typing import Any

from schemas.common import Confidence, GoalId, Outcome, QuestionKind, Rating, Side
from schemas.envelope import Event
from schemas.interview import (
    GoalAssessed,
    InterviewConcluded,
    InterviewOpened,
    QuestionAnswered,
    QuestionAsked,
    StoryTold,
)

_EMPTY: Mapping[str, str] = MappingProxyType({})
_EMPTY_SIDES: Mapping[str, Side] = MappingProxyType({})


@dataclass(frozen=True)
class Cause:
    """The interview event a revision answers to: its id, time and correlation."""

    event_id: str
    sequence: int
    time: datetime
    correlationid: str


@dataclass(frozen=True)
class StoryFact:
    """A story told, with the event that told it."""

    story_id: str
    event_id: str


@dataclass(frozen=True)
class QuestionFact:
    """A question asked: who (side), why (kind), about what, and the story thread it belongs to."""

    question_id: str
    event_id: str
    asker_side: Side | None
    kind: QuestionKind
    story: str | None
    stories_before: int


@dataclass(frozen=True)
class AssessmentFact:
    """An assessment still in force (a later one by the same assessor of the same goal replaces it)."""

    assessment_id: str
    event_id: str
    assessor: str
    side: Side
    goal: GoalId
    rating: Rating
    evidence: tuple[str, ...]
    evidence_events: tuple[str, ...]
    confidence: Confidence | None = None
    """The assessor's own confidence (``goal_assessed.v2``+; None when not stated): read by policy v2."""


@dataclass(frozen=True)
class Projection:
    """Everything the policies look at, for one interview; immutable, replaced by ``evolve``."""

    interview_id: str
    candidacy_id: str
    cause: Cause
    policy_version: str = "v1"
    sides: Mapping[str, Side] = field(default_factory=lambda: _EMPTY_SIDES)
    stories: tuple[StoryFact, ...] = ()
    questions: tuple[QuestionFact, ...] = ()
    assessments: tuple[AssessmentFact, ...] = ()
    threads: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    item_events: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    concluded: str | None = None
    outcome: Outcome | None = None
    round: str = ""
    """The interview's round in its candidacy (``interview.opened``), for the candidacy projection."""

    @property
    def sequence(self) -> int:
        """Sequence of the last interview event applied."""
        return self.cause.sequence


def without_facts(p: Projection) -> Projection:
    """The projection without what the policy reads (stories, questions, assessments, threads)."""
    return replace(p, stories=(), questions=(), assessments=(), threads=_EMPTY, item_events=_EMPTY)


def cause_of(event: Event) -> Cause:
    """The causation data a revision copies from the interview event that caused it."""
    a = event.attributes
    return Cause(a.id, a.sequence, a.time, a.correlationid)


def _with(mapping: Mapping[str, Any], key: str, value: Any) -> Mapping[str, Any]:
    return MappingProxyType({**mapping, key: value})


def _opened(_: Projection | None, event: Event, data: InterviewOpened) -> Projection:
    sides = MappingProxyType({p.id: p.side for p in data.participants})
    return Projection(
        event.attributes.subject,
        data.candidacy_id,
        cause_of(event),
        data.policy_version,
        sides=sides,
        round=data.round,
    )


def _story(p: Projection, event: Event, data: StoryTold) -> Projection:
    return replace(
        p,
        stories=(*p.stories, StoryFact(data.story_id, event.attributes.id)),
        threads=_with(p.threads, data.story_id, data.story_id),
        item_events=_with(p.item_events, data.story_id, event.attributes.id),
    )


def _question(p: Projection, event: Event, data: QuestionAsked) -> Projection:
    story = p.threads.get(data.about) if data.about else None
    fact = QuestionFact(
        data.question_id, event.attributes.id, p.sides.get(data.asker), data.kind, story, len(p.stories)
    )
    threads = _with(p.threads, data.question_id, story) if story else p.threads
    return replace(
        p,
        questions=(*p.questions, fact),
        threads=threads,
        item_events=_with(p.item_events, data.question_id, event.attributes.id),
    )


def _answer(p: Projection, event: Event, data: QuestionAnswered) -> Projection:
    story = p.threads.get(data.question_id)
    threads = _with(p.threads, data.answer_id, story) if story else p.threads
    return replace(p, threads=threads, item_events=_with(p.item_events, data.answer_id, event.attributes.id))


def _assessed(p: Projection, event: Event, data: GoalAssessed) -> Projection:
    cited = tuple(p.item_events[i] for i in data.evidence if i in p.item_events)
    fact = AssessmentFact(
        data.assessment_id, event.attributes.id, data.assessor, data.assessor_side,
        data.goal, data.rating, data.evidence, cited, data.confidence,
    )  # fmt: skip
    # The latest assessment by the same assessor of the same goal is the one in force.
    kept = tuple(a for a in p.assessments if (a.assessor, a.goal) != (fact.assessor, fact.goal))
    return replace(p, assessments=(*kept, fact))


def _concluded(p: Projection, event: Event, data: InterviewConcluded) -> Projection:
    return replace(p, concluded=event.attributes.id, outcome=data.outcome)


_FOLDS: dict[type[Any], Callable[[Any, Event, Any], Projection]] = {
    InterviewOpened: _opened,
    StoryTold: _story,
    QuestionAsked: _question,
    QuestionAnswered: _answer,
    GoalAssessed: _assessed,
    InterviewConcluded: _concluded,
}


def evolve(projection: Projection | None, event: Event) -> Projection:
    """Apply one accepted interview event (validation is ``revisions.check``'s job)."""
    fold = _FOLDS[type(event.data)]
    folded = fold(projection, event, event.data)
    # The fold made a new projection (opened: a new one): set its cause in place of a second copy.
    object.__setattr__(folded, "cause", cause_of(event))
    return folded
