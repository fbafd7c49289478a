"""Seeded, varied interview histories: stories, every question kind, re-assessments, split panels.

For checks that a faster projection publishes byte for byte what the reference one did.
"""

from __future__ import annotations

import random

from schemas.common import Confidence, Outcome, QuestionKind, Rating
from schemas.envelope import Event
from testkit.interviews import CANDIDATE, COMPANY, Script, interleaved

RATINGS = tuple(Rating)
KINDS = tuple(QuestionKind)


def varied(interview_id: str, rng: random.Random) -> Script:
    """One interview of random shape (always opened; concluded most of the time)."""
    s = Script(interview_id, interviewers=rng.randint(1, 3)).opened()
    company = [who for who in s.sides if who != "cand"]
    items: list[str] = []
    for step in range(rng.randint(3, 30)):
        roll = rng.random()
        if roll < 0.15:
            s.story(f"s{step}", in_reply_to=rng.choice(items) if items and rng.random() < 0.5 else None)
            items.append(f"s{step}")
        elif roll < 0.45:
            asker = rng.choice(company) if rng.random() < 0.8 else "cand"
            about = rng.choice(items) if items and rng.random() < 0.6 else None
            s.ask(f"q{step}", rng.choice(KINDS), asker=asker, about=about)
            if rng.random() < 0.7:
                s.answer(f"a{step}", f"q{step}", answerer="cand" if asker != "cand" else company[0])
                items.append(f"a{step}")
        else:
            by = rng.choice([*company, "cand"])
            goals = CANDIDATE if by == "cand" else COMPANY
            if rng.random() < 0.15:
                goals = CANDIDATE if by != "cand" else COMPANY  # a goal of the other side
            evidence = tuple(rng.sample(items, min(len(items), rng.randint(0, 2)))) or ("none",)
            confidence = rng.choice([None, *Confidence]) if rng.random() < 0.5 else None
            s.assess(f"g{step}", rng.choice(goals), rng.choice(RATINGS), by=by, evidence=evidence,
                     confidence=confidence)  # fmt: skip
    if rng.random() < 0.85:
        s.conclude(rng.choice(tuple(Outcome)))
    return s


def varied_stream(interviews: int, seed: int = 9) -> list[Event]:
    """``interviews`` varied interviews, interleaved round-robin."""
    rng = random.Random(seed)
    return interleaved(*(varied(f"vr-{i}", rng).events for i in range(interviews)))
