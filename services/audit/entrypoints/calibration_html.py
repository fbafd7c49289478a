"""The calibration report as one self-contained HTML page: a severity chart per interviewer and goal."""

from __future__ import annotations

from html import escape
from pathlib import Path

from services.audit.entrypoints.charts import OffsetBar, offsets
from services.decision.domain.calibration import CalibrationReport, InterviewerCalibration

STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:.5em 0}
td,th{border:1px solid #ccc;padding:3px 6px;text-align:left}tr.flagged td{background:#fde8e8}
.num{text-align:right;font-family:ui-monospace,monospace}
"""


def bars(report: CalibrationReport) -> list[OffsetBar]:
    """One bar per interviewer and goal with an offset (flagged interviewers first)."""
    ordered = sorted(report.interviewers, key=lambda c: (not c.flagged, c.interviewer))
    return [
        OffsetBar(c.interviewer, g.goal.value, g.offset, g.interval, g.flagged, g.note)
        for c in ordered
        for g in c.goals
        if g.offset is not None
    ]


def _num(value: float | None, fmt: str = "+.2f") -> str:
    return "-" if value is None else format(value, fmt)


def _interval(interval: tuple[float, float] | None) -> str:
    return "-" if interval is None else f"{interval[0]:+.2f}..{interval[1]:+.2f}"


def _overall(c: InterviewerCalibration) -> str:
    """The interviewer's row over all goals (one fit over every item)."""
    return (
        f"<tr class='overall{' flagged' if c.severity_flagged else ''}' "
        f"data-interviewer='{escape(c.interviewer, quote=True)}'>"
        f"<td>{'⚑ ' if c.severity_flagged else ''}<b>{escape(c.interviewer)}</b></td><td>all goals</td>"
        f"<td class='num'>{c.assessments}</td><td class='num'>{c.shared_interviews}</td>"
        f"<td class='num'>-</td><td class='num'>-</td><td class='num'>{_num(c.severity)}</td>"
        f"<td class='num'>{_interval(c.interval)}</td>"
        f"<td class='num'>{_num(c.agreement_rate, '.0%')} ({c.agreed}/{c.decided})</td>"
        f"<td>{escape(c.note)}</td></tr>"
    )


def render(report: CalibrationReport, source: str) -> str:
    """The whole page."""
    r = report.rules
    rows = "".join(
        (_overall(c) if g is c.goals[0] else "") + f"<tr class='{'flagged' if g.flagged else ''}' "
        f"data-interviewer='{escape(c.interviewer, quote=True)}'>"
        f"<td>{'⚑ ' if g.flagged else ''}{escape(c.interviewer)}</td><td>{g.goal}</td>"
        f"<td class='num'>{g.assessments}</td><td class='num'>{g.shared_interviews}</td>"
        f"<td class='num'>{_num(g.mean_rating)}</td><td class='num'>{_num(g.panel_mean)}</td>"
        f"<td class='num'>{_num(g.offset)}</td>"
        f"<td class='num'>{_interval(g.interval)}</td>"
        f"<td class='num'>{_num(g.agreement_rate, '.0%')} ({g.agreed}/{g.decided})</td>"
        f"<td>{escape(g.note)}</td></tr>"
        for c in sorted(report.interviewers, key=lambda c: (not c.flagged, c.interviewer))
        for g in c.goals
    )
    head = (
        "<tr><th>interviewer</th><th>goal</th><th>assessments</th><th>shared interviews</th><th>mean</th>"
        "<th>panel mean</th><th>severity</th><th>95 % interval</th><th>agreement with final verdict</th>"
        "<th>note</th></tr>"
    )
    flagged = ", ".join(report.flagged) or "no one"
    scale = ", ".join(f"{k} {v:+d}" for k, v in r.scale.items())
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>hiring-audit calibration</title>"
        f"<style>{STYLE}</style></head><body><h1>Interviewer calibration</h1>"
        f"<p>Source: <code>{escape(source)}</code>. {report.interviews} concluded interviews; "
        f"{len(report.interviewers)} interviewers. Flagged: <b id='flagged'>{escape(flagged)}</b>.</p>"
        f"<p>Method <code id='method'>{escape(report.method)}</code>: severity = the interviewer effect of "
        f"a least-squares fit rating = item effect (one goal of one interview) + interviewer effect "
        f"({scale}), over every item two or more interviewers rated, shrunk toward the pool (ridge "
        f"{r.shrinkage:g}) and measured against the median interviewer; overall (all goals) and per goal, "
        "with a cluster-robust 95 % interval. Flagged when at least "
        f"{r.min_shared_interviews} shared interviews, |severity| ≥ {r.min_offset:.2f} and the 95 % "
        "interval excludes 0. Calibration informs people; it never changes a verdict.</p>"
        f"{offsets(bars(report))}<table>{head}{rows}</table></body></html>"
    )


def write_html(path: Path, report: CalibrationReport, source: str) -> None:
    """Write the page to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(report, source), encoding="utf-8")
