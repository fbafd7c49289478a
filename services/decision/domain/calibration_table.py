"""Calibration's ratings as arrays, and the descriptive figures shown beside each severity (agreement).

One row per interview, goal and interviewer (an interviewer's repeated ratings of one item are averaged),
so the rater-effects fit and the panel figures are computed with array operations: the report stays
cheap at tens of thousands of interviews (docs/benchmarks.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from schemas.common import GoalId
from schemas.decision import Decision
from services.decision.domain.rater_effects import Floats, Ints

GOALS = tuple(GoalId)
_SIGN = {Decision.PROCEED: 1.0, Decision.DECLINE: -1.0}


@dataclass(frozen=True, slots=True)  # slots: the read model holds hundreds of thousands
class Rated:
    """One assessment in force by a company-side assessor."""

    assessor: str
    goal: GoalId
    points: float


@dataclass(frozen=True, slots=True)
class InterviewRatings:
    """What calibration needs of one concluded interview."""

    interview_id: str
    decision: Decision
    ratings: tuple[Rated, ...]


@dataclass(frozen=True)
class RatingTable:
    """Every company-side rating in force, by index: ``names[rater]``, ``GOALS[goal]``."""

    names: tuple[str, ...]
    interview: Ints
    goal: Ints
    rater: Ints
    points: Floats
    repeats: Ints  # how many ratings each row averages
    decision: Floats  # per interview: +1 proceed, -1 decline, 0 undecided

    @property
    def item(self) -> Ints:
        """One goal of one interview."""
        return self.interview * len(GOALS) + self.goal


def table(interviews: Sequence[InterviewRatings]) -> RatingTable:
    """The arrays of these interviews (index = position), repeated ratings of an item averaged."""
    names = tuple(sorted({r.assessor for iv in interviews for r in iv.ratings}))
    number = {who: k for k, who in enumerate(names)}
    goal_number = {g: k for k, g in enumerate(GOALS)}
    flat = [
        (n, goal_number[r.goal], number[r.assessor], r.points)
        for n, iv in enumerate(interviews)
        for r in iv.ratings
    ]
    raw = np.array(flat, dtype=np.float64).reshape(-1, 4)
    g_n, r_n = len(GOALS), max(len(names), 1)
    key = (raw[:, 0].astype(np.int64) * g_n + raw[:, 1].astype(np.int64)) * r_n + raw[:, 2].astype(np.int64)
    keys, inverse = np.unique(key, return_inverse=True)
    repeats = np.bincount(inverse).astype(np.int64)
    points = np.bincount(inverse, raw[:, 3]) / np.maximum(repeats, 1)
    decision = np.array([_SIGN.get(iv.decision, 0.0) for iv in interviews], dtype=np.float64)
    return RatingTable(names, keys // r_n // g_n, keys // r_n % g_n, keys % r_n, points, repeats, decision)


@dataclass(frozen=True)
class Figures:
    """Descriptive figures per index (rater, or rater * len(GOALS) + goal)."""

    assessments: Ints
    interviews: Ints
    mean_rating: Floats
    panel_assessments: Ints
    panel_mean: Floats  # NaN without a shared interview
    decided: Ints
    agreed: Ints


def _agreement(index: Ints, mean_points: Floats, decision: Floats, size: int) -> tuple[Ints, Ints]:
    decided = (decision != 0) & (mean_points != 0)
    agreed = decided & (np.sign(mean_points) == decision)
    return (np.bincount(index, decided, minlength=size).astype(np.int64),
            np.bincount(index, agreed, minlength=size).astype(np.int64))  # fmt: skip


def per_goal(t: RatingTable) -> Figures:
    """Per interviewer and goal: counts, means, the panel's mean on shared items, agreement."""
    size = len(t.names) * len(GOALS)
    index = t.rater * len(GOALS) + t.goal
    item = t.item
    _, inverse = np.unique(item, return_inverse=True)
    n = np.bincount(inverse)[inverse]
    others = np.where(n > 1, (np.bincount(inverse, t.points)[inverse] - t.points) / np.maximum(n - 1, 1), 0.0)
    shared = (n > 1).astype(np.float64)
    assessments = np.bincount(index, t.repeats, minlength=size).astype(np.int64)
    shared_count = np.bincount(index, shared, minlength=size)
    decided, agreed = _agreement(index, t.points, t.decision[t.interview], size)
    with np.errstate(invalid="ignore", divide="ignore"):
        return Figures(
            assessments, np.bincount(index, minlength=size).astype(np.int64),
            np.bincount(index, t.points * t.repeats, minlength=size) / np.maximum(assessments, 1),
            np.bincount(index, shared * (n - 1), minlength=size).astype(np.int64),
            np.bincount(index, shared * others, minlength=size) / shared_count, decided, agreed,
        )  # fmt: skip


def per_interviewer(t: RatingTable) -> Figures:
    """Per interviewer: interviews, assessments, agreement of the sign of their mean rating per interview."""
    size = len(t.names)
    key = t.interview * max(size, 1) + t.rater
    keys, inverse = np.unique(key, return_inverse=True)
    mean = np.bincount(inverse, t.points * t.repeats) / np.bincount(inverse, t.repeats)
    rater = keys % max(size, 1)
    decided, agreed = _agreement(rater, mean, t.decision[keys // max(size, 1)], size)
    nothing: npt.NDArray[np.float64] = np.full(size, np.nan)
    assessments = np.bincount(t.rater, t.repeats, minlength=size).astype(np.int64)
    interviews = np.bincount(rater, minlength=size).astype(np.int64)
    return Figures(assessments, interviews, nothing, np.zeros(size, np.int64), nothing, decided, agreed)
