"""Readable rendering of a verdict (as served by the decision API) for terminals."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

_MARK = {"supports": "[green]+[/green]", "neutral": "·", "lowers": "[yellow]-[/yellow]",
         "forces_low": "[red]x[/red]"}  # fmt: skip
"""How a confidence reason bears on the level (policy v2): supports, neutral, lowers, forces low."""


def _decision(side: dict[str, Any]) -> str:
    text = f"[bold]{side['decision']}[/bold]"
    if "leaning" in side and side["leaning"] != side["decision"]:  # policy v2: held for low confidence
        text += f", leaning {side['leaning']}"
    return text


def _side_rows(table: Table, name: str, side: dict[str, Any]) -> None:
    score = "-" if side["score"] is None else f"{side['score']:+.2f}"
    missing = f" missing: {', '.join(side['missing'])}" if side["missing"] else ""
    confidence = side.get("confidence")
    level = f", confidence [bold]{confidence['level']}[/bold]" if confidence else ""
    table.add_row(name, f"{_decision(side)} (score {score}){level}{missing}")
    for reason in side["reasons"]:
        evidence = sorted({e for a in reason["assessments"] for e in a["evidence"]})
        table.add_row("", f"{reason['text']}  evidence: {', '.join(evidence)}")
    for why in confidence["reasons"] if confidence else ():
        table.add_row("", f"{_MARK[why['effect']]} {why['code']}: {why['text']}")


def print_verdict(console: Console, revision: dict[str, Any]) -> None:
    """Company, candidate and mutual verdicts with reasons, confidence (policy v2+) and signals."""
    verdict = revision["verdict"]
    table = Table(
        title=f"{verdict['interview_id']} — revision {verdict['revision']} "
        f"(policy {verdict['policy_version']}, final={verdict['final']})",
        show_header=False,
        expand=False,
    )
    held = verdict.get("another_round")  # policy v2: a side leans but its confidence is too low to decide
    another = " — another round needed (a side is held for low confidence)" if held else ""
    table.add_row("mutual", f"[bold]{verdict['mutual']}[/bold]{another}")
    _side_rows(table, "company", verdict["company"])
    _side_rows(table, "candidate", verdict["candidate"])
    for signal in verdict["signals"]:
        table.add_row("signal", f"[yellow]{signal['code']}[/yellow]: {signal['message']}")
    if not verdict["signals"]:
        table.add_row("signals", "none")
    console.print(table)
