"""The verify report's candidacy sections (ADR 0012): each candidacy's verdict trajectory as a chart,
each signal once where it starts and ends, and its revisions with what changed at each."""

from __future__ import annotations

from html import escape

from schemas.decision import CandidacyVerdictChanged
from schemas.envelope import format_time
from services.audit.domain.candidacy import CandidacyAudit
from services.audit.entrypoints.charts import RevisionPoint, changes, point_of, signal_spans, trajectory

MAX_CANDIDACIES = 200


def candidacy_sections(audits: list[CandidacyAudit]) -> str:
    """One table per candidacy: revision, time, cause round, status, decisions, signals, proof."""
    if not audits:
        return ""
    ordered = sorted(audits, key=lambda a: not a.findings)[:MAX_CANDIDACIES]
    return "<h2>Candidacies</h2>" + "".join(_section(a) for a in ordered)


def candidacy_points(revisions: list[CandidacyVerdictChanged]) -> list[RevisionPoint]:
    """Chart points of a candidacy's revisions (final once the candidacy is concluded or withdrawn)."""
    return [
        point_of(v, f"revision {v.revision} after {_round_of(v)}", v.status.value != "open")
        for v in revisions
    ]


def _round_of(data: CandidacyVerdictChanged) -> str:
    cause = next((r for r in data.rounds if r.interview_id == data.cause), None)
    return f"{cause.round} {cause.interview_id} r{cause.revision}" if cause else data.cause


def _trajectory(
    audit: CandidacyAudit, revisions: list[CandidacyVerdictChanged]
) -> tuple[str, dict[int, str]]:
    """The chart, the signal list (each signal once) and, per revision, what changed there."""
    points = candidacy_points(revisions)
    if not points:
        return "", {}
    title = f"{audit.candidacy_id}: candidacy verdict trajectory ({len(points)} revisions)"
    marks = {r: "; ".join(words) for r, words in changes(points).items()}
    items = []
    for span in signal_spans(points):
        end = f"ends at revision {span.end}" if span.end is not None else "still on"
        items.append(
            f"<li class='signal' data-code='{escape(span.code, quote=True)}'>"
            f"<span class='signal-start'>⚑ <b>{escape(span.code)}</b></span> starts at revision "
            f"{span.start}, {end}: {escape(span.message)}</li>"
        )
        marks[span.start] = (marks.get(span.start, "") + f"; ⚑ {span.code} starts").lstrip("; ")
        if span.end is not None:
            marks[span.end] = (marks.get(span.end, "") + f"; ✓ {span.code} ends").lstrip("; ")
    signals = f"<ul class='signals'>{''.join(items)}</ul>" if items else "<p>No signals.</p>"
    figure = (
        f"<figure class='chart'>{trajectory(points, title)}<figcaption>{escape(title)}</figcaption></figure>"
    )
    return figure + signals, marks


def _section(audit: CandidacyAudit) -> str:
    flagged = {f.offset for f in audit.findings}
    decoded = [r.event.data for r in audit.revisions if r.event is not None]
    chart, marks = _trajectory(audit, [d for d in decoded if isinstance(d, CandidacyVerdictChanged)])
    rows = []
    for rev in audit.revisions:
        data = rev.event.data if rev.event is not None else None
        if not isinstance(data, CandidacyVerdictChanged) or rev.event is None:
            where, problem = escape(rev.record.where()), escape(str(rev.problem))
            rows.append(f"<tr class='flag'><td colspan='7'>{where}: {problem}</td></tr>")
            continue
        cited = _round_of(data)
        changed = marks.get(data.revision, "")
        mark = " class='flag'" if rev.record.offset in flagged else ""
        rows.append(
            f"<tr{mark} data-revision='{data.revision}'><td>{data.revision}</td>"
            f"<td>{format_time(rev.event.attributes.time)}</td>"
            f"<td>{escape(cited)}</td><td>{data.status.value}</td>"
            f"<td>company {data.company.decision.value} / candidate {data.candidate.decision.value}</td>"
            f"<td><b>{data.mutual.value}</b></td><td>{escape(changed)}</td></tr>"
        )
    findings = "".join(f"<li>{escape(f.detail)}</li>" for f in audit.findings)
    state = f"{audit.matched} of {len(audit.revisions)} revisions reproduced byte for byte"
    opened = " open" if audit.findings else ""
    return (
        f"<details class='candidacy' data-candidacy='{escape(audit.candidacy_id, quote=True)}'{opened}>"
        f"<summary>candidacy {escape(audit.candidacy_id)}: {state}"
        f"</summary>{f'<ul>{findings}</ul>' if findings else ''}{chart}"
        "<table><tr><th>revision</th><th>time</th><th>cause (round)</th><th>status</th><th>decisions</th>"
        "<th>mutual</th><th>what changed</th></tr>"
        f"{''.join(rows)}</table></details>"
    )
