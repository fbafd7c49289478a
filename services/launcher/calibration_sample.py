"""A seeded sample panel with one interviewer whose ratings are consistently offset (issue 13).

``calibration_sample()`` describes the interviews (who sits on each panel, every rating); ``steps()``
turns one into the HTTP commands the main run's ``feed`` sends, and ``testkit.calibration`` turns it into
events. Each interview is a short story-first interview (no quality signals) with three of the seven
interviewers, each rating the company's three goals, and the candidate rating theirs. A candidate's
latent quality is drawn per interview, each goal and rater adds noise, and ``OFFSET_INTERVIEWER`` rates
``OFFSET`` points of latent quality lower than they see: the calibration report flags exactly them.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from typing import Any

import httpx
from rich.console import Console

from services.launcher.samples import FedInterview, Step, feed

INTERVIEWERS = ("ana", "ben", "chen", "dara", "eli", "fay", "vic")
OFFSET_INTERVIEWER = "vic"
OFFSET = -1.6
COMPANY_GOALS = ("company.level", "company.application", "candidate.present")
CANDIDATE_GOALS = ("candidate.offer", "candidate.opportunity", "company.attract")
SEED = 13


@dataclass(frozen=True)
class SampleInterview:
    """One interview of the sample: its panel and every rating ``(rater, goal, rating)``."""

    interview_id: str
    candidate: str
    panel: tuple[str, ...]
    ratings: tuple[tuple[str, str, str], ...]


def rating_of(x: float) -> str:
    """A latent score on the rating scale (cut at -1, 0 and +1)."""
    if x < -1:
        return "strong_no"
    if x < 0:
        return "no"
    return "yes" if x < 1 else "strong_yes"


def calibration_sample(
    interviews: int = 36, *, seed: int = SEED, prefix: str = "cal", offset: float = OFFSET,
    panel_size: int = 3,
) -> list[SampleInterview]:  # fmt: skip
    """``interviews`` seeded interviews; the same arguments give the same sample."""
    rng = random.Random(seed)
    out = []
    for n in range(1, interviews + 1):
        panel = tuple(sorted(rng.sample(INTERVIEWERS, panel_size)))
        quality = rng.gauss(0.3, 0.9)
        ratings = []
        for goal in COMPANY_GOALS:
            seen = quality + rng.gauss(0, 0.3)
            for who in panel:
                bias = offset if who == OFFSET_INTERVIEWER else 0.0
                ratings.append((who, goal, rating_of(seen + rng.gauss(0, 0.4) + bias)))
        candidate = f"{prefix}-cand-{n}"
        ratings.extend((candidate, goal, rating_of(rng.gauss(0.5, 0.8))) for goal in CANDIDATE_GOALS)
        out.append(SampleInterview(f"{prefix}-{n}", candidate, panel, tuple(ratings)))
    return out


def steps(sample: SampleInterview) -> list[Step]:
    """The interview as commands: a story invited and explored, a candidate question, ratings, done."""
    lead, cand = sample.panel[0], sample.candidate
    people = [{"id": cand, "side": "candidate", "role": "candidate"}] + [
        {"id": who, "side": "company", "role": "interviewer"} for who in sample.panel
    ]
    opened = {"candidacy_id": f"cy-{sample.interview_id}", "round": "technical",
              "position": "Backend engineer", "candidate_id": cand, "participants": people}  # fmt: skip
    out: list[Step] = [
        ("open", lead, opened),
        ("questions", lead, {"question_id": "q1", "kind": "invite_story", "text": "Tell me a story."}),
        (
            "stories",
            cand,
            {
                "story_id": "s1",
                "kind": "bug_hunt",
                "title": "A leak",
                "in_reply_to": "q1",
                "summary": "Traced a file-handle leak and fixed it.",
            },
        ),
        (
            "questions",
            sample.panel[1],
            {"question_id": "q2", "kind": "clarifying", "text": "How?", "about": "s1"},
        ),
        ("answers", cand, {"answer_id": "a1", "question_id": "q2", "text": "Heap dumps."}),
        (
            "questions",
            sample.panel[2 % len(sample.panel)],
            {"question_id": "q4", "kind": "clarifying", "text": "What did you change after?", "about": "a1"},
        ),
        ("answers", cand, {"answer_id": "a3", "question_id": "q4", "text": "Ownership of the close path."}),
        ("questions", cand, {"question_id": "q3", "kind": "about_role", "text": "What would I own?"}),
        ("answers", lead, {"answer_id": "a2", "question_id": "q3", "text": "The pipeline."}),
    ]
    for n, (who, goal, rating) in enumerate(sample.ratings, 1):
        evidence = ["a2"] if who == cand else ["s1", "a1", "a3"]
        out.append(("assessments", who, {"assessment_id": f"g{n}", "goal": goal, "rating": rating,
                                          "evidence": evidence}))  # fmt: skip
    out.append(("conclusion", lead, {"outcome": "completed"}))
    return out


async def feed_calibration_sample(
    http: httpx.AsyncClient, run_id: str, interviews: int = 36, *, seed: int = SEED, parallel: int = 6
) -> list[FedInterview]:
    """Feed the sample through the interview service's HTTP API, ``parallel`` interviews at a time."""
    samples = calibration_sample(interviews, seed=seed, prefix=f"cal-{run_id}")
    fed: list[FedInterview] = []
    for start in range(0, len(samples), parallel):
        batch = samples[start : start + parallel]
        fed.extend(await asyncio.gather(*(feed(http, s.interview_id, steps(s)) for s in batch)))
    return fed


async def final_calibration(
    decisions: httpx.AsyncClient, interview_ids: list[str], timeout: float = 60.0
) -> dict[str, Any]:
    """Poll ``GET /calibration`` until the final verdicts of all ``interview_ids`` are counted in it.

    The report counts every concluded interview the service has seen (the other samples too), so this
    waits for at least as many as were fed here, then for the count to stay the same for a second.
    """
    seen, still = -1, 0
    for _ in range(int(timeout / 0.25)):
        response = await decisions.get("/calibration")
        if response.status_code == 200:
            report = dict(response.json())
            count = int(report["interviews"])
            still = still + 1 if count == seen and count >= len(interview_ids) else 0
            if still >= 4:
                return report
            seen = count
        await asyncio.sleep(0.25)
    raise RuntimeError(
        f"calibration did not count the {len(interview_ids)} sample interviews in {timeout:.0f}s"
    )


def print_calibration(console: Console, report: dict[str, Any]) -> None:
    """Who is flagged, with the flagged severities (overall, per goal); the others in one line."""
    rules = report["rules"]
    console.print(
        f"calibration over {report['interviews']} concluded interviews, "
        f"method {report.get('method', '?')} "
        f"(flag: >= {rules['min_shared_interviews']} shared interviews, "
        f"|severity| >= {rules['min_offset']}, 95 % interval excluding 0)",
        soft_wrap=True,
    )
    for person in report["interviewers"]:
        if not person["flagged"]:
            continue
        overall = {
            "goal": "all goals",
            "offset": person.get("severity"),
            "interval": person.get("interval"),
            "flagged": person.get("severity_flagged"),
            "shared_interviews": person.get("shared_interviews"),
        }
        for goal in (overall, *person["goals"]):
            if goal["flagged"] and goal["offset"] is not None and goal["interval"] is not None:
                low, high = goal["interval"]
                console.print(
                    f"  flagged {person['interviewer']}: {goal['goal']} severity {goal['offset']:+.2f} "
                    f"[{low:+.2f}, {high:+.2f}] over {goal['shared_interviews']} shared interviews",
                    soft_wrap=True,
                )
    others = sorted(p["interviewer"] for p in report["interviewers"] if not p["flagged"])
    console.print(f"  not flagged: {', '.join(others) if others else 'no one'}", soft_wrap=True)
