"""A self-contained HTML report of a verify run: summary, discrepancies, per-interview timelines."""

from __future__ import annotations

from html import escape
from pathlib import Path

from schemas.envelope import Event, format_time
from services.audit.domain.compare import revision_of
from services.audit.domain.report import Discrepancy, Kind, VerifyReport
from services.audit.domain.verify import Audit, InterviewAudit
from services.audit.entrypoints.timeline import describe, revision_line, signal_lines

MAX_INTERVIEWS = 500
"""Interviews drawn (those with findings first); a 100,000-event history would make a huge page."""

STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
h1 span{padding:.1em .5em;border-radius:4px;color:#fff}.ok{background:#2a7}.bad{background:#c33}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:3px 6px;
text-align:left;vertical-align:top}tr.rev td{background:#eef6ff}tr.flag td{background:#fde8e8}
tr.sig td{background:#fff8e0;font-size:12px}details{margin:.4em 0}summary{cursor:pointer;font-weight:600}
code,.pos{font-family:ui-monospace,monospace;font-size:12px;color:#555}
"""


def write_html(path: Path, audit: Audit) -> None:
    """Write the report to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(audit), encoding="utf-8")


def render(audit: Audit) -> str:
    """The whole page."""
    report = audit.report
    ordered = sorted(audit.interviews, key=lambda a: not a.findings)
    shown = "".join(interview_section(a) for a in ordered[:MAX_INTERVIEWS])
    more = max(audit.total, len(ordered)) - MAX_INTERVIEWS
    tail = f"<p>{more} more interviews not drawn (see --json).</p>" if more > 0 else ""
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>hiring-audit verify</title>"
        f"<style>{STYLE}</style></head><body>{summary(report)}{findings_table(report)}"
        f"{info_table(report)}"
        f"<h2>Interviews</h2>{shown}{tail}</body></html>"
    )


def summary(report: VerifyReport) -> str:
    """Verdict badge, source and counts."""
    c = report.counts
    badge = "<span class='ok'>OK</span>" if report.ok else "<span class='bad'>FAILED</span>"
    kinds = ", ".join(f"{k} {n}" for k, n in report.by_kind.items()) or "none"
    return (
        f"<h1>hiring-audit verify {badge}</h1><p>Source: <code>{escape(report.source)}</code><br>"
        f"{c.interview_events} interview events in {c.interviews} interviews, {c.decision_events} "
        f"decision events; {c.revisions_matched} of {c.revisions_recomputed} recomputed revisions "
        f"reproduced byte for byte. Discrepancies: {escape(kinds)}.</p>"
    )


def findings_table(report: VerifyReport) -> str:
    """Every discrepancy with its position and diff."""
    if report.ok:
        return ""
    rows = "".join(
        f"<tr><td>{d.kind}</td><td>{escape(d.interview or '')}</td><td class='pos'>{escape(_pos(d))}</td>"
        f"<td>{_opt(d.sequence)}</td><td>{_opt(d.revision)}</td><td>{escape(d.detail)}{_diff(d)}</td></tr>"
        for d in report.discrepancies
    )
    head = "<tr><th>kind</th><th>interview</th><th>position</th><th>seq</th><th>rev</th><th>detail</th></tr>"
    return f"<h2>Discrepancies</h2><table>{head}{rows}</table>"


def info_table(report: VerifyReport) -> str:
    """Operators' DLQ decisions the replay applied (informational)."""
    if not report.info:
        return ""
    rows = "".join(
        f"<tr><td>{d.kind}</td><td>{escape(d.interview or '')}</td><td class='pos'>{escape(_pos(d))}</td>"
        f"<td>{_opt(d.sequence)}</td><td>{escape(d.detail)}</td></tr>"
        for d in report.info
    )
    head = "<tr><th>kind</th><th>interview</th><th>position</th><th>seq</th><th>detail</th></tr>"
    return f"<h2>Information (DLQ)</h2><table>{head}{rows}</table>"


def _pos(d: Discrepancy) -> str:
    return f"{d.topic}[{d.partition}]@{d.offset}" if d.offset is not None else (d.topic or "")


def _opt(value: int | None) -> str:
    return "" if value is None else str(value)


def _diff(d: Discrepancy) -> str:
    items = "".join(
        f"<li><code>{escape(c.path)}</code>: {escape(repr(c.expected))} → {escape(repr(c.actual))}</li>"
        for c in d.diff
    )
    return f"<ul>{items}</ul>" if items else ""


def interview_section(audit: InterviewAudit) -> str:
    """A collapsible timeline: events in log order, each followed by the revisions it caused."""
    log = audit.log
    flagged = {(f.topic, f.partition, f.offset): f for f in audit.findings if f.offset is not None}
    revisions = [r for rs in audit.expected.values() for r in rs]
    status = _statuses(audit.findings)
    rows = []
    for entry in log.entries:
        r = entry.record
        rows.append(_event_row(entry.event, r.where(), flagged.get((r.topic, r.partition, r.offset))))
        caused = [v for v in revisions if entry.event and revision_of(v).input_sequence == entry.sequence]
        rows.extend(_revision_rows(v, status) for v in caused)
    state = " open" if audit.findings else ""
    title = (
        f"{escape(log.interview_id)} — {len(log.entries)} events, {len(revisions)} revisions, "
        f"{len(audit.findings)} findings"
    )
    head = "<tr><th>seq</th><th>time</th><th>what</th><th>position</th></tr>"
    return f"<details{state}><summary>{title}</summary><table>{head}{''.join(rows)}</table></details>"


def _statuses(findings: list[Discrepancy]) -> dict[int, str]:
    out = {}
    for f in findings:
        if f.revision is not None and f.kind in (Kind.REVISION_DIFFERS, Kind.MISSING_REVISION):
            out[f.revision] = (
                "differs from published" if f.kind is Kind.REVISION_DIFFERS else "never published"
            )
    return out


def _event_row(event: Event | None, where: str, finding: Discrepancy | None) -> str:
    css = " class='flag'" if finding else ""
    note = f"<br><b>{finding.kind}</b>: {escape(finding.detail)}" if finding else ""
    if event is None:
        return (
            f"<tr{css}><td></td><td></td><td>undecodable record{note}</td><td class='pos'>{where}</td></tr>"
        )
    a = event.attributes
    return (
        f"<tr{css}><td>{a.sequence}</td><td>{format_time(a.time)}</td><td>{escape(describe(event))}{note}</td>"
        f"<td class='pos'>{escape(where)}</td></tr>"
    )


def _revision_rows(revision: Event, status: dict[int, str]) -> str:
    data = revision_of(revision)
    state = status.get(data.revision, "published ✓")
    css = "flag" if data.revision in status else "rev"
    row = (
        f"<tr class='{css}'><td></td><td></td><td>{escape(revision_line(data))} — {state}</td><td></td></tr>"
    )
    signals = "".join(f"<tr class='sig'><td></td><td></td><td>signal {escape(s)}</td><td></td></tr>"
                      for s in signal_lines(data))  # fmt: skip
    return row + signals
