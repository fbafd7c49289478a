"""Every event type survives a real broker: produce the encoded record, consume, decode."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from schemas import decode, encode
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

    decoded = {}
    for message in consumed:
        event = decode(message.value, message.headers, message.key)
        assert encode(event).headers == list(message.headers)  # header order and bytes kept
        decoded[event.attributes.type] = event
    assert decoded == SAMPLES


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
