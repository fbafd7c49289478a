"""One round as the candidacy projection receives it: an interview verdict revision, its round and outcome.

The candidacy projection keeps of each round verdict revision only what ``candidacy-v1`` reads and
cites (``RoundVerdict``, ADR 0018), not the whole published ``VerdictChanged``: that is what travels on
``decision.candidacy-rounds`` and what the candidacy state holds per round.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from schemas.common import GoalId, Outcome
from schemas.decision import Decision, Mutual, Reason, SideVerdict, VerdictChanged

ROUND_SIGNALS = ("checklist_interview", "no_candidate_questions")
"""The round signals ``candidacy-v1`` looks for across rounds (the others are not kept)."""


@dataclass(frozen=True, slots=True)
class RoundReason:
    """A goal as one side of a round assessed it: its mean and the events the candidacy cites."""

    goal: GoalId
    mean: float
    assessment_events: tuple[str, ...]
    """CloudEvents ids of the goal_assessed events behind the mean (their count weighs the mean)."""
    evidence_events: tuple[str, ...]
    """CloudEvents ids of the evidence those assessments cite, each once, in the order first cited."""


@dataclass(frozen=True, slots=True)
class RoundSide:
    """One side of a round verdict: its decision, its required goals' reasons, the goals missing."""

    decision: Decision
    reasons: tuple[RoundReason, ...]
    missing: tuple[GoalId, ...]


@dataclass(frozen=True, slots=True)
class RoundSignal:
    """A round signal the candidacy policy combines across rounds (code and evidence only)."""

    code: str
    evidence: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RoundVerdict:
    """What ``candidacy-v1`` reads and cites of a published interview verdict revision."""

    candidacy_id: str
    revision: int
    policy_version: str
    final: bool
    mutual: Mutual
    company: RoundSide
    candidate: RoundSide
    signals: tuple[RoundSignal, ...]


def _reason(r: Reason) -> RoundReason:
    evidence = tuple(dict.fromkeys(e for a in r.assessments for e in a.evidence_events))
    return RoundReason(r.goal, r.mean, tuple(a.event_id for a in r.assessments), evidence)


def _side(side: SideVerdict) -> RoundSide:
    return RoundSide(side.decision, tuple(map(_reason, side.reasons)), tuple(side.missing))


def round_verdict(v: VerdictChanged) -> RoundVerdict:
    """The part of a published verdict revision the candidacy projection keeps."""
    signals = tuple(RoundSignal(s.code, tuple(s.evidence)) for s in v.signals if s.code in ROUND_SIGNALS)
    return RoundVerdict(
        v.candidacy_id, v.revision, v.policy_version, v.final, v.mutual, _side(v.company), _side(v.candidate),
        signals,
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class RoundInput:
    """An interview verdict revision of one round of a candidacy, as published on ``decision.events``.

    ``round`` comes from the interview's ``interview.opened`` and ``outcome`` from its
    ``interview.concluded`` (None while the interview is open): both are facts of the interview's history
    at the revision's ``input_sequence``, so the audit can find them again. ``chain_hash`` is the
    revision's hash as stored on ``decision.events``.
    """

    interview_id: str
    round: str
    outcome: Outcome | None
    event_id: str
    chain_hash: str
    time: datetime
    correlationid: str
    verdict: RoundVerdict

    @property
    def candidacy_id(self) -> str:
        """The candidacy the round belongs to."""
        return self.verdict.candidacy_id

    @property
    def revision(self) -> int:
        """The interview verdict revision."""
        return self.verdict.revision
