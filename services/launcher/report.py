"""Readable rendering of a verdict (as served by the decision API) for terminals."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table


def _side_rows(table: Table, name: str, side: dict[str, Any]) -> None:
    score = "-" if side["score"] is None else f"{side['score']:+.2f}"
    missing = f" missing: {', '.join(side['missing'])}" if side["missing"] else ""
    table.add_row(name, f"[bold]{side['decision']}[/bold] (score {score}){missing}")
    for reason in side["reasons"]:
        evidence = sorted({e for a in reason["assessments"] for e in a["evidence"]})
        table.add_row("", f"{reason['text']}  evidence: {', '.join(evidence)}")


def print_verdict(console: Console, revision: dict[str, Any]) -> None:
    """Company, candidate and mutual verdicts with reasons and signals."""
    verdict = revision["verdict"]
    table = Table(
        title=f"{verdict['interview_id']} — revision {verdict['revision']} "
        f"(policy {verdict['policy_version']}, final={verdict['final']})",
        show_header=False,
        expand=False,
    )
    table.add_row("mutual", f"[bold]{verdict['mutual']}[/bold]")
    _side_rows(table, "company", verdict["company"])
    _side_rows(table, "candidate", verdict["candidate"])
    for signal in verdict["signals"]:
        table.add_row("signal", f"[yellow]{signal['code']}[/yellow]: {signal['message']}")
    if not verdict["signals"]:
        table.add_row("signals", "none")
    console.print(table)
