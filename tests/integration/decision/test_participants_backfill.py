"""Upgrading to decision.participants (ADR 0015): a partition restored from a changelog written before
that topic existed owes every interview's participant record, read once from its history."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from schemas import encode
from schemas.topics import Topics
from services.decision.adapters.handler import PARTICIPANTS_WRITTEN, DecisionHandler
from services.decision.adapters.snapshot import INTERVIEW, dump_state
from services.decision.domain.policy import Policies
from services.decision.domain.revisions import InterviewState
from services.platform.eos import OutRecord
from testkit.interviews import checklist, interleaved, story_first

pytestmark = pytest.mark.kafka


async def send(client: dict[str, Any], records: list[tuple[str, bytes, bytes | None, list[Any]]]) -> None:
    """Produce (topic, key, value, headers) to partition 0, plainly (not in a transaction)."""
    producer = AIOKafkaProducer(enable_idempotence=True, **client)
    await producer.start()
    try:
        for topic, key, value, headers in records:
            await producer.send_and_wait(topic, value, key=key, headers=headers, partition=0)
    finally:
        await producer.stop()


async def test_a_changelog_from_before_the_topic_owes_the_records_once(
    kafka_client: dict[str, Any], topics: Topics, tmp_path: Path
) -> None:
    history = interleaved(story_first("iv-a").events, checklist("iv-b").events, story_first("iv-c").events)
    await send(
        kafka_client, [(topics.interview_events, r.key, r.value, r.headers) for r in map(encode, history)]
    )
    # A changelog as the previous version wrote it: state, and no marker.
    await send(
        kafka_client, [(topics.decision_state, f"{INTERVIEW}iv-a".encode(), dump_state(InterviewState()), [])]
    )

    handler = DecisionHandler(kafka_client, topics, "g-upgrade", Policies(), tmp_path / "first")
    await handler.assigned(0)
    owed = handler.partitions[0].pending
    assert handler.owes(0)
    assert sorted(r.key for r in owed) == [b"iv-a", b"iv-b", b"iv-c"]
    assert {(r.topic, r.partition) for r in owed} == {(topics.participants, 0)}
    assert json.loads(owed[1].value or b"")["participants"][0] == ["cand", "candidate"]
    changelog: list[OutRecord] = handler.partitions[0].store.changelog()
    assert [(r.key, r.value) for r in changelog] == [(PARTICIPANTS_WRITTEN.encode(), b"1")]
    handler.revoked(0)

    # Once the marker is on the changelog (the next transaction writes it), a new owner owes nothing.
    await send(kafka_client, [(r.topic, r.key, r.value, []) for r in changelog])
    again = DecisionHandler(kafka_client, topics, "g-upgrade", Policies(), tmp_path / "second")
    await again.assigned(0)
    assert again.partitions[0].pending == []
    assert not again.owes(0)
    again.revoked(0)
