"""The interview writer's state as bytes for its changelog and local store (compact JSON, versioned).

A change to what is stored is a new ``STATE_FORMAT``: stores of another format are discarded and
restored afresh (a partition whose changelog holds only another format is rebuilt from its history).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from schemas.commands import CommandResult
from schemas.common import GoalId, Side
from services.interview.adapters.wire import RESULT_ADAPTER
from services.interview.domain import InterviewState

STATE_FORMAT = "interview-writer/3"  # /2: the candidate id; /3: a concluded one keeps its participants
INTERVIEW = "i:"
"""Key prefix of an interview's state: ``i:<interview id>``."""
KEY = "k:"
"""Key prefix of an idempotency key's first result: ``k:<interview id>\\x1f<key>``."""


def interview_key(interview_id: str) -> str:
    """Store key of an interview's state."""
    return INTERVIEW + interview_id


def result_key(interview_id: str, idempotency_key: str) -> str:
    """Store key of the first result of an idempotency key."""
    return f"{KEY}{interview_id}\x1f{idempotency_key}"


def dump_state(state: InterviewState) -> bytes:
    """Compact JSON of an interview's state."""
    doc: dict[str, Any] = {"v": state.version, "h": state.last_hash, "o": state.opened, "c": state.concluded}
    if state.last_time is not None:
        doc["t"] = state.last_time.isoformat()
    if state.unreadable is not None:
        doc["u"] = state.unreadable
    doc["p"] = {pid: side.value for pid, side in state.participants.items()}  # kept once concluded
    if not state.concluded:  # a retired interview keeps no item ids (``domain.state.retired``)
        doc |= {
            "cid": state.candidate_id,
            "s": sorted(state.stories), "a": sorted(state.answers), "q": dict(state.questions),
            "g": [[who, goal.value, aid] for (who, goal), aid in state.assessments.items()],
            "i": sorted(state.item_ids),
        }  # fmt: skip
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()


def load_state(interview_id: str, value: bytes) -> InterviewState:
    """An interview's state back from ``dump_state``."""
    doc = json.loads(value)
    return InterviewState(
        interview_id, doc["v"], doc["h"], datetime.fromisoformat(doc["t"]) if "t" in doc else None,
        opened=doc["o"], concluded=doc["c"],
        participants={pid: Side(side) for pid, side in doc.get("p", {}).items()},
        stories=frozenset(doc.get("s", ())), answers=frozenset(doc.get("a", ())), questions=doc.get("q", {}),
        assessments={(who, GoalId(goal)): aid for who, goal, aid in doc.get("g", ())},
        item_ids=frozenset(doc.get("i", ())), unreadable=doc.get("u"), candidate_id=doc.get("cid"),
    )  # fmt: skip


def dump_result(result: CommandResult) -> bytes:
    """A first result, as the results topic carries it."""
    return result.model_dump_json().encode()


def load_result(value: bytes) -> CommandResult:
    """A first result back."""
    return RESULT_ADAPTER.validate_json(value)
