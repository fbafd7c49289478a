"""Helpers shared by the decision service's integration, e2e and fault tests."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from schemas.topics import Topics
from services.decision.adapters.rebuild import committed_offset
from services.decision.entrypoints.settings import DecisionSettings
from services.platform.broker import Broker
from services.platform.local_kafka import free_port as free_port  # re-exported for the tests
from services.platform.log_reader import read_all
from testkit.kafka import produce as produce
from testkit.kafka import produce_raw as produce_raw


def settings_for(kafka: Broker, topics: Topics, port: int, **overrides: Any) -> DecisionSettings:
    """Decision settings for the session broker and a test's topic prefix."""
    update = {"topic_prefix": topics.prefix, "partitions": 3}
    decision = DecisionSettings(port=port, log_json=True, **overrides)
    return decision.model_copy(update={"kafka": kafka.settings.model_copy(update=update)})


def env_for(kafka: Broker, topics: Topics, port: int) -> dict[str, str]:
    """Environment for ``python -m services.decision`` in a subprocess."""
    return {
        "KAFKA_BOOTSTRAP_SERVERS": str(kafka.settings.bootstrap_servers),
        "KAFKA_TOPIC_PREFIX": topics.prefix,
        "KAFKA_PARTITIONS": "3",
        "DECISION_PORT": str(port),
        "DECISION_LOG_LEVEL": "INFO",
    }


def by_key(records: list[Any]) -> dict[str, list[Any]]:
    """Records grouped by key, in offset order."""
    out: dict[str, list[Any]] = {}
    for record in sorted(records, key=lambda r: (r.partition, r.offset)):
        out.setdefault(record.key.decode(), []).append(record)
    return out


async def wait_for_records(client: dict[str, Any], topic: str, count: int, timeout: float = 60) -> list[Any]:
    """Poll a topic (read_committed) until it holds ``count`` records or the time is up."""
    deadline = time.monotonic() + timeout
    while True:
        records = await read_all(client, topic)
        if len(records) >= count or time.monotonic() > deadline:
            return records
        await asyncio.sleep(0.5)


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 30, every: float = 0.3) -> bool:
    """True as soon as ``check`` passes, False after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await check():
            return True
        await asyncio.sleep(every)
    return False


async def parked_count(base_url: str) -> int:
    """How many interviews the decision service's /readyz reports parked (-1 while it is not ready)."""
    async with httpx.AsyncClient(base_url=base_url) as http:
        response = await http.get("/readyz")
    return int(response.json().get("parked", -1)) if response.status_code == 200 else -1


async def all_consumed(client: dict[str, Any], group: str, topic: str, timeout: float = 60) -> bool:
    """True once ``group`` committed every record ``topic`` holds now, False after ``timeout``.

    An exactly-once processor commits its input offsets in the transaction of the outputs they caused:
    once every input is committed, nothing more can arrive from them (no fixed wait needed).
    """
    ends: dict[int, int] = {}
    for record in await read_all(client, topic):
        ends[record.partition] = max(ends.get(record.partition, 0), record.offset + 1)

    async def done() -> bool:
        return all([await committed_offset(client, group, topic, p) >= end for p, end in ends.items()])

    return await eventually(done, timeout=timeout)
