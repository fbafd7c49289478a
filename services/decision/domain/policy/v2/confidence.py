"""Policy v2: how far each side's verdict can be trusted, from how informative the interview was.

The seed's method says what makes an interview informative: a story told and explored with clarifying
questions, the company running neither a checklist nor a fight, the candidate asking about the company,
enough assessors who agree, and assessors sure of their own ratings. Each is a ``ConfidenceReason``:
``supports``/``neutral`` change nothing, each ``lowers`` takes one step down from high, ``forces_low``
(no story: nothing the company saw came from the candidate's experience) makes it low outright.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from schemas.common import Confidence, GoalId, QuestionKind, Side
from schemas.decision import ConfidenceLevel, ConfidenceReason, SideConfidence, SideVerdict, Signal
from services.decision.domain.policy.v2.config import ThresholdsV2
from services.decision.domain.projection import AssessmentFact, Projection

Effect = Literal["supports", "neutral", "lowers", "forces_low"]
CONDUCT = ("story_not_invited", "checklist_interview", "adversarial_interview")
"""v1's signals of the company's own mistakes: each lowers the company verdict's confidence."""
_STEPS = (ConfidenceLevel.HIGH, ConfidenceLevel.MEDIUM, ConfidenceLevel.LOW)


def _reason(code: str, effect: Effect, text: str, evidence: Sequence[str] = ()) -> ConfidenceReason:
    # Built from validated facts by this policy: constructed, not validated again (ADR 0017).
    return ConfidenceReason.built(code=code, effect=effect, text=text, evidence=tuple(evidence))


def level(reasons: Sequence[ConfidenceReason]) -> ConfidenceLevel:
    """Low if any reason forces it; else one step down from high per reason that lowers (floor: low)."""
    if any(r.effect == "forces_low" for r in reasons):
        return ConfidenceLevel.LOW
    return _STEPS[min(sum(r.effect == "lowers" for r in reasons), len(_STEPS) - 1)]


def _confidence(reasons: tuple[ConfidenceReason, ...]) -> SideConfidence:
    return SideConfidence.built(level=level(reasons), reasons=reasons)


def story(p: Projection, t: ThresholdsV2) -> ConfidenceReason:
    """A story told and explored with clarifying questions supports; shallow lowers; none forces low."""
    if not p.stories:
        asked = [q.event_id for q in p.questions if q.asker_side is Side.COMPANY]
        text = "no story was told: nothing the company saw came from the candidate's own experience"
        return _reason("no_story", "forces_low", text, asked)
    depth = {s.story_id: 0 for s in p.stories}
    clarifying = [q for q in p.questions if q.kind is QuestionKind.CLARIFYING and q.story in depth]
    for q in clarifying:
        depth[q.story] += 1  # type: ignore[index]  # q.story is in depth (filtered above)
    average = sum(depth.values()) / len(depth)
    evidence = [*(s.event_id for s in p.stories), *(q.event_id for q in clarifying)]
    told = f"{len(p.stories)} stor{'y' if len(p.stories) == 1 else 'ies'} told"
    if average >= t.shallow_min_clarifying:
        return _reason("story_explored", "supports", f"{told}, explored by {average:.2f} clarifying "
                       "questions on average",
                       evidence)  # fmt: skip
    text = f"{told} but explored by only {average:.2f} clarifying questions on average"
    return _reason("story_shallow", "lowers", text, evidence)


def conduct(signals: Sequence[Signal]) -> tuple[ConfidenceReason, ...]:
    """The company's mistakes (v1's signals): story not invited, checklist, fight; each lowers."""
    found = [s for s in signals if s.code in CONDUCT]
    if not found:
        text = "no scripted or challenge question before a story, neither a checklist nor a fight"
        return (_reason("no_checklist_or_fight", "supports", text),)
    return tuple(_reason(s.code, "lowers", s.message, s.evidence) for s in found)


def _counted(p: Projection, side: Side, verdict: SideVerdict) -> list[AssessmentFact]:
    goals: set[GoalId] = {r.goal for r in verdict.reasons}
    return [a for a in p.assessments if a.side is side and a.goal in goals]


def assessors(counted: Sequence[AssessmentFact], t: ThresholdsV2) -> ConfidenceReason:
    """Enough distinct company assessors supports; fewer than ``min_assessors`` lowers."""
    who = {a.assessor for a in counted}  # counted, never named: the candidate reads these texts
    evidence = [a.event_id for a in counted]
    if len(who) >= t.min_assessors:
        return _reason("assessors", "supports", f"{len(who)} company assessors", evidence)
    text = f"{len(who)} company assessor{'' if len(who) == 1 else 's'}: too few to check one against another"
    return _reason("few_assessors", "lowers", text, evidence)


def agreement(verdict: SideVerdict) -> ConfidenceReason:
    """A split panel on a counted goal lowers; agreement where 2+ assessed supports; else neutral."""
    split = [r for r in verdict.reasons if r.split_panel]
    if split:
        goals = ", ".join(r.goal.value for r in split)
        evidence = [a.event_id for r in split for a in r.assessments]
        return _reason("split_panel", "lowers", f"the assessors split on {goals}", evidence)
    shared = [r for r in verdict.reasons if len(r.assessments) > 1]
    if shared:
        goals = ", ".join(r.goal.value for r in shared)
        return _reason("panel_agrees", "supports", f"the assessors agreed on {goals}",
                       [a.event_id for r in shared for a in r.assessments])  # fmt: skip
    return _reason("agreement_unknown", "neutral", "no counted goal was assessed by more than one assessor")


def stated(counted: Sequence[AssessmentFact], t: ThresholdsV2) -> ConfidenceReason:
    """The assessors' own confidence (goal_assessed.v2+): mostly ``low`` lowers; not stated is neutral."""
    known = [a for a in counted if a.confidence is not None]
    if not known:
        return _reason("confidence_not_stated", "neutral", "no counted assessment states its confidence")
    unsure = [a for a in known if a.confidence is Confidence.LOW]
    text = f"{len(unsure)} of {len(known)} counted assessments stating a confidence say low"
    if len(unsure) / len(known) >= t.unsure_share:
        return _reason("assessors_unsure", "lowers", text, [a.event_id for a in unsure])
    return _reason("assessors_sure", "supports", text, [a.event_id for a in known])


def candidate_asked(p: Projection) -> ConfidenceReason:
    """The candidate asking about the company or the role supports their verdict; asking nothing lowers it."""
    kinds = (QuestionKind.ABOUT_COMPANY, QuestionKind.ABOUT_ROLE)
    asked = [q.event_id for q in p.questions if q.asker_side is Side.CANDIDATE and q.kind in kinds]
    if asked:
        return _reason("candidate_asked", "supports", f"the candidate asked {len(asked)} question(s) about "
                       "the company or the role", asked)  # fmt: skip
    text = "the candidate asked nothing about the company or the role"
    return _reason("no_candidate_questions", "lowers", text)


def company_confidence(
    p: Projection, verdict: SideVerdict, signals: Sequence[Signal], t: ThresholdsV2
) -> SideConfidence:
    """The company verdict's confidence: story, conduct, assessors, agreement, stated confidence."""
    counted = _counted(p, Side.COMPANY, verdict)
    return _confidence(
        (story(p, t), *conduct(signals), assessors(counted, t), agreement(verdict), stated(counted, t))
    )


def candidate_confidence(p: Projection, verdict: SideVerdict, t: ThresholdsV2) -> SideConfidence:
    """The candidate verdict's confidence: their questions about the company, agreement, stated confidence."""
    counted = _counted(p, Side.CANDIDATE, verdict)
    agreed = agreement(verdict)  # one candidate mostly: their agreement matters only when others assessed
    shown = (agreed,) if agreed.effect != "neutral" else ()
    return _confidence((candidate_asked(p), *shown, stated(counted, t)))
