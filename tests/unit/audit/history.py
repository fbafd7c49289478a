"""Synthetic histories for audit tests: clean logs and precise ways to tamper with them."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from schemas.common import Rating
from schemas.envelope import Event
from services.audit.domain.records import LogRecord, records_of
from services.decision.domain.replay import project
from testkit.interviews import CANDIDATE, checklist, interleaved, story_first

Records = list[LogRecord]


def interview_events() -> list[Event]:
    """Two story-first and one checklist interview, interleaved as the service would log them."""
    return interleaved(story_first("iv-a").events, checklist("iv-b").events, story_first("iv-c").events)


def clean() -> tuple[Records, Records]:
    """Interview records and the decision records the service publishes for them."""
    events = interview_events()
    return records_of(events), records_of(project(events))


def index_of(records: Records, interview: str, sequence: int) -> int:
    """Position of an interview's event in the log."""
    for i, r in enumerate(records):
        if r.subject() == interview and int(r.attributes["sequence"]) == sequence:
            return i
    raise LookupError(f"{interview}/{sequence} not in the log")


def edit_data(records: Records, index: int, change: Callable[[dict[str, Any]], None]) -> Records:
    """A copy with one record's JSON payload edited in place by ``change``."""
    data = json.loads(records[index].value or b"{}")
    change(data)
    out = list(records)
    out[index] = replace(records[index], value=json.dumps(data).encode())
    return out


def drop(records: Records, index: int) -> Records:
    """A copy without one record."""
    return records[:index] + records[index + 1 :]


def swap(records: Records, i: int, j: int) -> Records:
    """A copy with two records exchanged (offsets travel with them, as in an edited export)."""
    out = list(records)
    out[i], out[j] = out[j], out[i]
    return out


def sequence_of_data(records: Records, interview: str, key: str, value: str) -> int:
    """Sequence of the interview's event whose data has ``key == value``."""
    for r in records:
        if r.subject() == interview and json.loads(r.value or b"{}").get(key) == value:
            return int(r.attributes["sequence"])
    raise LookupError(f"{interview}: no event with {key}={value}")


def enthusiastic(interview_id: str) -> list[Event]:
    """Like story_first, but the candidate rates every goal strong_yes (score 2 instead of 1)."""
    s = story_first(interview_id)
    s.events = s.events[:-4]  # drop the candidate's three yes ratings and the conclusion
    for i, goal in enumerate(CANDIDATE, 1):
        s.assess(f"k{i}", goal, Rating.STRONG_YES, by="cand", evidence=("a4",))
    return list(s.conclude().events)
