"""Readable tables of the reports (the default output; ``--json`` prints the models instead)."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.table import Table

from services.audit.domain.report import AsOfReport, Discrepancy, VerifyReport, WhatIfReport
from services.decision.domain.calibration import CalibrationReport


def _short(value: Any, width: int = 40) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def _where(d: Discrepancy) -> str:
    return f"{d.topic}[{d.partition}]@{d.offset}" if d.offset is not None else (d.topic or "")


def _diff_lines(d: Discrepancy, limit: int = 6) -> str:
    lines = [f"{c.path}: {_short(c.expected)} → {_short(c.actual)}" for c in d.diff[:limit]]
    more = [f"… {len(d.diff) - limit} more field(s)"] if len(d.diff) > limit else []
    return "\n".join([d.detail, *lines, *more]) if d.diff else d.detail


def print_verify(console: Console, report: VerifyReport, limit: int = 50) -> None:
    """Summary line, counts, and one row per discrepancy (up to ``limit``)."""
    c = report.counts
    console.print(f"source: {report.source}")
    console.print(
        f"{c.interview_events} interview events in {c.interviews} interviews, {c.decision_events} "
        f"decision events; {c.revisions_matched} of {c.revisions_recomputed} recomputed revisions "
        "reproduced byte for byte"
    )
    _print_info(console, report)
    if report.ok:
        console.print(
            "[bold green]OK[/bold green]: every published verdict reproduced; chains and sequences intact"
        )
        return
    summary = ", ".join(f"{kind} {n}" for kind, n in report.by_kind.items())
    console.print(f"[bold red]FAILED[/bold red]: {len(report.discrepancies)} discrepancies ({summary})")
    table = Table("kind", "interview", "position", "seq", "rev", "detail", show_lines=True)
    for d in report.discrepancies[:limit]:
        table.add_row(str(d.kind), d.interview or "", _where(d), _opt(d.sequence), _opt(d.revision),
                      _diff_lines(d))  # fmt: skip
    console.print(table)
    if len(report.discrepancies) > limit:
        console.print(f"… {len(report.discrepancies) - limit} more (raise --limit or use --json)")


def _print_info(console: Console, report: VerifyReport) -> None:
    """Informational findings (operators' DLQ decisions applied as the decision service does)."""
    if not report.info:
        return
    console.print(
        f"{len(report.info)} informational finding(s) ({report.counts.dlq_records} DLQ records read):"
    )
    table = Table("kind", "interview", "position", "seq", "detail", show_lines=True)
    for d in report.info:
        table.add_row(str(d.kind), d.interview or "", _where(d), _opt(d.sequence), d.detail)
    console.print(table)


def _opt(value: int | None) -> str:
    return "" if value is None else str(value)


def print_as_of(console: Console, report: AsOfReport) -> None:
    """One row per interview: revision in force, decisions, scores, signals, reasons."""
    at = report.at_time or (f"sequence {report.at_sequence}" if report.at_sequence else "latest")
    table = Table("interview", "seq", "rev", "company", "candidate", "mutual", "signals", "reasons",
                  "published", title=f"verdicts as of {at}", show_lines=True)  # fmt: skip
    for v in report.verdicts:
        data = v.verdict or {}
        table.add_row(v.interview, _opt(v.input_sequence), _opt(v.revision), _side(data.get("company")),
                      _side(data.get("candidate")), data.get("mutual", "-"), _signals(data), _reasons(data),
                      v.published or "")  # fmt: skip
    console.print(table)


def _side(side: dict[str, Any] | None) -> str:
    if not side:
        return "-"
    score = "" if side.get("score") is None else f" ({side['score']:+.2f})"
    missing = f"\nmissing: {', '.join(side['missing'])}" if side.get("missing") else ""
    return f"{side['decision']}{score}{missing}"


def _signals(data: dict[str, Any]) -> str:
    return "\n".join(s["code"] for s in data.get("signals", [])) or "-"


def _reasons(data: dict[str, Any]) -> str:
    reasons = [
        r["text"] for side in ("company", "candidate") for r in (data.get(side) or {}).get("reasons", [])
    ]
    return "\n".join(reasons) or "-"


def print_what_if(console: Console, report: WhatIfReport) -> None:
    """How many latest verdicts would change, which way, and why, interview by interview."""
    policy = report.policy_version or "recorded versions"
    overrides = ", ".join(f"{k}={v}" for k, v in report.thresholds.items()) or "published thresholds"
    console.print(f"what-if: policy {policy}, {overrides}; nothing is published")
    console.print(f"{len(report.changed)} of {report.interviews} interviews would change")
    for part, ways in report.transitions.items():
        console.print(f"  {part}: " + ", ".join(f"{n} {way}" for way, n in ways.items()))
    if not report.changed:
        return
    table = Table("interview", "part", "recorded → alternative", "why")
    for c in report.changed:
        for i, p in enumerate(c.parts):
            table.add_row(c.interview if i == 0 else "", p.part, f"{p.before} → {p.after}", "\n".join(p.why))
    console.print(table)


def _interval(interval: tuple[float, float] | None) -> str:
    return "-" if interval is None else f"{interval[0]:+.2f}..{interval[1]:+.2f}"


def print_calibration(console: Console, report: CalibrationReport) -> None:
    """Per interviewer a row for all goals, then one per goal: severity, interval, agreement, flag."""
    r = report.rules
    console.print(
        f"{report.interviews} concluded interviews; method {report.method} (severity: rating = item + "
        f"interviewer effect, against the median interviewer, shrinkage {r.shrinkage:g}); flag: >= "
        f"{r.min_shared_interviews} shared interviews, |severity| >= {r.min_offset:.2f} points, "
        "95 % interval excluding 0"
    )
    table = Table("interviewer", "goal", "n", "shared", "severity", "95 % interval", "agreement", "flag")
    for c in report.interviewers:
        table.add_row(c.interviewer, "(all)", str(c.assessments), str(c.shared_interviews),
                      "-" if c.severity is None else f"{c.severity:+.2f}", _interval(c.interval),
                      "-" if c.agreement_rate is None else f"{c.agreement_rate:.0%}",
                      "FLAG" if c.flagged else "")  # fmt: skip
        for g in c.goals:
            table.add_row(c.interviewer, g.goal.value, str(g.assessments), str(g.shared_interviews),
                          "-" if g.offset is None else f"{g.offset:+.2f}", _interval(g.interval),
                          "-" if g.agreement_rate is None else f"{g.agreement_rate:.0%}",
                          "FLAG" if g.flagged else "")  # fmt: skip
    console.print(table)
    console.print(f"flagged: {', '.join(report.flagged) or 'no one'}")
