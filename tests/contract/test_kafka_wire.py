"""Every event type survives a real broker: produce the encoded record, consume, decode."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from schemas import decode, encode
from schemas.registry import CURRENT
from schemas.topics import Topics
from tests.contract.samples import SAMPLES

pytestmark = pytest.mark.kafka


async def test_every_event_type_round_trips_through_the_broker(
    kafka_client: dict[str, Any], topics: Topics
) -> None:
    records = [encode(event) for event in SAMPLES.values()]
    producer = AIOKafkaProducer(enable_idempotence=True, **kafka_client)
    await producer.start()
    try:
        for record in records:
            await producer.send_and_wait(
                topics.name(record.topic), record.value, key=record.key, headers=record.headers
            )
    finally:
        await producer.stop()

    consumed = await _consume(
        kafka_client, [topics.name(t) for t in {r.topic for r in records}], len(records)
    )

    by_type = {}
    for message in consumed:
        stored_type = dict(message.headers)["ce_type"].decode()
        event = decode(message.value, message.headers, message.key)
        assert event.chain_hash == SAMPLES[stored_type].chain_hash  # the record as stored, byte for byte
        if stored_type in CURRENT:
            assert encode(event).headers == list(message.headers)  # header order and bytes kept
        by_type[stored_type] = event
    assert {t: e for t, e in by_type.items() if t in CURRENT} == {
        t: e for t, e in SAMPLES.items() if t in CURRENT
    }
    assert set(by_type) == set(SAMPLES)


async def _consume(client: dict[str, Any], names: list[str], want: int) -> list[Any]:
    consumer = AIOKafkaConsumer(
        *names,
        group_id=f"contract-{uuid.uuid4()}",
        auto_offset_reset="earliest",
        isolation_level="read_committed",
        **client,
    )
    await consumer.start()
    got: list[Any] = []
    try:
        for _ in range(40):
            for batch in (await consumer.getmany(timeout_ms=500)).values():
                got.extend(batch)
            if len(got) >= want:
                break
    finally:
        await consumer.stop()
    return got
