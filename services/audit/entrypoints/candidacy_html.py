"""A plain HTML section of the verify report: each candidacy's revisions (ADR 0012)."""

from __future__ import annotations

from html import escape

from schemas.decision import CandidacyVerdictChanged
from schemas.envelope import format_time
from services.audit.domain.candidacy import CandidacyAudit

MAX_CANDIDACIES = 200


def candidacy_sections(audits: list[CandidacyAudit]) -> str:
    """One table per candidacy: revision, time, cause round, status, decisions, signals, proof."""
    if not audits:
        return ""
    ordered = sorted(audits, key=lambda a: not a.findings)[:MAX_CANDIDACIES]
    return "<h2>Candidacies</h2>" + "".join(_section(a) for a in ordered)


def _section(audit: CandidacyAudit) -> str:
    flagged = {f.offset for f in audit.findings}
    rows = []
    for rev in audit.revisions:
        data = rev.event.data if rev.event is not None else None
        if not isinstance(data, CandidacyVerdictChanged) or rev.event is None:
            where, problem = escape(rev.record.where()), escape(str(rev.problem))
            rows.append(f"<tr class='flag'><td colspan='7'>{where}: {problem}</td></tr>")
            continue
        cause = next((r for r in data.rounds if r.interview_id == data.cause), None)
        cited = f"{cause.round} {cause.interview_id} r{cause.revision}" if cause else data.cause
        signals = ", ".join(s.code for s in data.signals) or "-"
        mark = " class='flag'" if rev.record.offset in flagged else ""
        rows.append(
            f"<tr{mark}><td>{data.revision}</td><td>{format_time(rev.event.attributes.time)}</td>"
            f"<td>{escape(cited)}</td><td>{data.status.value}</td>"
            f"<td>company {data.company.decision.value} / candidate {data.candidate.decision.value}</td>"
            f"<td><b>{data.mutual.value}</b></td><td>{escape(signals)}</td></tr>"
        )
    findings = "".join(f"<li>{escape(f.detail)}</li>" for f in audit.findings)
    state = f"{audit.matched} of {len(audit.revisions)} revisions reproduced byte for byte"
    opened = " open" if audit.findings else ""
    return (
        f"<details{opened}><summary>candidacy {escape(audit.candidacy_id)}: {state}"
        f"</summary>{f'<ul>{findings}</ul>' if findings else ''}<table><tr><th>revision</th><th>time</th>"
        "<th>cause (round)</th><th>status</th><th>decisions</th><th>mutual</th><th>signals</th></tr>"
        f"{''.join(rows)}</table></details>"
    )
