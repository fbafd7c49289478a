"""Policy v1 interview-quality signals (docs/design.md section 1), each with the events that triggered it."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

from schemas.common import QuestionKind, Side
from schemas.decision import Signal
from services.decision.domain.policy.v1.config import ThresholdsV1
from services.decision.domain.projection import Projection, QuestionFact

Rule = Callable[[Projection, ThresholdsV1], Signal | None]


def _signal(code: str, message: str, evidence: tuple[str, ...]) -> Signal:
    # Built from validated facts by this policy: constructed, not validated again (ADR 0017).
    return Signal.built(code=code, message=message, evidence=evidence)


def _company(p: Projection, *kinds: QuestionKind) -> list[QuestionFact]:
    return [q for q in p.questions if q.asker_side is Side.COMPANY and (not kinds or q.kind in kinds)]


def story_not_invited(p: Projection, t: ThresholdsV1) -> Signal | None:
    """The company asked a scripted or challenge question before any story was told."""
    early = [q for q in _company(p, QuestionKind.SCRIPTED, QuestionKind.CHALLENGE) if q.stories_before == 0]
    if not early:
        return None
    message = f"company asked {len(early)} scripted/challenge question(s) before any story was told"
    return _signal(code="story_not_invited", message=message, evidence=tuple(q.event_id for q in early))


def checklist_interview(p: Projection, t: ThresholdsV1) -> Signal | None:
    """At least ``checklist_share`` of the company's questions (and enough of them) are scripted."""
    asked, scripted = _company(p), _company(p, QuestionKind.SCRIPTED)
    if len(asked) < t.checklist_min_questions or len(scripted) / len(asked) < t.checklist_share:
        return None
    message = f"{len(scripted)} of the company's {len(asked)} questions were scripted"
    return _signal(code="checklist_interview", message=message, evidence=tuple(q.event_id for q in scripted))


def shallow_exploration(p: Projection, t: ThresholdsV1) -> Signal | None:
    """At conclusion, stories got fewer than ``shallow_min_clarifying`` clarifying questions on average."""
    if p.concluded is None or not p.stories:
        return None
    depth = {s.story_id: 0 for s in p.stories}
    for q in p.questions:
        if q.kind is QuestionKind.CLARIFYING and q.story in depth:
            depth[q.story] += 1
    average = sum(depth.values()) / len(depth)
    if average >= t.shallow_min_clarifying:
        return None
    shallow = tuple(s.event_id for s in p.stories if depth[s.story_id] < t.shallow_min_clarifying)
    message = f"stories got {average:.2f} clarifying questions on average"
    return _signal(code="shallow_exploration", message=message, evidence=shallow)


def adversarial_interview(p: Projection, t: ThresholdsV1) -> Signal | None:
    """Enough challenge questions, or challenges outnumber clarifying questions."""
    challenges = _company(p, QuestionKind.CHALLENGE)
    clarifying = _company(p, QuestionKind.CLARIFYING)
    if len(challenges) < t.adversarial_min_challenges and len(challenges) <= len(clarifying):
        return None
    message = f"{len(challenges)} challenge vs {len(clarifying)} clarifying question(s) from the company"
    return _signal(
        code="adversarial_interview", message=message, evidence=tuple(q.event_id for q in challenges)
    )


def no_story(p: Projection, t: ThresholdsV1) -> Signal | None:
    """Concluded and no story was told."""
    if p.concluded is None or p.stories:
        return None
    return _signal(
        code="no_story", message="the interview concluded with no story told", evidence=(p.concluded,)
    )


def no_candidate_questions(p: Projection, t: ThresholdsV1) -> Signal | None:
    """Concluded and the candidate asked nothing about the company or the role."""
    kinds = (QuestionKind.ABOUT_COMPANY, QuestionKind.ABOUT_ROLE)
    asked = [q for q in p.questions if q.asker_side is Side.CANDIDATE and q.kind in kinds]
    if p.concluded is None or asked:
        return None
    message = "the candidate asked nothing about the company or the role"
    return _signal(code="no_candidate_questions", message=message, evidence=(p.concluded,))


def one_sided_assessment(p: Projection, t: ThresholdsV1) -> Signal | None:
    """Concluded and one side assessed none of the goals."""
    if p.concluded is None:
        return None
    silent = [side for side in (Side.COMPANY, Side.CANDIDATE) if all(a.side != side for a in p.assessments)]
    if not silent:
        return None
    message = " and ".join(s.value for s in silent) + " assessed none of the goals"
    evidence = (*(a.event_id for a in p.assessments), p.concluded)
    return _signal(code="one_sided_assessment", message=message, evidence=evidence)


RULES: tuple[Rule, ...] = (
    story_not_invited,
    checklist_interview,
    shallow_exploration,
    adversarial_interview,
    no_story,
    no_candidate_questions,
    one_sided_assessment,
)
"""All v1 signals in their reporting order."""


def signals(p: Projection, t: ThresholdsV1) -> tuple[Signal, ...]:
    """Every v1 signal whose condition holds now (what ``RULES`` give, in their order).

    Incremental: the three rules that read only the questions are remembered by the identity of the
    questions tuple (an event that asks no question leaves it the same object); the four others hold
    only once the interview concluded, so before that they cost a comparison.
    """
    story_not_invited_, checklist, adversarial = _question_signals(p, t)
    if p.concluded is None:
        found: tuple[Signal | None, ...] = (story_not_invited_, checklist, adversarial)
    else:
        found = (
            story_not_invited_, checklist, shallow_exploration(p, t), adversarial, no_story(p, t),
            no_candidate_questions(p, t), one_sided_assessment(p, t),
        )  # fmt: skip
    return tuple(s for s in found if s is not None)


MEMO_SIZE = 4096
"""Question tuples whose signals are remembered (bounded; most recently used kept)."""

_MEMO: OrderedDict[int, tuple[tuple[QuestionFact, ...], ThresholdsV1, tuple[Signal | None, ...]]] = (
    OrderedDict()
)


def _question_signals(p: Projection, t: ThresholdsV1) -> tuple[Signal | None, ...]:
    questions = p.questions
    entry = _MEMO.get(id(questions))
    if entry is not None and entry[0] is questions and entry[1] is t:  # the entry holds the tuple
        _MEMO.move_to_end(id(questions))
        return entry[2]
    found = (story_not_invited(p, t), checklist_interview(p, t), adversarial_interview(p, t))
    _MEMO[id(questions)] = (questions, t, found)
    if len(_MEMO) > MEMO_SIZE:
        _MEMO.popitem(last=False)
    return found
