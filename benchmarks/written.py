"""What a consumer wrote to Kafka: records and bytes per topic, between two snapshots of every topic.

Each topic's last stable offsets (read_committed) are taken before a consumer starts and after it
stopped; every range that grew is read back with a read_committed consumer, so only committed records
count (aborted ones and transaction markers do not), and each record counts its key, value and headers
(names and values): the payload a downstream reader receives, without Kafka's batch overhead. Compaction
of the project's compacted topics is held off for the run (``hold_compaction``) so nothing written is
cleaned away before it is counted. The broker's own ``__consumer_offsets`` and ``__transaction_state``
are left out (offset commits and transaction bookkeeping, the same for every exactly-once processor).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from schemas.topics import TOPIC_SPECS, Topics

INTERNAL = ("__consumer_offsets", "__transaction_state")
Offsets = dict[TopicPartition, int]
Visitor = Callable[[bytes | None, bytes | None], None]
"""Called with (key, value) of each record read back from one topic."""


@dataclass
class Tally:
    """Records and payload bytes written to one topic."""

    records: int = 0
    size: int = 0
    """Bytes of payload."""

    def add(self, key: bytes | None, value: bytes | None, headers: Iterable[tuple[str, bytes]]) -> None:
        """Count one record."""
        self.records += 1
        self.size += record_bytes(key, value, headers)


def record_bytes(key: bytes | None, value: bytes | None, headers: Iterable[tuple[str, bytes]]) -> int:
    """Key, value and header names and values, in bytes (a null key or value is 0)."""
    size = len(key or b"") + len(value or b"")
    return size + sum(len(name.encode()) + len(v or b"") for name, v in headers)


def grown(before: Mapping[TopicPartition, int], after: Mapping[TopicPartition, int]) -> Offsets:
    """Start offset of each partition that grew (0 for a partition that did not exist before)."""
    return {tp: before.get(tp, 0) for tp, end in after.items() if end > before.get(tp, 0)}


def per_input(tallies: Mapping[str, Tally], events: int) -> dict[str, dict[str, float]]:
    """Each topic's records and bytes, and per input event; their total under ``"all topics"``."""
    total = Tally(sum(t.records for t in tallies.values()), sum(t.size for t in tallies.values()))
    rows = {**dict(sorted(tallies.items())), "all topics": total}
    return {
        name: {"records": t.records, "bytes": t.size, "records_per_event": t.records / events,
               "bytes_per_event": t.size / events}
        for name, t in rows.items()
    }  # fmt: skip


async def partitions(admin: AIOKafkaAdminClient, topics: list[str]) -> list[TopicPartition]:
    """Every partition of ``topics`` (those that exist)."""
    described = await admin.describe_topics(topics)
    return [TopicPartition(t["topic"], p["partition"]) for t in described if not t["error_code"]
            for p in t["partitions"]]  # fmt: skip


async def snapshot(client: dict[str, Any]) -> Offsets:
    """Last stable offset of every partition of every topic but the broker's own."""
    admin = AIOKafkaAdminClient(**client)
    consumer = AIOKafkaConsumer(isolation_level="read_committed", **client)
    await admin.start()
    await consumer.start()
    try:
        names = [t for t in await admin.list_topics() if t not in INTERNAL]
        parts = await partitions(admin, names) if names else []
        return dict(await consumer.end_offsets(parts)) if parts else {}
    finally:
        await consumer.stop()
        await admin.close()


HOLD_MS = str(12 * 3600 * 1000)


def _held(config: dict[str, str]) -> dict[str, str]:
    """``config`` with compaction held HOLD_MS, or its max.compaction.lag.ms (the broker refuses more)."""
    limit = int(config.get("max.compaction.lag.ms", HOLD_MS))
    return {**config, "min.compaction.lag.ms": str(min(int(HOLD_MS), limit))}


async def hold_compaction(client: dict[str, Any], topics: Topics) -> None:
    """No compaction of ``topics``' compacted topics for 12 hours, so what was written can be read back.

    The project's changelogs roll a segment every 16 MiB and the cleaner compacts closed segments at
    once (``schemas.topics``): records would vanish before they are counted. (Quix Streams' changelog keeps
    the broker's 1 GiB segments: nothing of it is compacted in a run.) Only
    ``min.compaction.lag.ms`` changes (the whole configuration is sent, as AlterConfigs replaces it).
    """
    resources = [
        ConfigResource(ConfigResourceType.TOPIC, topics.name(spec.name),
                       configs=_held(spec.config))
        for spec in TOPIC_SPECS if spec.cleanup == "compact"
    ]  # fmt: skip
    admin = AIOKafkaAdminClient(**client)
    await admin.start()
    try:
        for response in await admin.alter_configs(resources):
            failed = [r for r in response.resources if r[0]]
            if failed:
                raise RuntimeError(f"could not hold compaction: {failed}")
    finally:
        await admin.close()


async def read_back(
    client: dict[str, Any], before: Offsets, after: Offsets, skip: Iterable[str] = (),
    visit: Mapping[str, Visitor] | None = None, timeout: float = 300,
) -> dict[str, Tally]:  # fmt: skip
    """Tally per topic of what was committed between ``before`` and ``after`` (``skip``: topics left out)."""
    starts = {tp: o for tp, o in grown(before, after).items() if tp.topic not in set(skip)}
    tallies: dict[str, Tally] = {tp.topic: Tally() for tp in starts}
    if not starts:
        return tallies
    consumer = AIOKafkaConsumer(
        group_id=None, isolation_level="read_committed", enable_auto_commit=False,
        client_id=f"written-{uuid.uuid4().hex[:6]}", fetch_max_bytes=16 * 1024 * 1024, **client,
    )  # fmt: skip
    await consumer.start()
    try:
        consumer.assign(list(starts))
        for tp, offset in starts.items():
            consumer.seek(tp, offset)
        pending, deadline = set(starts), time.monotonic() + timeout
        while pending and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=500, max_records=5000)
            for tp, records in batches.items():
                seen = visit.get(tp.topic) if visit else None
                for r in records:
                    if r.offset < after[tp]:
                        tallies[tp.topic].add(r.key, r.value, r.headers)
                        if seen is not None:
                            seen(r.key, r.value)
            pending = {tp for tp in pending if await consumer.position(tp) < after[tp]}
        if pending:
            raise TimeoutError(f"could not read back {sorted(tp.topic for tp in pending)} in {timeout:.0f}s")
        return tallies
    finally:
        await consumer.stop()
