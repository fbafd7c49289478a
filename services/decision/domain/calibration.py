"""Interviewer calibration: each interviewer's ratings against the rest of the panel on the same interviews.

A pure read model over the final verdicts (``decision.verdict_changed`` with ``final``): a final revision
carries every assessment still in force (a superseded one is replaced by the later one), each with its
assessor and points, and the company's final decision. Calibration informs people; it never changes a
verdict. The rules are ``CalibrationRules`` (docs/design.md section 7, ADR 0013):

- ratings are points: strong_no -2, no -1, yes +1, strong_yes +2 (``schemas.common.RATING_POINTS``);
- only company-side assessors (interviewers) are calibrated; the panel of an interview and goal is the
  other company-side assessors of that goal in that interview;
- per interviewer and goal, on each *shared* interview (the goal also rated by someone else there),
  ``d = own points - mean of the others' points``; the offset is the mean of ``d``, with its standard
  error (sample standard deviation / sqrt(n)) and a 95 % Student-t interval;
- agreement: on interviews whose company decision is proceed or decline, the share where the sign of
  the interviewer's rating (per goal) or of their mean rating (overall) matches it;
- flag: at least ``min_shared_interviews`` shared interviews, ``|offset| >= min_offset`` and the
  interval excluding zero. Thin data is never flagged.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from schemas.common import RATING_POINTS, GoalId
from schemas.decision import Decision, VerdictChanged

_T975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262,
         10: 2.228, 11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145, 15: 2.131, 16: 2.120, 17: 2.110,
         18: 2.101, 19: 2.093, 20: 2.086, 21: 2.080, 22: 2.074, 23: 2.069, 24: 2.064, 25: 2.060,
         26: 2.056, 27: 2.052, 28: 2.048, 29: 2.045, 30: 2.042, 40: 2.021, 60: 2.000, 120: 1.980}  # fmt: skip
"""Two-sided 95 % quantiles of Student's t by degrees of freedom (between keys: the next lower key)."""


def t_quantile(df: int) -> float:
    """The 97.5 % quantile of Student's t with ``df`` degrees of freedom (conservative between keys)."""
    if df < 1:
        return math.inf
    return _T975[max(k for k in _T975 if k <= df)] if df <= 120 else 1.960


class Model(BaseModel):
    """Immutable report model."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class CalibrationRules(Model):
    """When an offset is shown as a flag."""

    min_shared_interviews: int = Field(8, ge=2, description="Shared interviews needed before a flag.")
    min_offset: float = Field(0.75, gt=0, description="Smallest |offset| (rating points) that is flagged.")
    scale: dict[str, int] = Field(
        default_factory=lambda: {str(k): v for k, v in RATING_POINTS.items()},
        description="Points of each rating.",
    )


class GoalCalibration(Model):
    """One interviewer on one goal."""

    goal: GoalId
    assessments: int = Field(description="The interviewer's assessments of the goal in force.")
    shared_interviews: int = Field(description="Interviews where someone else also rated the goal.")
    panel_assessments: int = Field(description="The others' assessments on those interviews.")
    mean_rating: float = Field(description="Mean of the interviewer's points.")
    panel_mean: float | None = Field(description="Mean over shared interviews of the others' mean.")
    offset: float | None = Field(description="Mean of (own - others' mean) on shared interviews.")
    standard_error: float | None = Field(
        description="Sample standard deviation of the differences / sqrt(n)."
    )
    interval: tuple[float, float] | None = Field(description="95 % Student-t interval of the offset.")
    decided: int = Field(description="Interviews with a final company decision proceed or decline.")
    agreed: int = Field(description="Of those, how many the rating's sign matches.")
    agreement_rate: float | None = Field(description="agreed / decided.")
    flagged: bool = Field(description="Offset large and well supported (see the rules).")
    note: str = Field(description="Why it is or is not flagged.")


class InterviewerCalibration(Model):
    """One interviewer across goals."""

    interviewer: str
    interviews: int = Field(description="Final interviews the interviewer assessed in.")
    assessments: int
    decided: int
    agreed: int
    agreement_rate: float | None = Field(description="Sign of their mean rating vs the company decision.")
    flagged: bool = Field(description="Any goal flagged.")
    goals: tuple[GoalCalibration, ...]


class CalibrationReport(Model):
    """Calibration of every interviewer over the final verdicts seen."""

    rules: CalibrationRules
    interviews: int = Field(description="Final verdicts read.")
    interviewers: tuple[InterviewerCalibration, ...]
    flagged: tuple[str, ...] = Field(description="Interviewers with at least one flagged goal.")


@dataclass(frozen=True)
class Rated:
    """One assessment in force by a company-side assessor."""

    assessor: str
    goal: GoalId
    points: int


@dataclass(frozen=True)
class InterviewRatings:
    """What calibration needs of one concluded interview."""

    interview_id: str
    decision: Decision
    ratings: tuple[Rated, ...]


def ratings_of(verdict: VerdictChanged) -> InterviewRatings | None:
    """The company side's assessments in force and the company decision of a final revision."""
    if not verdict.final:
        return None
    reasons = (*verdict.company.reasons, *verdict.candidate.perspective)  # both: assessed by the company
    rated = tuple(Rated(a.assessor, r.goal, a.points) for r in reasons for a in r.assessments)
    return InterviewRatings(verdict.interview_id, verdict.company.decision, rated)


def _r(x: float) -> float:
    return round(x, 4)


def _agrees(points: float, decision: Decision) -> bool | None:
    if decision is Decision.UNDECIDED or points == 0:
        return None
    return (points > 0) == (decision is Decision.PROCEED)


def _goal(
    who: str, goal: GoalId, interviews: list[InterviewRatings], rules: CalibrationRules
) -> GoalCalibration | None:
    own: list[int] = []
    diffs: list[float] = []
    panel_means: list[float] = []
    panel = decided = agreed = 0
    for iv in interviews:
        mine = [r.points for r in iv.ratings if r.goal == goal and r.assessor == who]
        if not mine:
            continue
        others = [r.points for r in iv.ratings if r.goal == goal and r.assessor != who]
        own.extend(mine)
        mean_mine = sum(mine) / len(mine)
        if (agree := _agrees(mean_mine, iv.decision)) is not None:
            decided, agreed = decided + 1, agreed + agree
        if others:
            others_mean = sum(others) / len(others)
            panel += len(others)
            panel_means.append(others_mean)
            diffs.append(mean_mine - others_mean)
    if not own:
        return None
    n = len(diffs)
    offset = statistics.fmean(diffs) if diffs else None
    se = statistics.stdev(diffs) / math.sqrt(n) if n >= 2 else None
    interval = None
    if offset is not None and se is not None:
        half = t_quantile(n - 1) * se
        interval = (_r(offset - half), _r(offset + half))
    flagged, note = _verdict(n, offset, interval, rules)
    return GoalCalibration(
        goal=goal, assessments=len(own), shared_interviews=n, panel_assessments=panel,
        mean_rating=_r(statistics.fmean(own)),
        panel_mean=_r(statistics.fmean(panel_means)) if panel_means else None,
        offset=None if offset is None else _r(offset), standard_error=None if se is None else _r(se),
        interval=interval, decided=decided, agreed=agreed,
        agreement_rate=_r(agreed / decided) if decided else None, flagged=flagged, note=note,
    )  # fmt: skip


def _verdict(
    n: int, offset: float | None, interval: tuple[float, float] | None, rules: CalibrationRules
) -> tuple[bool, str]:
    if n < rules.min_shared_interviews or offset is None or interval is None:
        return False, f"thin data: {n} shared interviews (a flag needs {rules.min_shared_interviews})"
    if abs(offset) < rules.min_offset:
        return False, f"offset {offset:+.2f} within ±{rules.min_offset:.2f}"
    if interval[0] <= 0 <= interval[1]:
        return False, f"95 % interval {interval[0]:+.2f}..{interval[1]:+.2f} includes 0"
    direction = "lower" if offset < 0 else "higher"
    return True, (
        f"rates {abs(offset):.2f} points {direction} than the panel on {n} shared interviews "
        f"(95 % interval {interval[0]:+.2f}..{interval[1]:+.2f})"
    )


def calibrate(
    interviews: Iterable[InterviewRatings], rules: CalibrationRules | None = None
) -> CalibrationReport:
    """The calibration report over these concluded interviews (one entry per interview id, last wins)."""
    rules = rules or CalibrationRules()
    latest = {iv.interview_id: iv for iv in interviews}
    chosen = [latest[k] for k in sorted(latest)]
    by_assessor: dict[str, list[InterviewRatings]] = defaultdict(list)
    for iv in chosen:
        for who in sorted({r.assessor for r in iv.ratings}):
            by_assessor[who].append(iv)
    out = []
    for who in sorted(by_assessor):
        mine = by_assessor[who]
        goals = tuple(g for goal in GoalId if (g := _goal(who, goal, mine, rules)) is not None)
        decided = agreed = 0
        for iv in mine:
            points = [r.points for r in iv.ratings if r.assessor == who]
            if (agree := _agrees(sum(points) / len(points), iv.decision)) is not None:
                decided, agreed = decided + 1, agreed + agree
        out.append(InterviewerCalibration(
            interviewer=who, interviews=len(mine), assessments=sum(g.assessments for g in goals),
            decided=decided, agreed=agreed, agreement_rate=_r(agreed / decided) if decided else None,
            flagged=any(g.flagged for g in goals), goals=goals,
        ))  # fmt: skip
    flagged = tuple(c.interviewer for c in out if c.flagged)
    return CalibrationReport(rules=rules, interviews=len(chosen), interviewers=tuple(out), flagged=flagged)


def calibrate_verdicts(
    verdicts: Iterable[VerdictChanged], rules: CalibrationRules | None = None
) -> CalibrationReport:
    """``calibrate`` over revisions: only final ones count, the latest per interview."""
    return calibrate(filter(None, map(ratings_of, verdicts)), rules)
