"""Interviewer calibration from history: every interview replayed, its final verdict calibrated (ADR 0013)."""

from __future__ import annotations

from collections.abc import Iterable

from schemas.decision import VerdictChanged
from services.audit.domain.compare import recompute
from services.audit.domain.history import InterviewLog
from services.decision.domain.calibration import CalibrationReport, CalibrationRules, calibrate_verdicts
from services.decision.domain.policy import versions


def final_verdicts(logs: Iterable[InterviewLog]) -> list[VerdictChanged]:
    """The last final revision of each concluded interview, recomputed from its interview events.

    Recomputed under the policy version each interview was opened with (as ``verify`` proves the
    published ones); an interview under an unknown version is left out (``verify`` reports it).
    """
    out = []
    for log in logs:
        version = log.policy_version()
        if version not in versions():
            continue
        finals = [
            e.data for e in recompute(log, version) if isinstance(e.data, VerdictChanged) and e.data.final
        ]
        if finals:
            out.append(finals[-1])
    return out


def calibration(logs: Iterable[InterviewLog], rules: CalibrationRules | None = None) -> CalibrationReport:
    """The calibration report over every concluded interview of the history."""
    return calibrate_verdicts(final_verdicts(logs), rules)
