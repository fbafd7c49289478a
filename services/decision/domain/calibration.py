"""Interviewer calibration v2: each interviewer's severity from a rater-effects model (ADR 0021, 0013).

A pure read model over the final verdicts (``decision.verdict_changed`` with ``final``): a final revision
carries every assessment still in force (a superseded one is replaced by the later one), each with its
assessor and points, and the company's final decision. Calibration informs people; it never changes a
verdict. The rules are ``CalibrationRules`` (docs/design.md, ADR 0021):

- ratings are points: strong_no -2, no -1, yes +1, strong_yes +2 (``schemas.common.RATING_POINTS``);
- only company-side assessors (interviewers) are calibrated; an *item* is one goal of one interview;
- severity: ``rating = item effect + interviewer effect`` fitted by least squares over every item rated
  by at least two interviewers (``rater_effects``), ridge-shrunk toward the pool by ``shrinkage``,
  reported against the median interviewer, with a cluster-robust standard error and a 95 % Student-t
  interval (df = shared interviews - 1); per goal (one fit per goal) and overall (one fit over all goals);
- agreement: on interviews whose company decision is proceed or decline, the share where the sign of
  the interviewer's rating (per goal) or of their mean rating (overall) matches it;
- flag: at least ``min_shared_interviews`` shared interviews, ``|severity| >= min_offset`` and the
  interval excluding zero, overall or on any goal. Thin data is never flagged.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel, ConfigDict, Field
from threadpoolctl import threadpool_limits

from schemas.common import RATING_POINTS, GoalId
from schemas.decision import VerdictChanged
from services.decision.domain.calibration_table import (
    GOALS,
    Figures,
    RatingTable,
    per_goal,
    per_interviewer,
    table,
)
from services.decision.domain.calibration_table import (
    InterviewRatings as InterviewRatings,  # re-exported: the read model and the audit build these
)
from services.decision.domain.calibration_table import (
    Rated as Rated,
)
from services.decision.domain.rater_effects import RaterEffects, fit

METHOD = "rater-effects/2"
"""The calibration method's name and version, shown in every report."""

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
    """How severity is estimated and when it is shown as a flag."""

    min_shared_interviews: int = Field(8, ge=2, description="Shared interviews needed before a flag.")
    min_offset: float = Field(0.75, gt=0, description="Smallest |severity| (rating points) that is flagged.")
    shrinkage: float = Field(
        1.0, gt=0, description="Ridge weight: pseudo-items on which each interviewer agrees with the pool."
    )
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
    offset: float | None = Field(
        description="Severity on this goal (rater-effects fit, points against the median interviewer; "
        "negative: rates lower)."
    )
    standard_error: float | None = Field(description="Cluster-robust (by interview) standard error.")
    interval: tuple[float, float] | None = Field(description="95 % Student-t interval of the offset.")
    decided: int = Field(description="Interviews with a final company decision proceed or decline.")
    agreed: int = Field(description="Of those, how many the rating's sign matches.")
    agreement_rate: float | None = Field(description="agreed / decided.")
    flagged: bool = Field(description="Severity large and well supported (see the rules).")
    note: str = Field(description="Why it is or is not flagged.")


class InterviewerCalibration(Model):
    """One interviewer across goals."""

    interviewer: str
    interviews: int = Field(description="Final interviews the interviewer assessed in.")
    assessments: int
    decided: int
    agreed: int
    agreement_rate: float | None = Field(description="Sign of their mean rating vs the company decision.")
    flagged: bool = Field(description="Overall severity or any goal flagged.")
    goals: tuple[GoalCalibration, ...]
    shared_interviews: int = Field(0, description="Interviews where someone else rated a goal they rated.")
    severity: float | None = Field(
        None, description="Overall severity over all goals (points against the median interviewer)."
    )
    standard_error: float | None = Field(None, description="Cluster-robust standard error of the severity.")
    interval: tuple[float, float] | None = Field(None, description="95 % Student-t interval of the severity.")
    severity_flagged: bool = Field(False, description="The overall severity alone meets the flag rule.")
    note: str = Field("", description="Why the overall severity is or is not flagged.")


class CalibrationReport(Model):
    """Calibration of every interviewer over the final verdicts seen."""

    method: str = Field(METHOD, description="The calibration method and its version.")
    rules: CalibrationRules
    interviews: int = Field(description="Final verdicts read.")
    interviewers: tuple[InterviewerCalibration, ...]
    flagged: tuple[str, ...] = Field(description="Interviewers flagged overall or on at least one goal.")


def ratings_of(verdict: VerdictChanged) -> InterviewRatings | None:
    """The company side's assessments in force and the company decision of a final revision."""
    if not verdict.final:
        return None
    reasons = (*verdict.company.reasons, *verdict.candidate.perspective)  # both: assessed by the company
    rated = tuple(Rated(a.assessor, r.goal, a.points) for r in reasons for a in r.assessments)
    return InterviewRatings(verdict.interview_id, verdict.company.decision, rated)


def _r(x: float) -> float:
    return round(float(x), 4)


@dataclass(frozen=True)
class Estimate:
    """One severity with what the flag rule needs."""

    shared: int
    severity: float | None
    standard_error: float | None
    interval: tuple[float, float] | None


def estimate(effects: RaterEffects, k: int) -> Estimate:
    """Interviewer ``k``'s severity, rounded, with its 95 % interval (none without shared data)."""
    n = int(effects.shared_interviews[k])
    if n == 0:
        return Estimate(0, None, None, None)
    sev, se = float(effects.severity[k]), float(effects.standard_error[k])
    half = t_quantile(n - 1) * se
    interval = None if math.isinf(half) else (_r(sev - half), _r(sev + half))
    return Estimate(n, _r(sev), _r(se), interval)


def judge(e: Estimate, rules: CalibrationRules) -> tuple[bool, str]:
    """The flag rule: enough shared interviews, a large severity, an interval excluding zero."""
    n, sev, interval = e.shared, e.severity, e.interval
    if n < rules.min_shared_interviews or sev is None or interval is None:
        return False, f"thin data: {n} shared interviews (a flag needs {rules.min_shared_interviews})"
    if abs(sev) < rules.min_offset:
        return False, f"severity {sev:+.2f} within ±{rules.min_offset:.2f}"
    if interval[0] <= 0 <= interval[1]:
        return False, f"95 % interval {interval[0]:+.2f}..{interval[1]:+.2f} includes 0"
    direction = "lower" if sev < 0 else "higher"
    return True, (
        f"rates {abs(sev):.2f} points {direction} than the panel on {n} shared interviews "
        f"(95 % interval {interval[0]:+.2f}..{interval[1]:+.2f})"
    )


def _goal(goal: int, k: int, f: Figures, fitted: RaterEffects, rules: CalibrationRules) -> GoalCalibration:
    i = k * len(GOALS) + goal
    e = estimate(fitted, k)
    flagged, note = judge(e, rules)
    decided, agreed = int(f.decided[i]), int(f.agreed[i])
    return GoalCalibration(
        goal=GOALS[goal], assessments=int(f.assessments[i]), shared_interviews=e.shared,
        panel_assessments=int(f.panel_assessments[i]), mean_rating=_r(f.mean_rating[i]),
        panel_mean=None if np.isnan(f.panel_mean[i]) else _r(f.panel_mean[i]), offset=e.severity,
        standard_error=e.standard_error, interval=e.interval, decided=decided, agreed=agreed,
        agreement_rate=_r(agreed / decided) if decided else None, flagged=flagged, note=note,
    )  # fmt: skip


def _fits(t: RatingTable, rules: CalibrationRules) -> tuple[RaterEffects, dict[int, RaterEffects]]:
    """The overall fit (items: interview x goal) and one fit per goal rated (items: interviews)."""
    raters = len(t.names)
    overall = fit(t.item, t.interview, t.rater, t.points, raters, rules.shrinkage)
    by_goal = {}
    for goal in np.unique(t.goal).tolist():
        m = t.goal == goal
        by_goal[goal] = fit(t.interview[m], t.interview[m], t.rater[m], t.points[m], raters, rules.shrinkage)
    return overall, by_goal


def calibrate(
    interviews: Iterable[InterviewRatings], rules: CalibrationRules | None = None
) -> CalibrationReport:
    """The calibration report over these concluded interviews (one entry per interview id, last wins)."""
    rules = rules or CalibrationRules()
    latest = {iv.interview_id: iv for iv in interviews}
    chosen = [latest[k] for k in sorted(latest)]
    t = table(chosen)
    if not t.names:
        return CalibrationReport(rules=rules, interviews=len(chosen), interviewers=(), flagged=())
    # One BLAS thread: the systems are interviewers x interviewers (hundreds), where a second thread
    # only contends for shared cores (25x slower on a loaded 2-core machine: docs/benchmarks.md).
    with threadpool_limits(limits=1, user_api="blas"):
        overall, by_goal = _fits(t, rules)
    goals, people = per_goal(t), per_interviewer(t)
    out = []
    for k, who in enumerate(t.names):
        mine = tuple(_goal(g, k, goals, by_goal[g], rules) for g in sorted(by_goal) if goals.interviews[
            k * len(GOALS) + g])  # fmt: skip
        e = estimate(overall, k)
        flagged, note = judge(e, rules)
        decided, agreed = int(people.decided[k]), int(people.agreed[k])
        out.append(InterviewerCalibration(
            interviewer=who, interviews=int(people.interviews[k]), assessments=int(people.assessments[k]),
            decided=decided, agreed=agreed, agreement_rate=_r(agreed / decided) if decided else None,
            flagged=flagged or any(g.flagged for g in mine), goals=mine, shared_interviews=e.shared,
            severity=e.severity, standard_error=e.standard_error, interval=e.interval,
            severity_flagged=flagged, note=note,
        ))  # fmt: skip
    flagged_names = tuple(c.interviewer for c in out if c.flagged)
    return CalibrationReport(
        rules=rules, interviews=len(chosen), interviewers=tuple(out), flagged=flagged_names
    )


def calibrate_verdicts(
    verdicts: Iterable[VerdictChanged], rules: CalibrationRules | None = None
) -> CalibrationReport:
    """``calibrate`` over revisions: only final ones count, the latest per interview."""
    return calibrate(filter(None, map(ratings_of, verdicts)), rules)
