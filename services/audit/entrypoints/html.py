"""A self-contained HTML report of a verify run: summary, discrepancies, per-interview timelines."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from pathlib import Path

from schemas.decision import VerdictChanged
from schemas.envelope import Event, format_time
from services.audit.domain.compare import revision_of
from services.audit.domain.report import Discrepancy, Kind, VerifyReport
from services.audit.domain.verify import Audit, InterviewAudit
from services.audit.entrypoints.candidacy_html import candidacy_sections
from services.audit.entrypoints.charts import SignalSpan, changes, points_of, signal_spans, trajectory
from services.audit.entrypoints.confidence_html import confidence_block, latest_confidence
from services.audit.entrypoints.timeline import describe, revision_line, sender, short_ids
from services.platform.privacy.sealing import Lookup

MAX_INTERVIEWS = 500
"""Interviews drawn (those with findings first); a 100,000-event history would make a huge page."""
OPEN_FIRST = 3
"""Sections shown open (besides those with findings): the first charts are in view when the page opens."""

STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
h1 span{padding:.1em .5em;border-radius:4px;color:#fff}.ok{background:#2a7}.bad{background:#c33}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:3px 6px;
text-align:left;vertical-align:top}tr.rev td{background:#eef6ff}tr.flag td{background:#fde8e8}
tr.sig td{background:#fff8e0;font-size:12px}details{margin:.4em 0}summary{cursor:pointer;font-weight:600}
code,.pos{font-family:ui-monospace,monospace;font-size:12px;color:#555}
abbr.ev,abbr.own{font-family:ui-monospace,monospace;font-size:12px;text-decoration:underline dotted;
cursor:help}figure.chart{margin:.5em 0}figcaption{font-size:12px;color:#555}.signal-start{color:#c33}
.signal-end{color:#2a7}
ul.signals li{margin:.2em 0}details.reasons{font-size:12px;font-weight:normal}
section.latest-confidence{margin:.5em 0;font-size:13px}div.confidence ul{margin:.1em 0 .4em}
div.confidence[data-level=low] b.level{color:#c33}div.confidence[data-level=high] b.level{color:#2a7}
"""


def write_html(path: Path, audit: Audit, keys: Lookup | None = None) -> None:
    """Write the report to ``path`` (text opened with ``keys``; without them it reads ``[sealed]``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(audit, keys), encoding="utf-8")


def render(audit: Audit, keys: Lookup | None = None) -> str:
    """The whole page."""
    report = audit.report
    ordered = sorted(audit.interviews, key=lambda a: not a.findings)
    drawn = enumerate(ordered[:MAX_INTERVIEWS])
    shown = "".join(interview_section(a, n < OPEN_FIRST, keys) for n, a in drawn)
    more = max(audit.total, len(ordered)) - MAX_INTERVIEWS
    tail = f"<p>{more} more interviews not drawn (see --json).</p>" if more > 0 else ""
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>hiring-audit verify</title>"
        f"<style>{STYLE}</style></head><body>{summary(report)}{findings_table(report)}"
        f"{info_table(report)}"
        f"<h2>Interviews</h2>{shown}{tail}{candidacy_sections(audit.candidacies)}</body></html>"
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


def interview_section(audit: InterviewAudit, open_: bool = False, keys: Lookup | None = None) -> str:
    """A collapsible section: the verdict trajectory chart, each signal once, then the event timeline."""
    log = audit.log
    flagged = {(f.topic, f.partition, f.offset): f for f in audit.findings if f.offset is not None}
    revisions = [r for rs in audit.expected.values() for r in rs]
    status = _statuses(audit.findings)
    ids = short_ids(log.events())
    sequences = {e.attributes.id: e.attributes.sequence for e in log.events()}
    causes = {e.attributes.sequence: describe(e) for e in log.events()}
    charts: list[str] = []
    marks: dict[tuple[str, int], list[str]] = {}
    for version, events in audit.expected.items():
        data = [revision_of(v) for v in events]
        points = points_of(data, {v.revision: causes.get(v.input_sequence, "") for v in data})
        spans = signal_spans(points)
        title = f"{log.interview_id}: verdict trajectory ({version}, {len(points)} revisions)"
        charts.append(
            latest_confidence(version, data, lambda e: _evidence(e, ids, sequences))
            + f"<figure class='chart'>{trajectory(points, title)}"
            f"<figcaption>{escape(title)}</figcaption></figure>"
            f"{_signal_list(spans, ids, sequences, data)}"
        )
        for revision, words in changes(points).items():
            marks.setdefault((version, revision), []).extend(escape(w) for w in words)
        for span in spans:
            evidence = _evidence(span.evidence, ids, sequences)
            marks.setdefault((version, span.start), []).append(
                f"<span class='signal-start'>⚑ signal <b>{escape(span.code)}</b> starts</span> ({evidence})"
            )
            if span.end is not None:
                marks.setdefault((version, span.end), []).append(
                    f"<span class='signal-end'>✓ signal <b>{escape(span.code)}</b> ends</span>"
                )
    rows = []
    for entry in log.entries:
        r = entry.record
        finding = flagged.get((r.topic, r.partition, r.offset))
        rows.append(_event_row(entry.event, r.where(), finding, ids, keys))
        caused = [v for v in revisions if entry.event and revision_of(v).input_sequence == entry.sequence]
        rows.extend(_revision_rows(v, status, marks, ids, sequences) for v in caused)
    state = " open" if audit.findings or open_ else ""
    title = (
        f"{escape(log.interview_id)} — {len(log.entries)} events, {len(revisions)} revisions, "
        f"{len(audit.findings)} findings"
    )
    head = "<tr><th>seq</th><th>time</th><th>what</th><th>position</th></tr>"
    return (
        f"<details class='interview' data-interview='{_q(log.interview_id)}'{state}>"
        f"<summary>{title}</summary>{''.join(charts)}<table>{head}{''.join(rows)}</table></details>"
    )


def _evidence(event_ids: Iterable[str], ids: dict[str, str], sequences: dict[str, int]) -> str:
    """Evidence by the interview's own ids; the event id (and sequence) on hover, in ``title``."""
    out = []
    for event_id in event_ids:
        own = ids.get(event_id, event_id[:8] + "…")
        at = f", sequence {sequences[event_id]}" if event_id in sequences else ""
        out.append(
            f"<abbr class='ev' data-event='{_q(event_id)}' title='event {_q(event_id)}"
            f"{at}'>{escape(own)}</abbr>"
        )
    return ", ".join(out) or "no evidence"


def _signal_list(
    spans: list[SignalSpan], ids: dict[str, str], sequences: dict[str, int], data: list[VerdictChanged]
) -> str:
    """Each signal once: where it starts and where it ends (or that it is still in force)."""
    if not spans:
        return "<p class='signals none'>No interview-quality signal.</p>"
    seq = {v.revision: v.input_sequence for v in data}
    items = []
    for span in spans:
        end = (
            f"<span class='signal-end'>ends at revision {span.end} (event {seq.get(span.end, '?')})</span>"
            if span.end is not None
            else "<span class='signal-open'>still in force at the last revision</span>"
        )
        items.append(
            f"<li class='signal' data-code='{_q(span.code)}'><b>{escape(span.code)}</b>: "
            f"{escape(span.message)} <span class='signal-start'>starts at revision {span.start} (event "
            f"{seq.get(span.start, '?')})</span>; {end}; "
            f"evidence {_evidence(span.evidence, ids, sequences)}</li>"
        )
    return f"<ul class='signals'>{''.join(items)}</ul>"


def _q(text: str) -> str:
    """Text for an attribute value."""
    return escape(text, quote=True)


def _statuses(findings: list[Discrepancy]) -> dict[int, str]:
    out = {}
    for f in findings:
        if f.revision is not None and f.kind in (Kind.REVISION_DIFFERS, Kind.MISSING_REVISION):
            out[f.revision] = (
                "differs from published" if f.kind is Kind.REVISION_DIFFERS else "never published"
            )
    return out


def _event_row(
    event: Event | None, where: str, finding: Discrepancy | None, ids: dict[str, str],
    keys: Lookup | None = None,
) -> str:
    css = " class='flag'" if finding else ""
    note = f"<br><b>{finding.kind}</b>: {escape(finding.detail)}" if finding else ""
    if event is None:
        return (
            f"<tr{css}><td></td><td></td><td>undecodable record{note}</td><td class='pos'>{where}</td></tr>"
        )
    a, what = event.attributes, escape(describe(event, keys))
    who = sender(event)
    by = f"<br><small>{escape(who)}</small>" if who else ""
    return (
        f"<tr{css} data-event='{_q(a.id)}'><td>{a.sequence}</td>"
        f"<td>{format_time(a.time)}</td>"
        f"<td><abbr class='own' title='event {_q(a.id)}'>{escape(ids.get(a.id, ''))}</abbr> "
        f"{what}{by}{note}</td>"
        f"<td class='pos'>{escape(where)}</td></tr>"
    )


def _revision_rows(
    revision: Event, status: dict[int, str], marks: dict[tuple[str, int], list[str]],
    ids: dict[str, str], sequences: dict[str, int],
) -> str:  # fmt: skip
    data = revision_of(revision)
    state = status.get(data.revision, "published ✓")
    css = "flag" if data.revision in status else "rev"
    reasons = "".join(
        f"<li>{escape(r.text)}: "
        + "; ".join(
            f"<abbr class='ev' title='event {_q(a.event_id)}'>{escape(a.assessment_id)}</abbr> "
            f"{escape(a.assessor)} {a.rating} on {_evidence(a.evidence_events, ids, sequences)}"
            for a in r.assessments
        )
        + "</li>"
        for s in (data.company, data.candidate)
        for r in s.reasons
    )
    details = (
        f"<details class='reasons'><summary>reasons</summary><ul>{reasons}</ul></details>" if reasons else ""
    )
    confidence = confidence_block(data, lambda e: _evidence(e, ids, sequences))
    if confidence:
        details += f"<details class='reasons confidence'><summary>confidence</summary>{confidence}</details>"
    row = (
        f"<tr class='{css}' data-revision='{data.revision}' data-policy='{_q(data.policy_version)}'>"
        "<td></td><td></td>"
        f"<td>{escape(revision_line(data))} — {state}{details}</td><td></td></tr>"
    )
    changed = "".join(
        f"<tr class='sig'><td></td><td></td><td>{m}</td><td></td></tr>"
        for m in marks.get((data.policy_version, data.revision), [])
    )
    return row + changed
