"""Erase a candidate: destroy their data keys, and drop consumed commands (which carry clear text)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, RecordsToDelete

from schemas.topics import Topics
from services.platform.privacy.crypto import DataKey, Kek
from services.platform.privacy.keystore import KafkaKeyStore


@dataclass
class Erasure:
    """What ``erase_candidate`` did."""

    candidate_id: str
    kids: list[str]
    commands_deleted_to: dict[int, int] = field(default_factory=dict)
    """Per partition of interview.commands: records before this offset were deleted."""


async def erase_candidate(
    client: dict[str, Any], topics: Topics, kek: Kek, candidate_id: str, writer_group: str
) -> Erasure:
    """Tombstone every data key of ``candidate_id``, then delete the consumed command records."""
    store = KafkaKeyStore(client, topics.privacy_keys, kek)
    await store.start()
    try:
        kids = await store.erase(candidate_id)
    finally:
        await store.stop()
    deleted = await delete_consumed_commands(client, topics, writer_group)
    return Erasure(candidate_id, kids, deleted)


async def delete_consumed_commands(
    client: dict[str, Any], topics: Topics, writer_group: str, before_ms: int | None = None
) -> dict[int, int]:
    """Delete ``interview.commands`` records up to the writer group's committed offsets (deleteRecords).

    Commands are the one place text travels in the clear (from senders, who hold no keys). Once the
    writer committed a command, its events (sealed) and result are written: the command record is no
    longer needed, and a retry of the same idempotency key is answered from the writer's state.
    With ``before_ms`` (epoch ms), only consumed records older than that are deleted.
    """
    admin = AIOKafkaAdminClient(**client)
    await admin.start()
    try:
        committed = await admin.list_consumer_group_offsets(writer_group)
        ends = {tp: meta.offset for tp, meta in committed.items() if tp.topic == topics.commands}
        if before_ms is not None and ends:
            newer = await _offsets_at(client, list(ends), before_ms)
            ends = {tp: min(end, newer.get(tp, end)) for tp, end in ends.items()}
        targets = {tp: RecordsToDelete(end) for tp, end in ends.items() if end > 0}
        if not targets:
            return {}
        done = await admin.delete_records(targets, timeout_ms=30_000)
        return {tp.partition: offset for tp, offset in done.items()}
    finally:
        with contextlib.suppress(Exception):
            await admin.close()


async def _offsets_at(
    client: dict[str, Any], tps: list[TopicPartition], ms: int
) -> dict[TopicPartition, int]:
    """Per partition the first offset written at or after ``ms`` (absent: none was)."""
    consumer = AIOKafkaConsumer(**client, enable_auto_commit=False, group_id=None)
    await consumer.start()
    try:
        found = await consumer.offsets_for_times(dict.fromkeys(tps, ms))
    finally:
        await consumer.stop()
    return {tp: at.offset for tp, at in found.items() if at is not None}


async def key_snapshot(client: dict[str, Any], topics: Topics, kek: Kek) -> dict[str, DataKey]:
    """Every live data key, by key id, as the key topic holds them now (readers that show text)."""
    store = KafkaKeyStore(client, topics.privacy_keys, kek)
    await store.start()
    try:
        return store.snapshot()
    finally:
        await store.stop()
