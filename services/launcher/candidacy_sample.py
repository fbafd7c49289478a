"""The main run's three-round candidacy (ADR 0012): screen, technical, final fed over HTTP, then its verdict.

Kept apart from ``samples``/``run`` so that changes to how the main run calls the services (e.g.
authentication) touch one place: ``feed_candidacy`` takes ready HTTP clients.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from rich.console import Console

from services.launcher.samples import OPEN, Step, _ask, _assess, feed

ROUNDS = ("screen", "technical", "final")
_COMPANY_RATINGS = {  # (alice, bob) on company.level per round: the technical round declines on it
    "screen": ("yes", "strong_yes"),
    "technical": ("no", "strong_no"),
    "final": ("strong_yes", "strong_yes"),
}


def round_steps(candidacy_id: str, round_name: str) -> list[Step]:
    """One story-first round; the candidate assesses the company's goals in the screen and the final."""
    level = _COMPANY_RATINGS[round_name]
    steps: list[Step] = [
        ("open", "alice", OPEN | {"candidacy_id": candidacy_id, "round": round_name}),
        ("questions", "alice", _ask("q1", "invite_story", "Tell me about a system you built.")),
        ("stories", "cand-7", {"story_id": "s1", "kind": "success", "title": "An event pipeline",
                               "summary": "Built and ran a Kafka event pipeline.", "in_reply_to": "q1"}),
        ("questions", "bob", _ask("q2", "clarifying", "How did you make it exactly once?", "s1")),
        ("answers", "cand-7", {"answer_id": "a1", "question_id": "q2", "text": "Transactions, one writer."}),
        ("questions", "cand-7", _ask("q3", "about_role", "Who would I work with?")),
        ("answers", "bob", {"answer_id": "a2", "question_id": "q3", "text": "A team of five."}),
        ("assessments", "alice", _assess("g1", "company.level", level[0], "s1")),
        ("assessments", "bob", _assess("g2", "company.level", level[1], "a1")),
        ("assessments", "alice", _assess("g3", "company.application", "yes", "s1", "a1")),
        ("assessments", "bob", _assess("g4", "candidate.present", "yes", "a1")),
    ]  # fmt: skip
    if round_name != "technical":
        steps += [
            ("assessments", "cand-7", _assess("g5", "candidate.offer", "yes", "a2")),
            ("assessments", "cand-7", _assess("g6", "candidate.opportunity", "strong_yes", "a2")),
            ("assessments", "cand-7", _assess("g7", "company.attract", "yes", "a2")),
        ]
    return [*steps, ("conclusion", "alice", {"outcome": "completed"})]


async def feed_candidacy(interviews: httpx.AsyncClient, candidacy_id: str, run_id: str) -> list[str]:
    """Feed the three rounds through the interview service; their interview ids."""
    fed = []
    for round_name in ROUNDS:
        fed.append(await feed(interviews, f"iv-{round_name}-{run_id}", round_steps(candidacy_id, round_name)))
    return [f.interview_id for f in fed]


async def final_candidacy(
    decisions: httpx.AsyncClient, candidacy_id: str, rounds: int, timeout: float = 60.0
) -> dict[str, Any]:
    """Poll the decision API until the candidacy verdict rests on ``rounds`` concluded rounds."""
    for _ in range(int(timeout / 0.25)):
        response = await decisions.get(f"/candidacies/{candidacy_id}/verdict")
        if response.status_code == 200:
            verdict = response.json()["verdict"]
            if len(verdict["rounds"]) == rounds and all(r["concluded"] for r in verdict["rounds"]):
                return dict(response.json())
        await asyncio.sleep(0.25)
    raise RuntimeError(
        f"no candidacy verdict over {rounds} concluded rounds for {candidacy_id} after {timeout:.0f}s"
    )


def print_candidacy(console: Console, revision: dict[str, Any]) -> None:
    """Status, rounds, both sides and the mutual verdict, reasons citing the rounds, and signals.

    Plain lines, never wrapped (each reason cites several rounds: a wrapped cell would break them).
    """
    v = revision["verdict"]
    out = [f"[bold]candidacy {v['candidacy_id']}[/bold] — revision {v['revision']} ({v['policy_version']}), "
           f"status {v['status']}, mutual [bold]{v['mutual']}[/bold]"]  # fmt: skip
    out += [f"  round {r['round']}: {r['interview_id']} revision {r['revision']} ({r['mutual']}, "
            f"{r['outcome'] or 'open'}){'' if r.get('counted', True) else ', not counted'}"
            for r in v["rounds"]]  # fmt: skip
    for name in ("company", "candidate"):
        side = v[name]
        out.append(f"  {name}: [bold]{side['decision']}[/bold] — {side['text']}")
        for reason in side["reasons"]:
            evidence = len({e for g in reason["rounds"] for e in g["evidence_events"]})
            out.append(f"    {reason['text']} [{evidence} evidence events]")
        out += [
            f"    hold {h['code']}: {h['goal']} {h['mean']:+.2f} in {h['round']} ({h['interview_id']})"
            for h in side.get("holds", ())
        ]  # candidacy-v2 (ADR 0022)
    out += [f"  signal [yellow]{s['code']}[/yellow]: {s['message']}" for s in v["signals"]] or [
        "  signals: none"
    ]
    for line in out:
        console.print(line, soft_wrap=True, highlight=False)
