"""The real broker: keyed order through a consumer group, and transactions (commit vs abort)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from schemas.topics import TOPIC_SPECS, Topics
from services.platform.topics import describe

pytestmark = pytest.mark.kafka


async def _drain(consumer: AIOKafkaConsumer, want: int, rounds: int = 40) -> list[Any]:
    got: list[Any] = []
    for _ in range(rounds):
        batch = await consumer.getmany(timeout_ms=500)
        for records in batch.values():
            got.extend(records)
        if len(got) >= want:
            break
    return got


async def test_topics_are_provisioned_with_their_policies(
    kafka_client: dict[str, Any], topics: Topics
) -> None:
    names = [topics.name(spec.name) for spec in TOPIC_SPECS]
    described = await describe(kafka_client, names)
    assert described[topics.interview_events]["config"]["retention.ms"] == "-1"
    assert described[topics.interview_events]["config"]["cleanup.policy"] == "delete"
    assert described[topics.verdicts]["config"]["cleanup.policy"] == "compact"
    assert described[topics.commands]["partitions"] == described[topics.interview_events]["partitions"]


async def test_idempotent_producer_keeps_per_key_order_for_a_group(
    kafka_client: dict[str, Any], topics: Topics
) -> None:
    producer = AIOKafkaProducer(enable_idempotence=True, **kafka_client)
    await producer.start()
    try:
        for n in range(60):
            key = f"iv-{n % 6}".encode()
            await producer.send(topics.interview_events, str(n).encode(), key=key)
        await producer.flush()
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        topics.interview_events, group_id=f"g-{uuid.uuid4()}", auto_offset_reset="earliest", **kafka_client
    )
    await consumer.start()
    try:
        records = await _drain(consumer, 60)
    finally:
        await consumer.stop()
    assert len(records) == 60
    for key in {r.key for r in records}:
        values = [int(r.value) for r in records if r.key == key]
        assert values == sorted(values), f"order broken for {key!r}"


async def test_read_committed_sees_only_committed_transaction(
    kafka_client: dict[str, Any], topics: Topics
) -> None:
    producer = AIOKafkaProducer(transactional_id=f"tx-{uuid.uuid4()}", **kafka_client)
    await producer.start()
    try:
        async with producer.transaction():
            for n in range(3):
                await producer.send(topics.decision_events, f"kept-{n}".encode(), key=b"iv")
        await producer.begin_transaction()
        await producer.send(topics.decision_events, b"dropped", key=b"iv")
        await producer.flush()
        await producer.abort_transaction()
        async with producer.transaction():
            await producer.send(topics.decision_events, b"kept-3", key=b"iv")
    finally:
        await producer.stop()
    committed = AIOKafkaConsumer(
        topics.decision_events, isolation_level="read_committed", auto_offset_reset="earliest", **kafka_client
    )
    uncommitted = AIOKafkaConsumer(
        topics.decision_events,
        isolation_level="read_uncommitted",
        auto_offset_reset="earliest",
        **kafka_client,
    )
    await committed.start()
    await uncommitted.start()
    try:
        seen = [r.value for r in await _drain(committed, 4)]
        raw = [r.value for r in await _drain(uncommitted, 5)]
    finally:
        await committed.stop()
        await uncommitted.stop()
    assert seen == [b"kept-0", b"kept-1", b"kept-2", b"kept-3"]
    assert b"dropped" in raw  # the aborted record is in the log, hidden by read_committed
