"""A revision that could never be produced parks its interview in the DLQ; the partition goes on."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from schemas import encode
from schemas.topics import Topics
from services.decision.adapters import handler as handler_module
from services.decision.adapters.handler import DecisionHandler, _Partition
from services.decision.adapters.snapshot import STATE_FORMAT
from services.decision.domain.policy import Policies
from services.decision.domain.replay import project
from services.platform.state import PartitionStore
from testkit.interviews import interleaved, story_first

TOPICS = Topics("unit.")


@dataclass(frozen=True)
class FakeRecord:
    """The fields of a consumed record the handler reads."""

    topic: str
    partition: int
    offset: int
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]


async def test_an_oversized_revision_parks_only_its_interview(monkeypatch: pytest.MonkeyPatch) -> None:
    events = interleaved(story_first("iv-big").events, story_first("iv-ok").events)
    directory = Path(tempfile.mkdtemp(prefix="decision-state-"))
    handler = DecisionHandler({}, TOPICS, "g", Policies(), directory)
    handler.partitions[0] = _Partition(PartitionStore(directory, TOPICS.decision_state, 0, STATE_FORMAT))
    records = [
        FakeRecord(TOPICS.interview_events, 0, offset, r.key, r.value, r.headers)
        for offset, r in enumerate(map(encode, events))
    ]
    # Every revision of iv-big measures over the limit; iv-ok's are as small as they really are.
    real = handler_module.record_bytes
    monkeypatch.setattr(handler_module, "record_bytes", lambda o: 10**9 if o.key == b"iv-big" else real(o))
    out = await handler.handle(0, records)  # type: ignore[arg-type]
    handler.committed(0, {})
    dead = [o for o in out if o.topic == TOPICS.dlq]
    assert len(dead) == 1
    assert dict(dead[0].headers)["dlq_code"] == b"revision_too_large"
    assert dead[0].key == b"iv-big"
    published = [o for o in out if o.topic == TOPICS.decision_events]
    assert published
    assert {o.key for o in published} == {b"iv-ok"}
    ok = [encode(e).value for e in project(events) if e.attributes.subject == "iv-ok"]
    assert [o.value for o in published] == ok  # the neighbour's revisions are exactly what they were
    assert handler.parked() == {"iv-big": "revision_too_large"}
