"""Verdict policy v1 (docs/design.md section 3): pure, deterministic, thresholds as configuration."""

from __future__ import annotations

from schemas.common import Side
from services.decision.domain.policy.v1.config import (
    CANDIDATE_GOALS,
    COMPANY_GOALS,
    THRESHOLDS_V1,
    ThresholdsV1,
)
from services.decision.domain.policy.v1.sides import agreement, mutual, side_verdict
from services.decision.domain.policy.v1.signals import signals
from services.decision.domain.projection import Projection
from services.decision.domain.verdict import Verdict

VERSION = "v1"


def evaluate(p: Projection, t: ThresholdsV1 = THRESHOLDS_V1) -> Verdict:
    """Company, candidate and mutual verdicts, signals and agreement for one interview."""
    company = side_verdict(p, Side.COMPANY, COMPANY_GOALS, t)
    candidate = side_verdict(p, Side.CANDIDATE, CANDIDATE_GOALS, t)
    return Verdict(
        company=company,
        candidate=candidate,
        mutual=mutual(company.decision, candidate.decision),
        signals=signals(p, t),
        agreement=agreement(company, candidate),
        final=p.concluded is not None,
    )


__all__ = ["THRESHOLDS_V1", "VERSION", "ThresholdsV1", "evaluate"]
