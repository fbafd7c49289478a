"""Policy v1 table tests: each side's boundaries, every mutual verdict, split panels, superseding."""

from __future__ import annotations

import pytest

from schemas.common import GoalId, QuestionKind, Rating
from schemas.decision import Decision, Mutual
from services.decision.domain.policy import policy_for
from services.decision.domain.policy.v1 import ThresholdsV1, evaluate
from services.decision.domain.projection import Projection, evolve
from services.decision.domain.verdict import Verdict
from testkit.interviews import CANDIDATE, COMPANY, Script

Y, SY, N, SN = Rating.YES, Rating.STRONG_YES, Rating.NO, Rating.STRONG_NO


def fold(script: Script) -> Projection:
    p = None
    for event in script.events:
        p = evolve(p, event)
    assert p is not None
    return p


def verdict(script: Script, thresholds: ThresholdsV1 | None = None) -> Verdict:
    return evaluate(fold(script), thresholds or ThresholdsV1())


def rated(company: tuple[Rating, ...] | None, candidate: tuple[Rating, ...] | None) -> Script:
    s = Script("iv").opened().story("s1")
    for i, (goal, rating) in enumerate(zip(COMPANY, company or (), strict=False)):
        s.assess(f"c{i}", goal, rating)
    for i, (goal, rating) in enumerate(zip(CANDIDATE, candidate or (), strict=False)):
        s.assess(f"k{i}", goal, rating, by="cand")
    return s


@pytest.mark.parametrize(
    ("ratings", "decision", "score"),
    [
        ((), Decision.UNDECIDED, None),
        ((SY, SY), Decision.UNDECIDED, None),  # one required goal still missing
        ((Y, Y, Y), Decision.PROCEED, 1.0),
        ((SY, SY, N), Decision.DECLINE, 1.0),  # a goal mean at -1 declines whatever the score
        ((SY, Y, SN), Decision.DECLINE, 0.3333),
        ((Y, N, N), Decision.DECLINE, -0.3333),
    ],
)
def test_company_side_boundaries(
    ratings: tuple[Rating, ...], decision: Decision, score: float | None
) -> None:
    v = verdict(rated(ratings, None)).company
    assert (v.decision, v.score) == (decision, score)
    assert v.missing == COMPANY[len(ratings) :]


def test_goal_mean_just_above_minus_one_and_score_exactly_zero_proceed() -> None:
    s = rated((SY, SY, N), None).assess("c9", GoalId.CANDIDATE_PRESENT, Y, by="int2")  # mean 0
    v = verdict(s).company
    assert v.decision is Decision.PROCEED
    s2 = rated((Y, N, Y), None).assess("c9", GoalId.COMPANY_APPLICATION, N, by="int2")  # goal mean -1
    assert verdict(s2).company.decision is Decision.DECLINE
    s3 = rated((SY, N, N), None).assess("c9", GoalId.COMPANY_APPLICATION, Y, by="int2")  # 2, 0, -1
    assert verdict(s3).company.decision is Decision.DECLINE
    s4 = rated((Y, N, SY), None).assess("c9", GoalId.COMPANY_APPLICATION, Y, by="int2")  # score exactly 1
    assert verdict(s4).company.score == 1.0


def test_score_exactly_zero_proceeds_and_below_declines() -> None:
    # means: +1, 0 (split), -1 would decline on the goal; use +1, -0.5, -0.5 -> score 0 exactly
    s = rated((Y, Y, Y), None)
    s.assess("x1", GoalId.COMPANY_APPLICATION, SN, by="int2")  # application: (1 - 2) / 2 = -0.5
    s.assess("x2", GoalId.CANDIDATE_PRESENT, SN, by="int2")  # present: -0.5
    v = verdict(s).company
    assert v.score == 0.0
    assert v.decision is Decision.PROCEED
    assert verdict(s, ThresholdsV1(decline_score_below=0.01)).company.decision is Decision.DECLINE


@pytest.mark.parametrize(
    ("ratings", "decision"),
    [((Y, Y), Decision.UNDECIDED), ((Y, Y, Y), Decision.PROCEED), ((Y, Y, N), Decision.DECLINE)],
)
def test_candidate_side_boundaries(ratings: tuple[Rating, ...], decision: Decision) -> None:
    assert verdict(rated(None, ratings)).candidate.decision is decision


@pytest.mark.parametrize(
    ("company", "candidate", "mutual"),
    [
        ((Y, Y, Y), (Y, Y, Y), Mutual.MUTUAL_FIT),
        ((Y, Y, Y), (N, Y, Y), Mutual.COMPANY_ONLY),
        ((N, Y, Y), (Y, Y, Y), Mutual.CANDIDATE_ONLY),
        ((N, Y, Y), (N, Y, Y), Mutual.NO_FIT),
        ((Y, Y, Y), (Y, Y), Mutual.UNDECIDED),
        ((N, Y), (N, Y, Y), Mutual.UNDECIDED),
        ((), (), Mutual.UNDECIDED),
    ],
)
def test_each_mutual_verdict(
    company: tuple[Rating, ...], candidate: tuple[Rating, ...], mutual: Mutual
) -> None:
    assert verdict(rated(company, candidate)).mutual is mutual


def test_other_sides_assessments_are_perspective_not_counted() -> None:
    s = rated((Y, Y, Y), None).assess("k1", GoalId.COMPANY_LEVEL, SN, by="cand")
    v = verdict(s).company
    assert v.decision is Decision.PROCEED
    assert [r.goal for r in v.perspective] == [GoalId.COMPANY_LEVEL]
    assert v.perspective[0].mean == -2.0
    # company ratings of candidate goals do not make the candidate decide
    c = verdict(rated((Y, Y, Y), None).assess("z", GoalId.CANDIDATE_OFFER, SY)).candidate
    assert c.decision is Decision.UNDECIDED
    assert [r.goal for r in c.perspective] == [GoalId.CANDIDATE_OFFER]


def test_split_panel_agreement_and_mechanical_mean() -> None:
    s = rated((SY, Y, Y), None)
    s.assess("x1", GoalId.COMPANY_LEVEL, N, by="int2")
    v = verdict(s)
    level = v.company.reasons[0]
    assert (level.goal, level.mean, level.agreement, level.split_panel) == (
        GoalId.COMPANY_LEVEL,
        0.5,
        0.5,
        True,
    )
    assert v.agreement.split_panel == (GoalId.COMPANY_LEVEL,)
    assert v.agreement.overall == 0.5
    assert "split panel" in level.text


def test_unanimous_panel_is_not_split() -> None:
    s = rated((SY, Y, Y), None).assess("x1", GoalId.COMPANY_LEVEL, Y, by="int2")
    v = verdict(s)
    assert v.company.reasons[0].split_panel is False
    assert v.agreement == v.agreement.model_copy(update={"overall": 1.0, "split_panel": ()})


def test_later_assessment_by_same_assessor_supersedes() -> None:
    s = rated((N, Y, Y), None)
    assert verdict(s).company.decision is Decision.DECLINE
    s.assess("c0b", GoalId.COMPANY_LEVEL, SY)  # same assessor int1, same goal
    reason = verdict(s).company.reasons[0]
    assert [a.assessment_id for a in reason.assessments] == ["c0b"]
    assert verdict(s).company.decision is Decision.PROCEED


def test_reason_names_assessments_and_evidence_events() -> None:
    s = Script("iv").opened().story("s1").ask("q1", QuestionKind.CLARIFYING)
    s.assess("c1", GoalId.COMPANY_LEVEL, SY, evidence=("s1", "q1", "nope"))
    ref = verdict(s).company.reasons[0].assessments[0]
    assert ref.event_id == s.events[-1].attributes.id
    assert ref.evidence == ("s1", "q1", "nope")
    assert ref.evidence_events == (s.events[1].attributes.id, s.events[2].attributes.id)
    assert ref.points == 2


def test_policy_registry_and_thresholds_as_configuration() -> None:
    p = fold(rated((Y, Y, N), None))
    assert policy_for("v1").evaluate(p).company.decision is Decision.DECLINE
    lenient = policy_for("v1", ThresholdsV1(decline_goal_mean=-2.0, decline_score_below=-5))
    assert lenient.evaluate(p).company.decision is Decision.PROCEED
    with pytest.raises(KeyError):
        policy_for("v9")
