"""What the writer must remember about one interview, and ``evolve`` (pure fold over its events)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from schemas.chain import GENESIS_HASH
from schemas.common import Frozen, GoalId, Side
from schemas.envelope import Event
from schemas.interview import (
    GoalAssessed,
    InterviewConcluded,
    InterviewOpened,
    QuestionAnswered,
    QuestionAsked,
    StoryTold,
)


class BrokenHistoryError(ValueError):
    """The log of an interview is not a contiguous hash chain (never expected from our own writes)."""


@dataclass(frozen=True)
class InterviewState:
    """State of one interview as the single writer sees it (immutable; ``evolve`` returns a new one)."""

    interview_id: str
    version: int = 0
    last_hash: str = GENESIS_HASH
    last_time: datetime | None = None  # event times never go backwards within an interview
    opened: bool = False
    concluded: bool = False
    participants: Mapping[str, Side] = field(default_factory=dict)
    candidate_id: str | None = None  # whose data key seals the interview's text (docs/decisions/0011)
    stories: frozenset[str] = frozenset()
    answers: frozenset[str] = frozenset()
    questions: Mapping[str, str] = field(default_factory=dict)  # question id -> asker id
    assessments: Mapping[tuple[str, GoalId], str] = field(default_factory=dict)  # latest per (assessor, goal)
    item_ids: frozenset[str] = frozenset()  # every story, question, answer and assessment id
    unreadable: str | None = None  # why a record of its history cannot be read: the interview is parked

    def side_of(self, participant: str) -> Side | None:
        """The side of a participant, or None when not a participant."""
        return self.participants.get(participant)


def evolve(state: InterviewState, event: Event) -> InterviewState:
    """The state after ``event``; raises ``BrokenHistoryError`` if it does not extend the chain."""
    _check_chain(state, event)
    apply = _APPLY.get(type(event.data))
    changed = apply(state, event.data) if apply else state
    attrs = event.attributes
    return replace(changed, version=attrs.sequence, last_hash=event.chain_hash, last_time=attrs.time)


def parked(interview_id: str, reason: str) -> InterviewState:
    """An interview whose history holds a record the writer cannot read: it refuses every command."""
    return InterviewState(interview_id, unreadable=reason)


def retired(state: InterviewState) -> InterviewState:
    """What a concluded interview still needs: who took part, to chain, and to refuse (no item ids).

    The participants stay so that one of them hears ``concluded`` and a stranger still hears only
    ``not_a_participant`` (docs/decisions/0022): a handful of ids, against every item id dropped.
    """
    if not state.concluded or state.unreadable is not None:
        return state
    return InterviewState(
        state.interview_id, state.version, state.last_hash, state.last_time, opened=True, concluded=True,
        participants=state.participants,
    )  # fmt: skip


def fold(interview_id: str, events: Iterable[Event]) -> InterviewState:
    """State rebuilt from an interview's whole history."""
    state = InterviewState(interview_id)
    for event in events:
        state = evolve(state, event)
    return state


def _check_chain(state: InterviewState, event: Event) -> None:
    attrs = event.attributes
    if attrs.subject != state.interview_id:
        raise BrokenHistoryError(f"event {attrs.id} is about {attrs.subject}, not {state.interview_id}")
    if attrs.sequence != state.version + 1:
        raise BrokenHistoryError(
            f"{state.interview_id}: sequence {attrs.sequence} follows version {state.version}"
        )
    if attrs.prevhash != state.last_hash:
        raise BrokenHistoryError(f"{state.interview_id}: prevhash of sequence {attrs.sequence} breaks chain")


def _opened(state: InterviewState, data: InterviewOpened) -> InterviewState:
    participants = {p.id: p.side for p in data.participants}
    return replace(state, opened=True, participants=participants, candidate_id=data.candidate_id)


def _story(state: InterviewState, data: StoryTold) -> InterviewState:
    return replace(state, stories=state.stories | {data.story_id}, item_ids=state.item_ids | {data.story_id})


def _question(state: InterviewState, data: QuestionAsked) -> InterviewState:
    questions = {**state.questions, data.question_id: data.asker}
    return replace(state, questions=questions, item_ids=state.item_ids | {data.question_id})


def _answer(state: InterviewState, data: QuestionAnswered) -> InterviewState:
    return replace(
        state, answers=state.answers | {data.answer_id}, item_ids=state.item_ids | {data.answer_id}
    )


def _assessed(state: InterviewState, data: GoalAssessed) -> InterviewState:
    latest = {**state.assessments, (data.assessor, data.goal): data.assessment_id}
    return replace(state, assessments=latest, item_ids=state.item_ids | {data.assessment_id})


def _concluded(state: InterviewState, _data: InterviewConcluded) -> InterviewState:
    return replace(state, concluded=True)


_APPLY: dict[type[Frozen], Callable[[InterviewState, object], InterviewState]] = {
    InterviewOpened: _opened,  # type: ignore[dict-item]
    StoryTold: _story,  # type: ignore[dict-item]
    QuestionAsked: _question,  # type: ignore[dict-item]
    QuestionAnswered: _answer,  # type: ignore[dict-item]
    GoalAssessed: _assessed,  # type: ignore[dict-item]
    InterviewConcluded: _concluded,  # type: ignore[dict-item]
}
