"""Verdict policy v2 (docs/design.md section 3a, ADR 0023): v1's decisions, weighed by confidence.

Each side's verdict carries a confidence (high, medium, low) with its reasons, from how informative the
interview was for that side. A side whose confidence is low does not take its decision: it is reported
``undecided`` with the decision it leans to (``leaning``), and once the interview is concluded the
verdict says another round is needed (``another_round``). An interview in which no story was told never
yields better than a low-confidence company verdict.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from schemas.common import Side
from schemas.decision import ConfidenceLevel, Decision, SideVerdictV2, Signal
from services.decision.domain.policy.v1.config import (
    CANDIDATE_GOALS,
    COMPANY_GOALS,
    THRESHOLDS_V1,
    ThresholdsV1,
)
from services.decision.domain.policy.v1.sides import agreement, mutual, side_verdict
from services.decision.domain.policy.v1.signals import signals
from services.decision.domain.policy.v2.confidence import candidate_confidence, company_confidence
from services.decision.domain.policy.v2.config import THRESHOLDS_V2, ThresholdsV2
from services.decision.domain.projection import Projection
from services.decision.domain.verdict import Verdict

VERSION = "v2"


def _weighed(
    p: Projection, side: Side, found: tuple[Signal, ...], t: ThresholdsV2, t1: ThresholdsV1
) -> SideVerdictV2:
    """v1's side verdict with its confidence; low confidence holds the decision as ``undecided``.

    A function of the stories, questions and assessments only (the conduct signals read the questions),
    and most events leave some of those tuples as they were: remembered by their identities (the entry
    holds the tuples, so an id is never reused), as v1 remembers its side verdicts.
    """
    facts = (p.stories, p.questions, p.assessments)
    key = (id(p.stories), id(p.questions), id(p.assessments), side)
    entry = _MEMO.get(key)
    if entry is not None and entry[1] is t and all(x is y for x, y in zip(entry[0], facts, strict=True)):
        _MEMO.move_to_end(key)
        return entry[2]
    verdict = _weigh(p, side, found, t, t1)
    _MEMO[key] = (facts, t, verdict)
    if len(_MEMO) > MEMO_SIZE:
        _MEMO.popitem(last=False)
    return verdict


MEMO_SIZE = 4096
"""Side verdicts remembered (bounded; most recently used kept)."""

_MEMO: OrderedDict[tuple[int, int, int, Side], tuple[tuple[Any, ...], ThresholdsV2, SideVerdictV2]] = (
    OrderedDict()
)


def _weigh(
    p: Projection, side: Side, found: tuple[Signal, ...], t: ThresholdsV2, t1: ThresholdsV1
) -> SideVerdictV2:
    if side is Side.COMPANY:
        base = side_verdict(p, side, COMPANY_GOALS, t1)
        confidence = company_confidence(p, base, found, t)
    else:
        base = side_verdict(p, side, CANDIDATE_GOALS, t1)
        confidence = candidate_confidence(p, base, t)
    held = confidence.level is ConfidenceLevel.LOW
    return SideVerdictV2.built(
        side=base.side, decision=Decision.UNDECIDED if held else base.decision, score=base.score,
        reasons=base.reasons, missing=base.missing, perspective=base.perspective, leaning=base.decision,
        confidence=confidence,
    )  # fmt: skip


def evaluate(p: Projection, t: ThresholdsV2 = THRESHOLDS_V2) -> Verdict:
    """Company, candidate and mutual verdicts with confidence, signals and agreement for one interview."""
    # v1's parts remember their results by thresholds identity: the published v2 thresholds hold v1's
    # numbers, so they run with v1's object and a v1 and a v2 evaluation of one interview share them.
    t1 = THRESHOLDS_V1 if t is THRESHOLDS_V2 else t
    found = signals(p, t1)
    company, candidate = _weighed(p, Side.COMPANY, found, t, t1), _weighed(p, Side.CANDIDATE, found, t, t1)
    final = p.concluded is not None
    held = any(v.decision is Decision.UNDECIDED and v.leaning is not Decision.UNDECIDED
               for v in (company, candidate))  # fmt: skip
    return Verdict(
        company=company,
        candidate=candidate,
        mutual=mutual(company.decision, candidate.decision),
        signals=found,
        agreement=agreement(company, candidate),
        final=final,
        another_round=final and held,
    )


__all__ = ["THRESHOLDS_V2", "VERSION", "ThresholdsV2", "evaluate"]
