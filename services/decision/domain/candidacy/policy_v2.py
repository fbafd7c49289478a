"""Candidacy combination policy ``candidacy-v2`` (docs/design.md section 3b, ADR 0022): pure, deterministic.

``candidacy-v1``'s combination (``policy``), with three rules on top:

- **A declined round is never averaged away.** A round whose own mean on a side's required goal is at
  or below the decline limit *holds* that side unless a round concluded later assessed the goal with a
  mean above ``clear_goal_mean_above``: a held side that would proceed on the
  combination is ``undecided`` instead, its ``holds`` naming each round (``declined_in_round``). A side
  the combination declines stays ``decline`` (its holds listed too).
- **Rounds after a withdrawal do not count.** The candidacy ends with the first round concluded with a
  withdrawal (earliest revision time; order first seen on a tie): only rounds concluded no later than
  it are combined; the others are cited with ``counted: false``.
- **No score beside undecided.** A side's ``score`` is null unless it proceeds or declines, so an open
  candidacy shows none (the goals' means stay in the reasons).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from schemas.common import GoalId, Side
from schemas.decision import (
    CandidacyHold,
    CandidacySideV2,
    Decision,
    RoundRefV2,
)
from services.decision.domain.candidacy import policy as v1
from services.decision.domain.candidacy.policy import CandidacyVerdict
from services.decision.domain.candidacy.rounds import RoundInput
from services.decision.domain.policy.v1.config import CANDIDATE_GOALS, COMPANY_GOALS
from services.decision.domain.policy.v1.sides import mutual as combine

VERSION = "candidacy-v2"


@dataclass(frozen=True)
class CandidacyThresholdsV2(v1.CandidacyThresholds):
    """``candidacy-v1``'s numbers, and what clears a declined round (fixed once published)."""

    clear_goal_mean_above: float = 0.0
    """A later round clears an earlier decline on a goal when its own mean on it is above this."""


THRESHOLDS = CandidacyThresholdsV2()


def ended_by(rounds: Sequence[RoundInput]) -> RoundInput | None:
    """The round whose withdrawal ended the candidacy (the earliest), or None."""
    withdrawn = [r for r in rounds if r.verdict.final and r.outcome in v1.WITHDRAWN.values()]
    return min(withdrawn, key=lambda r: r.time) if withdrawn else None


def counted(rounds: Sequence[RoundInput]) -> tuple[RoundInput, ...]:
    """The rounds combined: all of them, or after a withdrawal those concluded no later than it."""
    end = ended_by(rounds)
    if end is None:
        return tuple(rounds)
    return tuple(r for r in rounds if r is end or (r.verdict.final and r.time <= end.time))


def holds(
    concluded: Sequence[RoundInput], side: Side, goals: Sequence[GoalId], t: CandidacyThresholdsV2
) -> tuple[CandidacyHold, ...]:
    """Rounds that declined on a required goal with no later round clearing it (goal order, then round)."""
    out: list[CandidacyHold] = []
    for goal in goals:
        parts = [(r, g) for r in concluded if (g := v1.round_goal(r, side, goal, t)) is not None]
        for r, g in parts:
            # Later by conclusion time, a fact of both histories: rounds arrive in any order.
            cleared = any(o.mean > t.clear_goal_mean_above for q, o in parts if q.time > r.time)
            if g.declined and not cleared:
                out.append(CandidacyHold(
                    code="declined_in_round", goal=goal, interview_id=r.interview_id, round=r.round,
                    revision=r.revision, mean=g.mean,
                ))  # fmt: skip
    return tuple(out)


def _held_text(held: Sequence[CandidacyHold]) -> str:
    cited = ", ".join(f"{h.goal.value} {h.mean:+.2f} in {h.round} ({h.interview_id})" for h in held)
    return f"held undecided: declined in a round and not cleared by a later one: {cited}"


def side_verdict(
    rounds: Sequence[RoundInput], side: Side, goals: Sequence[GoalId], t: CandidacyThresholdsV2 = THRESHOLDS
) -> CandidacySideV2:
    """One side's ``candidacy-v2`` decision over the counted rounds."""
    base = v1.side_verdict(rounds, side, goals, t)
    held = holds([r for r in rounds if r.verdict.final], side, goals, t)
    decision, text = base.decision, base.text
    if held and decision is Decision.PROCEED:
        decision, text = Decision.UNDECIDED, _held_text(held)
    return CandidacySideV2(
        side=side, decision=decision, score=None if decision is Decision.UNDECIDED else base.score,
        reasons=base.reasons, missing=base.missing, text=text, holds=held,
    )  # fmt: skip


def evaluate(rounds: Sequence[RoundInput], t: CandidacyThresholdsV2 = THRESHOLDS) -> CandidacyVerdict:
    """The ``candidacy-v2`` verdict of ``rounds`` (the latest revision of each, in the order first seen)."""
    used = counted(rounds)
    company = side_verdict(used, Side.COMPANY, COMPANY_GOALS, t)
    candidate = side_verdict(used, Side.CANDIDATE, CANDIDATE_GOALS, t)
    ended = ended_by(rounds) is not None
    status, mutual = v1.standing(rounds, ended, combine(company.decision, candidate.decision))
    refs = tuple(RoundRefV2(**dict(v1.round_ref(r)), counted=any(r is u for u in used)) for r in rounds)
    return CandidacyVerdict(
        rounds=refs, status=status, company=company, candidate=candidate, mutual=mutual,
        signals=v1.signals(used),
    )  # fmt: skip
