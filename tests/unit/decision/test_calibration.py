"""Interviewer calibration: the offset interviewer of the seeded sample is flagged, and no one else."""

from __future__ import annotations

import pytest

from schemas.common import GoalId
from schemas.decision import Decision
from services.decision.domain.calibration import (
    CalibrationRules,
    InterviewRatings,
    Rated,
    calibrate,
    calibrate_verdicts,
    t_quantile,
)
from services.decision.domain.replay import project
from services.launcher.calibration_sample import OFFSET_INTERVIEWER, calibration_sample
from testkit.calibration import calibration_stream


def _report(interviews: int, **kwargs: object):  # type: ignore[no-untyped-def]
    return calibrate_verdicts(e.data for e in project(calibration_stream(interviews, **kwargs)))


def test_the_sample_flags_exactly_the_offset_interviewer() -> None:
    report = _report(36)
    assert report.interviews == 36
    assert set(report.flagged) == {OFFSET_INTERVIEWER}
    vic = next(c for c in report.interviewers if c.interviewer == OFFSET_INTERVIEWER)
    company = {GoalId.COMPANY_LEVEL, GoalId.COMPANY_APPLICATION, GoalId.CANDIDATE_PRESENT}
    assert {g.goal for g in vic.goals if g.flagged} == company
    for goal in vic.goals:
        assert goal.offset is not None
        assert goal.offset < -1.0
        assert goal.interval is not None
        assert goal.interval[1] < 0
        assert goal.shared_interviews >= CalibrationRules().min_shared_interviews
        assert "lower than the panel" in goal.note
    others = [c for c in report.interviewers if c.interviewer != OFFSET_INTERVIEWER]
    assert all(not g.flagged for c in others for g in c.goals)
    assert all(c.agreement_rate is not None for c in others)
    assert vic.agreement_rate is not None
    assert vic.agreement_rate < min(c.agreement_rate or 1 for c in others)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_other_seeds_flag_only_the_offset_interviewer(seed: int) -> None:
    assert set(_report(36, seed=seed).flagged) == {OFFSET_INTERVIEWER}


def test_an_unbiased_panel_flags_no_one() -> None:
    assert _report(36, offset=0.0).flagged == ()


def test_thin_data_flags_no_one_even_with_a_large_offset() -> None:
    report = _report(8, offset=-3.0)
    assert report.flagged == ()
    vic = next(c for c in report.interviewers if c.interviewer == OFFSET_INTERVIEWER)
    # Visible (shrunk toward the pool on thin data), yet only 5 shared interviews.
    assert all(g.offset is not None and g.offset <= -0.5 for g in vic.goals)
    assert all(g.note.startswith("thin data") for g in vic.goals)
    assert vic.severity is not None
    assert vic.severity < -1
    assert vic.note.startswith("thin data")


def _iv(
    n: int, mine: int, others: tuple[int, ...], decision: Decision = Decision.PROCEED
) -> InterviewRatings:
    goal = GoalId.COMPANY_LEVEL
    rated = (Rated("me", goal, mine), *(Rated(f"o{i}", goal, p) for i, p in enumerate(others)))
    return InterviewRatings(f"iv-{n}", decision, rated)


def test_a_fixed_panel_severity_is_the_shrunk_gap_to_the_median_interviewer() -> None:
    solo = InterviewRatings("solo", Decision.PROCEED, (Rated("me", GoalId.COMPANY_LEVEL, 2),))
    interviews = [*(_iv(n, -1, (1, 2)) for n in range(10)), solo]
    report = calibrate(interviews)
    assert report.method == "rater-effects/2"
    me, o0, o1 = (next(c for c in report.interviewers if c.interviewer == w) for w in ("me", "o0", "o1"))
    (goal,) = me.goals
    assert (goal.assessments, goal.shared_interviews, goal.panel_assessments) == (11, 10, 20)
    # Least squares: me sits 2 below o0 (the median) and o1 1 above; the Laplacian's eigenvalue on a
    # fixed panel of three over 10 items is 10, so the ridge (1) shrinks every gap by 10 / 11.
    assert goal.offset == round(-2 * 10 / 11, 4)
    assert o0.goals[0].offset == 0.0
    assert o1.goals[0].offset == round(10 / 11, 4)
    assert me.severity == goal.offset  # one goal: overall and per goal are the same fit
    assert goal.standard_error == 0.0  # no residual: every interview says the same
    assert goal.panel_mean == 1.5
    assert goal.mean_rating == round((10 * -1 + 2) / 11, 4)
    assert (goal.decided, goal.agreed) == (11, 1)
    assert goal.flagged
    assert me.flagged
    assert report.flagged == ("me", "o1")  # o1 is 0.91 above the median: flagged too, and rightly


def test_a_large_severity_with_a_wide_interval_is_not_flagged() -> None:
    swings = [_iv(n, -2 if n % 2 else 2, (1, 1)) for n in range(12)]  # gaps -3 and +1: mean -1, noisy
    me = next(c for c in calibrate(swings).interviewers if c.interviewer == "me")
    (goal,) = me.goals
    assert goal.offset == round(-1 * 12 / 13, 4)  # the mean gap, shrunk: beyond 0.75
    assert goal.interval is not None
    assert goal.interval[0] < 0 < goal.interval[1]
    assert not goal.flagged
    assert "includes 0" in goal.note


def test_no_rating_gives_an_empty_report() -> None:
    report = calibrate([InterviewRatings("x", Decision.UNDECIDED, ())])
    assert (report.interviews, report.interviewers, report.flagged) == (1, (), ())


def test_t_quantiles() -> None:
    assert t_quantile(1) == 12.706
    assert t_quantile(35) == 2.042
    assert t_quantile(1000) == 1.960
    assert t_quantile(0) == float("inf")


def test_the_sample_is_seeded() -> None:
    assert calibration_sample(5) == calibration_sample(5)
    assert calibration_sample(5, seed=1) != calibration_sample(5, seed=2)


def test_the_sample_interviews_raise_no_quality_signal() -> None:
    revisions = project(calibration_stream(36))
    assert {s.code for e in revisions for s in e.data.signals} == set()  # type: ignore[attr-defined]
