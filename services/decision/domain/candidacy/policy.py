"""Candidacy combination policy ``candidacy-v1`` (docs/design.md section 3b): pure and deterministic.

- A round counts once its interview concluded; a round still open leaves both sides undecided.
- Each required goal (policy v1's goal lists) must be assessed by the side itself in at least one
  concluded round, or the side is undecided and the goal is listed as missing.
- A goal's candidacy mean is the mean of its round means weighted by each round's assessment count.
- A side declines when any goal's candidacy mean is at or below ``decline_goal_mean`` or the mean of its
  goals' means is below ``decline_score_below`` (policy v1's thresholds), and proceeds otherwise.
- A round that alone declines on a goal (its own mean at or below the limit) is named in that goal's
  reason (``declined_in``), whatever the combined mean says.
- A round that ended with the candidate withdrawing ends the candidacy: the candidate side declines,
  status ``withdrawn``; the company withdrawing is the same for the company side. The other side keeps
  its own decision, except that an undecided one is final now: the mutual verdict is then ``no_fit``.
- Signals point at the pipeline's own mistakes across rounds (advisory, never change a decision).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from schemas.common import GoalId, Outcome, Side
from schemas.decision import (
    CandidacyReason,
    CandidacySide,
    CandidacyStatus,
    Decision,
    Mutual,
    RoundGoal,
    RoundRef,
    Signal,
)
from services.decision.domain.candidacy.rounds import RoundInput, RoundSide
from services.decision.domain.policy.v1.config import CANDIDATE_GOALS, COMPANY_GOALS, THRESHOLDS_V1
from services.decision.domain.policy.v1.sides import mutual as combine

VERSION = "candidacy-v1"

WITHDRAWN = {Side.CANDIDATE: Outcome.WITHDRAWN_BY_CANDIDATE, Side.COMPANY: Outcome.WITHDRAWN_BY_COMPANY}


@dataclass(frozen=True)
class CandidacyThresholds:
    """Every number ``candidacy-v1`` compares against (fixed once published)."""

    decline_goal_mean: float = THRESHOLDS_V1.decline_goal_mean
    """A goal whose combined (or one round's) mean is at or below this declines."""
    decline_score_below: float = THRESHOLDS_V1.decline_score_below
    """A side declines when the mean of its goals' combined means is below this."""


THRESHOLDS = CandidacyThresholds()


@dataclass(frozen=True)
class CandidacyVerdict:
    """The policy's answer for a candidacy's rounds (what a revision publishes, minus its bookkeeping)."""

    rounds: tuple[RoundRef, ...]
    status: CandidacyStatus
    company: CandidacySide
    candidate: CandidacySide
    mutual: Mutual
    signals: tuple[Signal, ...]


def round_ref(r: RoundInput) -> RoundRef:
    """What a candidacy revision cites of a round."""
    v = r.verdict
    return RoundRef(
        interview_id=r.interview_id, round=r.round, revision=v.revision, revision_event=r.event_id,
        revision_hash=r.chain_hash, policy_version=v.policy_version, company=v.company.decision,
        candidate=v.candidate.decision, mutual=v.mutual, concluded=v.final, outcome=r.outcome,
    )  # fmt: skip


def _side_of(r: RoundInput, side: Side) -> RoundSide:
    return r.verdict.company if side is Side.COMPANY else r.verdict.candidate


def round_goal(r: RoundInput, side: Side, goal: GoalId, t: CandidacyThresholds) -> RoundGoal | None:
    """One round's part of a goal's reason (None when the round's side did not assess it)."""
    found = next((x for x in _side_of(r, side).reasons if x.goal == goal), None)
    if found is None:
        return None
    return RoundGoal(
        interview_id=r.interview_id, round=r.round, revision=r.revision, mean=found.mean,
        assessments=len(found.assessment_events), declined=found.mean <= t.decline_goal_mean,
        assessment_events=found.assessment_events, evidence_events=found.evidence_events,
    )  # fmt: skip


def goal_reason(
    concluded: Sequence[RoundInput], side: Side, goal: GoalId, t: CandidacyThresholds = THRESHOLDS
) -> CandidacyReason | None:
    """The goal across the concluded rounds: round means weighted by assessment count; None if none."""
    parts = tuple(g for g in (round_goal(r, side, goal, t) for r in concluded) if g is not None)
    if not parts:
        return None
    count = sum(g.assessments for g in parts)
    mean = round(sum(g.mean * g.assessments for g in parts) / count, 4)
    declined = tuple(g.interview_id for g in parts if g.declined)
    cited = ", ".join(
        f"{g.round} ({g.interview_id} r{g.revision}) {g.mean:+.2f}x{g.assessments}" for g in parts
    )
    text = (
        f"{goal.value}: weighted mean {mean:+.2f} from {count} assessment{'s' if count != 1 else ''}: {cited}"
    )
    if declined:
        rounds = ", ".join(g.round for g in parts if g.declined)
        text += f"; declined in {rounds}"
    return CandidacyReason(
        goal=goal, mean=mean, assessments=count, rounds=parts, declined_in=declined, text=text
    )


def _withdrawn_in(rounds: Sequence[RoundInput], side: Side) -> RoundInput | None:
    return next((r for r in rounds if r.outcome is WITHDRAWN[side]), None)


def side_verdict(
    rounds: Sequence[RoundInput], side: Side, goals: Sequence[GoalId], t: CandidacyThresholds = THRESHOLDS
) -> CandidacySide:
    """One side's candidacy decision over its required goals."""
    concluded = [r for r in rounds if r.verdict.final]
    counted = {goal: goal_reason(concluded, side, goal, t) for goal in goals}
    reasons = tuple(r for r in counted.values() if r is not None)
    missing = tuple(goal for goal, r in counted.items() if r is None)
    score = None if missing or not reasons else round(sum(r.mean for r in reasons) / len(reasons), 4)
    open_rounds = [r for r in rounds if not r.verdict.final]
    withdrawn = _withdrawn_in(rounds, side)
    if withdrawn is not None:
        decision, text = Decision.DECLINE, f"withdrew in round {withdrawn.round} ({withdrawn.interview_id})"
    elif open_rounds:
        names = ", ".join(f"{r.round} ({r.interview_id})" for r in open_rounds)
        decision, text = Decision.UNDECIDED, f"round(s) still open: {names}"
    elif not rounds:
        decision, text = Decision.UNDECIDED, "no round yet"
    elif missing:
        decision, text = (
            Decision.UNDECIDED,
            "no concluded round assessed " + ", ".join(g.value for g in missing),
        )
    else:
        assert score is not None
        low = [r for r in reasons if r.mean <= t.decline_goal_mean]
        if low or score < t.decline_score_below:
            why = ", ".join(r.goal.value for r in low) if low else f"score {score:+.2f}"
            decision, text = Decision.DECLINE, f"declines across {len(concluded)} round(s): {why}"
        else:
            decision, text = (
                Decision.PROCEED,
                f"proceeds across {len(concluded)} round(s): score {score:+.2f}",
            )
    return CandidacySide(
        side=side, decision=decision, score=score, reasons=reasons, missing=missing, text=text
    )


def _signal_in_every_round(rounds: Sequence[RoundInput], code: str) -> tuple[str, ...] | None:
    hits = [s for r in rounds for s in r.verdict.signals if s.code == code]
    if len(hits) != len(rounds):
        return None
    return tuple(dict.fromkeys(e for s in hits for e in s.evidence))


def signals(rounds: Sequence[RoundInput]) -> tuple[Signal, ...]:
    """The pipeline's own mistakes, seen only across rounds (concluded rounds only)."""
    concluded = [r for r in rounds if r.verdict.final]
    if not concluded:
        return ()
    out: list[Signal] = []
    for side, goals in ((Side.COMPANY, COMPANY_GOALS), (Side.CANDIDATE, CANDIDATE_GOALS)):
        never = [g for g in goals if all(g in _side_of(r, side).missing for r in concluded)]
        if never:
            out.append(Signal(
                code="goal_never_assessed",
                message=f"no concluded round had the {side.value} assess {', '.join(g.value for g in never)}",
                evidence=tuple(r.event_id for r in concluded),
            ))  # fmt: skip
    checklist = _signal_in_every_round(concluded, "checklist_interview")
    if checklist is not None and len(concluded) > 1:
        message = f"all {len(concluded)} concluded rounds were checklist-style interviews"
        out.append(Signal(code="all_rounds_checklist", message=message, evidence=checklist))
    silent = _signal_in_every_round(concluded, "no_candidate_questions")
    if silent is not None:
        message = f"the candidate asked nothing in any of {len(concluded)} concluded round(s)"
        out.append(Signal(code="candidate_never_asked", message=message, evidence=silent))
    return tuple(out)


def standing(rounds: Sequence[RoundInput], ended: bool, mutual: Mutual) -> tuple[CandidacyStatus, Mutual]:
    """The candidacy's status, and its mutual verdict once a withdrawal made an undecided side final."""
    if ended:
        return CandidacyStatus.WITHDRAWN, Mutual.NO_FIT if mutual is Mutual.UNDECIDED else mutual
    if not rounds or any(not r.verdict.final for r in rounds):
        return CandidacyStatus.OPEN, mutual
    return CandidacyStatus.CONCLUDED, mutual


def evaluate(rounds: Sequence[RoundInput], t: CandidacyThresholds = THRESHOLDS) -> CandidacyVerdict:
    """The candidacy verdict of ``rounds`` (the latest revision of each, in the order first seen)."""
    company = side_verdict(rounds, Side.COMPANY, COMPANY_GOALS, t)
    candidate = side_verdict(rounds, Side.CANDIDATE, CANDIDATE_GOALS, t)
    ended = any(_withdrawn_in(rounds, side) for side in WITHDRAWN)
    status, mutual = standing(rounds, ended, combine(company.decision, candidate.decision))
    return CandidacyVerdict(
        rounds=tuple(round_ref(r) for r in rounds), status=status, company=company, candidate=candidate,
        mutual=mutual, signals=signals(rounds),
    )  # fmt: skip
