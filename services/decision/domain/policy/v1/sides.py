"""Policy v1: each side's verdict from its goals' assessments, combined mechanically (mean).

Its values are built from validated facts: constructed (``Frozen.built``), not validated again
(ADR 0017); the golden revisions and the JSON Schema tests check what they serialise to.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from schemas.common import RATING_POINTS, GoalId, Side
from schemas.decision import Agreement, AssessmentRef, Decision, Mutual, Reason, SideVerdict
from services.decision.domain.policy.v1.config import ThresholdsV1
from services.decision.domain.projection import AssessmentFact, Projection


def _ref(a: AssessmentFact) -> AssessmentRef:
    return AssessmentRef.built(
        assessment_id=a.assessment_id, event_id=a.event_id, assessor=a.assessor, rating=a.rating,
        points=RATING_POINTS[a.rating], evidence=a.evidence, evidence_events=a.evidence_events,
    )  # fmt: skip


def _text(goal: GoalId, mean: float, n: int, agreement: float, split: bool) -> str:
    text = f"{goal.value}: mean {mean:+.2f} from {n} assessment{'s' if n != 1 else ''}"
    text += f", agreement {agreement:.0%}"
    return text + (", split panel" if split else "")


def reason(p: Projection, goal: GoalId, side: Side) -> Reason | None:
    """The assessments of ``goal`` by ``side`` combined as a mean; None if there are none."""
    return _reason([a for a in p.assessments if a.goal == goal and a.side == side], goal)


def _reason(found: Sequence[AssessmentFact], goal: GoalId) -> Reason | None:
    if not found:
        return None
    points = [RATING_POINTS[a.rating] for a in found]
    positive, negative = sum(x > 0 for x in points), sum(x < 0 for x in points)
    mean = round(sum(points) / len(points), 4)
    agreement = round(max(positive, negative) / len(points), 4)
    split = positive > 0 and negative > 0
    refs = tuple(_ref(a) for a in found)
    return Reason.built(
        goal=goal, mean=mean, assessments=refs, agreement=agreement, split_panel=split,
        text=_text(goal, mean, len(points), agreement, split),
    )  # fmt: skip


def _decide(
    reasons: Sequence[Reason], missing: Sequence[GoalId], t: ThresholdsV1
) -> tuple[Decision, float | None]:
    if missing:
        return Decision.UNDECIDED, None
    means = [r.mean for r in reasons]
    score = round(sum(means) / len(means), 4)
    if any(m <= t.decline_goal_mean for m in means) or score < t.decline_score_below:
        return Decision.DECLINE, score
    return Decision.PROCEED, score


def side_verdict(p: Projection, side: Side, goals: Sequence[GoalId], t: ThresholdsV1) -> SideVerdict:
    """One side's decision on its required goals; the other side's view is kept as perspective."""
    # A function of the assessments in force only, and most events (stories, questions, answers)
    # leave that tuple as it was (the same object): its verdicts are remembered by the tuple's
    # identity (the entry holds the tuple, so an id is never reused) instead of rebuilt.
    assessments, goals = p.assessments, tuple(goals)
    entry = _MEMO.get(id(assessments))
    if entry is None or entry[0] is not assessments or entry[1] is not t:
        entry = (assessments, t, {})
        _MEMO[id(assessments)] = entry
        if len(_MEMO) > MEMO_SIZE:
            _MEMO.popitem(last=False)
    else:
        _MEMO.move_to_end(id(assessments))
    found = entry[2].get((side, goals))
    if found is None:
        found = entry[2][(side, goals)] = _side_verdict(assessments, side, goals, t)
    return found


MEMO_SIZE = 4096
"""Assessment tuples whose side verdicts are remembered (bounded; most recently used kept)."""

_MEMO: OrderedDict[int, tuple[tuple[AssessmentFact, ...], ThresholdsV1, dict[Any, SideVerdict]]] = (
    OrderedDict()
)


def _side_verdict(
    assessments: tuple[AssessmentFact, ...], side: Side, goals: tuple[GoalId, ...], t: ThresholdsV1
) -> SideVerdict:
    other = Side.CANDIDATE if side is Side.COMPANY else Side.COMPANY
    by: dict[tuple[GoalId, Side], list[AssessmentFact]] = {}
    for a in assessments:
        by.setdefault((a.goal, a.side), []).append(a)
    counted = {goal: _reason(by.get((goal, side), ()), goal) for goal in goals}
    reasons = tuple(r for r in counted.values() if r is not None)
    missing = tuple(goal for goal, r in counted.items() if r is None)
    perspective = tuple(r for r in (_reason(by.get((goal, other), ()), goal) for goal in goals) if r)
    decision, score = _decide(reasons, missing, t)
    return SideVerdict.built(
        side=side, decision=decision, score=score, reasons=reasons, missing=missing, perspective=perspective
    )


def mutual(company: Decision, candidate: Decision) -> Mutual:
    """Both proceed: fit; one proceeds, the other declines: one-sided; both decline: no fit."""
    if Decision.UNDECIDED in (company, candidate):
        return Mutual.UNDECIDED
    if company is Decision.PROCEED:
        return Mutual.MUTUAL_FIT if candidate is Decision.PROCEED else Mutual.COMPANY_ONLY
    return Mutual.CANDIDATE_ONLY if candidate is Decision.PROCEED else Mutual.NO_FIT


def agreement(*verdicts: SideVerdict) -> Agreement:
    """Mean agreement over counted goals with 2+ assessors, and the goals with a split panel."""
    reasons = [r for v in verdicts for r in v.reasons]
    rated = [r.agreement for r in reasons if len(r.assessments) > 1]
    overall = round(sum(rated) / len(rated), 4) if rated else None
    return Agreement.built(overall=overall, split_panel=tuple(r.goal for r in reasons if r.split_panel))
