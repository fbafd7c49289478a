"""Thresholds of policy v2: v1's numbers and what makes a side's verdict trusted (fixed once published)."""

from __future__ import annotations

from dataclasses import dataclass

from services.decision.domain.policy.v1.config import ThresholdsV1


@dataclass(frozen=True)
class ThresholdsV2(ThresholdsV1):
    """Every number policy v2 compares against: v1's (decisions, signals) and confidence's own."""

    min_assessors: int = 2
    """The company's verdict is trusted fully only with at least this many company assessors."""
    unsure_share: float = 0.5
    """Assessors unsure: at least this share of the counted assessments stated confidence ``low``."""


THRESHOLDS_V2 = ThresholdsV2()
"""The published configuration of v2."""
