"""Build well-formed interview event streams (chained, contiguous) for tests, the benchmark and demos."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from schemas.chain import GENESIS_HASH
from schemas.common import (
    ActorSide,
    Confidence,
    Frozen,
    GoalId,
    Outcome,
    QuestionKind,
    Rating,
    Side,
    StoryKind,
)
from schemas.envelope import Event
from schemas.interview import (
    GoalAssessed,
    GoalAssessedV1,
    InterviewConcluded,
    InterviewOpened,
    Participant,
    QuestionAnswered,
    QuestionAsked,
    StoryTold,
)
from schemas.registry import INTERVIEW_SOURCE, build_event
from schemas.sealed import ClearText, plain

EPOCH = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
_NS = uuid.uuid5(uuid.NAMESPACE_URL, "https://hiring-pipeline.example/samples")


class Script:
    """An interview written event by event; ``events`` is its history as the interview service logs it."""

    def __init__(self, interview_id: str, *, start: datetime = EPOCH, interviewers: int = 2) -> None:
        self.interview_id = interview_id
        self.start = start
        self.events: list[Event] = []
        self.sides = {"cand": Side.CANDIDATE} | {f"int{i}": Side.COMPANY for i in range(1, interviewers + 1)}

    def _append(self, data: Frozen, actor: str) -> Script:
        sequence = len(self.events) + 1
        side = ActorSide(self.sides[actor].value) if actor in self.sides else ActorSide.SYSTEM
        event = build_event(
            data, event_id=str(uuid.uuid5(_NS, f"{self.interview_id}/{sequence}")),
            subject=self.interview_id, sequence=sequence,
            prevhash=self.events[-1].chain_hash if self.events else GENESIS_HASH,
            time=self.start + timedelta(seconds=sequence), actorid=actor, actorside=side,
            correlationid=f"corr-{self.interview_id}", causationid=f"cmd-{self.interview_id}-{sequence}",
            source=INTERVIEW_SOURCE,
        )  # fmt: skip
        self.events.append(event)
        return self

    def opened(
        self, policy_version: str = "v1", *, candidacy_id: str | None = None, round_name: str = "technical"
    ) -> Script:
        """interview.opened: one candidate, the interviewers (candidacy ``cy-<interview>`` unless given)."""
        people = tuple(
            Participant(id=pid, side=side, role="candidate" if side is Side.CANDIDATE else "interviewer")
            for pid, side in self.sides.items()
        )
        data = InterviewOpened(
            candidacy_id=candidacy_id or f"cy-{self.interview_id}", round=round_name,
            position="Backend engineer", candidate_id=f"c-{candidacy_id or self.interview_id}",
            participants=people, policy_version=policy_version,
        )  # fmt: skip
        return self._append(data, "int1")

    def story(self, story_id: str, *, teller: str = "cand", in_reply_to: str | None = None) -> Script:
        """interview.story_told."""
        data = StoryTold(
            story_id=story_id, teller=teller, kind=StoryKind.BUG_HUNT, title=plain(f"Story {story_id}"),
            summary=plain("A production incident, traced and fixed."), skills=("python", "kafka"),
            in_reply_to=in_reply_to,
        )  # fmt: skip
        return self._append(data, teller)

    def ask(
        self, question_id: str, kind: QuestionKind, *, asker: str = "int1", about: str | None = None
    ) -> Script:
        """interview.question_asked."""
        data = QuestionAsked(question_id=question_id, asker=asker, kind=kind, text=plain("Why?"), about=about)
        return self._append(data, asker)

    def answer(self, answer_id: str, question_id: str, *, answerer: str = "cand") -> Script:
        """interview.question_answered."""
        data = QuestionAnswered(
            answer_id=answer_id, question_id=question_id, answerer=answerer, text=plain("Because.")
        )
        return self._append(data, answerer)

    def assess(
        self,
        assessment_id: str,
        goal: GoalId,
        rating: Rating,
        *,
        by: str = "int1",
        evidence: tuple[str, ...] = ("s1",),
        confidence: Confidence | None = None,
    ) -> Script:
        """interview.goal_assessed by ``by`` (its side from the participants)."""
        data = GoalAssessed(
            assessment_id=assessment_id, assessor=by, assessor_side=self.sides[by], goal=goal,
            rating=rating, confidence=confidence, evidence=evidence, note=plain(""),
        )  # fmt: skip
        return self._append(data, by)

    def conclude(self, outcome: Outcome = Outcome.COMPLETED, *, by: str = "int1") -> Script:
        """interview.concluded."""
        return self._append(InterviewConcluded(concluded_by=by, outcome=outcome), by)


COMPANY = (GoalId.COMPANY_LEVEL, GoalId.COMPANY_APPLICATION, GoalId.CANDIDATE_PRESENT)
CANDIDATE = (GoalId.CANDIDATE_OFFER, GoalId.CANDIDATE_OPPORTUNITY, GoalId.COMPANY_ATTRACT)


def story_first(interview_id: str, *, start: datetime = EPOCH) -> Script:
    """A story-first interview that ends in a mutual fit (17 events)."""
    s = (
        Script(interview_id, start=start)
        .opened()
        .ask("q1", QuestionKind.INVITE_STORY)
        .story("s1", in_reply_to="q1")
    )
    s.ask("q2", QuestionKind.CLARIFYING, about="s1").answer("a2", "q2")
    s.ask("q3", QuestionKind.CLARIFYING, about="a2", asker="int2").answer("a3", "q3")
    s.ask("q4", QuestionKind.ABOUT_ROLE, asker="cand").answer("a4", "q4", answerer="int1")
    for i, goal in enumerate(COMPANY, 1):
        s.assess(f"c{i}", goal, Rating.STRONG_YES if i == 1 else Rating.YES, evidence=("s1", "a2"))
    s.assess("c4", GoalId.COMPANY_LEVEL, Rating.YES, by="int2", evidence=("a3",))
    for i, goal in enumerate(CANDIDATE, 1):
        s.assess(f"k{i}", goal, Rating.YES, by="cand", evidence=("a4",))
    return s.conclude()


def checklist(interview_id: str, *, start: datetime = EPOCH) -> Script:
    """A checklist-style interview: scripted questions first, no story, no candidate questions."""
    s = Script(interview_id, start=start).opened()
    for i in range(1, 6):
        s.ask(f"q{i}", QuestionKind.SCRIPTED).answer(f"a{i}", f"q{i}")
    for i, goal in enumerate(COMPANY, 1):
        s.assess(f"c{i}", goal, Rating.NO, evidence=(f"a{i}",))
    return s.conclude()


def stream(interviews: int, *, prefix: str = "iv", start: datetime = EPOCH) -> list[Event]:
    """Interview histories interleaved round-robin (story-first and checklist alternating)."""
    scripts = [
        (story_first if i % 2 == 0 else checklist)(f"{prefix}-{i}", start=start) for i in range(interviews)
    ]
    return interleaved(*(s.events for s in scripts))


def as_stored_by_v1_writer(events: list[Event], old: Callable[[int, Event], bool]) -> list[Event]:
    """The same interviews as a v1 writer would have stored them, for the assessments ``old`` picks.

    A picked ``goal_assessed`` (by position and event) is written as ``goal_assessed.v1`` (no confidence);
    every interview's chain is linked again over what is now stored, as that writer would have.
    """
    out: list[Event] = []
    last: dict[str, str] = {}
    for position, event in enumerate(events):
        data: Frozen = event.data
        if isinstance(data, GoalAssessed) and old(position, event):
            note = data.note.plain if isinstance(data.note, ClearText) else ""
            data = GoalAssessedV1(**data.model_dump(exclude={"confidence", "note"}), note=note)
        a = event.attributes
        stored = build_event(
            data, event_id=a.id, subject=a.subject, sequence=a.sequence,
            prevhash=last.get(a.subject, GENESIS_HASH), time=a.time, actorid=a.actorid,
            actorside=a.actorside, correlationid=a.correlationid, causationid=a.causationid, source=a.source,
        )  # fmt: skip
        last[a.subject] = stored.chain_hash
        out.append(stored)
    return out


def interleaved(*histories: list[Event]) -> list[Event]:
    """Histories mixed round-robin, as the service logs interviews that run side by side."""
    out: list[Event] = []
    for position in range(max(len(h) for h in histories)):
        out.extend(h[position] for h in histories if position < len(h))
    return out
