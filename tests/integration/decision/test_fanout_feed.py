"""One topic read once into several stores, each from its own position (ADR 0016)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from schemas.topics import Topics
from services.decision.adapters.verdict_store import FanoutFeed, FeedTarget
from tests.decision_support import eventually
from tests.integration.decision.test_participants_backfill import send
from tests.unit.decision.test_fanout import MemoryStore

pytestmark = pytest.mark.kafka


async def test_each_store_gets_every_record_once_from_its_own_position(
    kafka_client: dict[str, Any], topics: Topics
) -> None:
    topic = topics.verdicts
    await send(kafka_client, [(topic, f"iv-{n}".encode(), f"v{n}".encode(), []) for n in range(10)])
    behind, ahead = MemoryStore(), MemoryStore()
    ahead.read_to(0, 6, "latest")  # a store that read six records of partition 0 before a restart
    targets = [FeedTarget(behind), FeedTarget(ahead, source="latest")]
    feed = FanoutFeed(kafka_client, topic, targets)
    running = asyncio.create_task(feed.run())
    try:
        assert await eventually(lambda: _caught_up(targets), timeout=30)
        await send(kafka_client, [(topic, b"iv-10", b"v10", [])])  # and what comes after, to both

        async def both_have_the_new_one() -> bool:
            return behind.values[-1:] == ahead.values[-1:] == [b"v10"]

        assert await eventually(both_have_the_new_one, timeout=30)
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
    assert behind.values == [f"v{n}".encode() for n in range(11)]
    assert ahead.values == [f"v{n}".encode() for n in range(6, 11)]  # nothing it held, nothing twice
    assert feed.read == 11  # the topic was read once for both
    assert behind.position(0) == ahead.position(0, "latest") == 11


async def _caught_up(targets: list[FeedTarget]) -> bool:
    return all(t.caught_up.is_set() for t in targets)
