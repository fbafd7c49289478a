"""Put sample histories on a real broker (tests and benchmarks)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterable
from typing import Any

from aiokafka import AIOKafkaProducer

from schemas import encode
from schemas.envelope import Event


async def produce(
    client: dict[str, Any], topic: str, events: Iterable[Event], *, transactional: bool = False
) -> int:
    """Send interview events (binary mode, key = interview id, default partitioner); returns how many.

    ``transactional`` sends them in one transaction, as the interview writer does: each partition's
    log then ends with a transaction marker after the events.
    """
    txn = {"transactional_id": f"testkit-{uuid.uuid4()}"} if transactional else {}
    producer = AIOKafkaProducer(enable_idempotence=True, linger_ms=5, **txn, **client)
    await producer.start()
    try:
        if transactional:
            await producer.begin_transaction()
        sent = [
            await producer.send(topic, r.value, key=r.key, headers=r.headers) for r in map(encode, events)
        ]
        await asyncio.gather(*sent)
        if transactional:
            await producer.commit_transaction()
        return len(sent)
    finally:
        await producer.stop()


async def produce_raw(
    client: dict[str, Any], topic: str, key: bytes, value: bytes, headers: list[Any]
) -> None:
    """Send one arbitrary record (poison tests)."""
    producer = AIOKafkaProducer(**client)
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, key=key, headers=headers)
    finally:
        await producer.stop()
