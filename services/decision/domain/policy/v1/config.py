"""Thresholds of policy v1: configuration of the version, fixed once published."""

from __future__ import annotations

from dataclasses import dataclass

from schemas.common import GoalId


@dataclass(frozen=True)
class ThresholdsV1:
    """Every number policy v1 compares against (docs/design.md sections 1 and 3)."""

    decline_goal_mean: float = -1.0
    """Decline when any required goal's mean is at or below this."""
    decline_score_below: float = 0.0
    """Decline when the mean of the required goals' means is below this."""
    checklist_share: float = 0.6
    """checklist_interview: share of the company's questions that are scripted."""
    checklist_min_questions: int = 5
    """checklist_interview: only with at least this many company questions."""
    shallow_min_clarifying: float = 2.0
    """shallow_exploration: fewer clarifying questions per story than this, on average."""
    adversarial_min_challenges: int = 2
    """adversarial_interview: at least this many challenge questions."""


THRESHOLDS_V1 = ThresholdsV1()
"""The published configuration of v1."""

COMPANY_GOALS: tuple[GoalId, ...] = (
    GoalId.COMPANY_LEVEL,
    GoalId.COMPANY_APPLICATION,
    GoalId.CANDIDATE_PRESENT,
)
"""The company's verdict rests on these, as assessed by company participants."""

CANDIDATE_GOALS: tuple[GoalId, ...] = (
    GoalId.CANDIDATE_OFFER,
    GoalId.CANDIDATE_OPPORTUNITY,
    GoalId.COMPANY_ATTRACT,
)
"""The candidate's verdict rests on these, as assessed by the candidate."""
