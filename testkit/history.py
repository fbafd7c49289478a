"""Large, realistic histories on a real broker: interviews run a few hundred at a time, as in life."""

from __future__ import annotations

from typing import Any

from aiokafka import AIOKafkaProducer

from schemas import encode
from testkit.interviews import stream

EVENTS_PER_INTERVIEW = 16
"""``stream`` alternates story-first (19 events) and checklist (13) interviews."""


async def fill_history(
    client: dict[str, Any], topic: str, events: int, *, concurrent: int = 500, prefix: str = "h"
) -> int:
    """Produce at least ``events`` interview events, ``concurrent`` interviews interleaved at a time.

    Returns how many were produced. Each block of interviews is complete (concluded) before the next
    starts, so the live set of open interviews stays bounded while the history grows.
    """
    producer = AIOKafkaProducer(enable_idempotence=True, linger_ms=20, max_batch_size=512 * 1024, **client)
    await producer.start()
    sent = block = 0
    try:
        while sent < events:
            for record in map(encode, stream(concurrent, prefix=f"{prefix}{block}")):
                await producer.send(topic, record.value, key=record.key, headers=record.headers)
                sent += 1
            block += 1
        await producer.flush()
    finally:
        await producer.stop()
    return sent
