"""The exactly-once engine on the real broker: failures and rebalances never duplicate or lose output."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Mapping
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer, TopicPartition

from schemas.topics import Topics
from services.platform.eos import OutRecord, Record, TransactionalProcessor
from services.platform.log_reader import read_all, read_partition

pytestmark = pytest.mark.kafka


class CountingHandler:
    """Emits a running count per key; state is rebuilt from its own committed output."""

    def __init__(self, client: dict[str, Any], out_topic: str, fail_at_offset: int | None = None) -> None:
        self.client, self.out_topic = client, out_topic
        self.counts: dict[int, Counter[bytes]] = {}
        self.fail_at_offset = fail_at_offset
        self.rebuilds = 0
        self.produced: dict[TopicPartition, int] = {}  # next offset of each output partition, after commits

    async def assigned(self, partition: int) -> None:
        counts: Counter[bytes] = Counter()
        async for record in read_partition(self.client, self.out_topic, partition):
            counts[record.key] = int(record.value)
        self.counts[partition] = counts
        self.rebuilds += 1

    def revoked(self, partition: int) -> None:
        self.counts.pop(partition, None)

    def committed(self, partition: int, produced: Mapping[TopicPartition, int]) -> None:
        self.produced.update(produced)

    def owes(self, partition: int) -> bool:
        return False

    async def handle(self, partition: int, records: list[Record]) -> list[OutRecord]:
        counts = self.counts[partition]
        out = []
        for record in records:
            counts[record.key] += 1
            out.append(OutRecord(self.out_topic, record.key, str(counts[record.key]).encode(), [], partition))
            if record.offset == self.fail_at_offset:
                self.fail_at_offset = None
                raise RuntimeError("injected failure after mutating state")
        return out


async def _produce(client: dict[str, Any], topic: str, n: int, keys: int) -> None:
    producer = AIOKafkaProducer(enable_idempotence=True, **client)
    await producer.start()
    try:
        for i in range(n):
            await producer.send(topic, b"x", key=f"k{i % keys}".encode())
        await producer.flush()
    finally:
        await producer.stop()


async def _wait_for(client: dict[str, Any], topic: str, n: int, timeout: float = 60) -> list[Record]:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        records = await read_all(client, topic)
        if len(records) >= n or asyncio.get_running_loop().time() > deadline:
            return records
        await asyncio.sleep(0.3)


def _assert_exactly_once(records: list[Record], per_key: int, keys: int) -> None:
    by_key: dict[bytes, list[int]] = {}
    for record in records:
        by_key.setdefault(record.key, []).append(int(record.value))
    assert sorted(by_key) == sorted(f"k{i}".encode() for i in range(keys))
    for key, values in by_key.items():
        assert values == list(range(1, per_key + 1)), f"{key!r}: {values[:10]}..."


def _processor(
    client: dict[str, Any],
    topics: Topics,
    handler: CountingHandler,
    group: str,
    aborted: list[str] | None = None,
) -> TransactionalProcessor:
    return TransactionalProcessor(
        client,
        input_topic=topics.commands,
        group_id=group,
        transactional_prefix=f"{group}.tx",
        handler=handler,
        max_records=50,
        on_aborted=None if aborted is None else aborted.append,
    )  # fmt: skip


async def test_failed_batch_is_aborted_and_replayed_once(
    kafka_client: dict[str, Any], topics: Topics
) -> None:
    await _produce(kafka_client, topics.commands, 300, keys=5)
    handler = CountingHandler(kafka_client, topics.command_results, fail_at_offset=30)
    aborted: list[str] = []
    processor = _processor(kafka_client, topics, handler, f"g-{uuid.uuid4().hex[:6]}", aborted)
    task = asyncio.create_task(processor.run())
    try:
        records = await _wait_for(kafka_client, topics.command_results, 300)
    finally:
        await processor.stop()
        await asyncio.wait_for(task, 15)
    assert handler.fail_at_offset is None, "the injected failure never happened"
    assert aborted == ["failed"]  # what the *_transactions_aborted_total metrics count
    assert handler.rebuilds > 3  # 3 partitions assigned + at least one rebuild after the abort
    _assert_exactly_once(records, per_key=60, keys=5)
    last = {TopicPartition(r.topic, r.partition): r.offset for r in records}
    assert handler.produced == {tp: offset + 1 for tp, offset in last.items()}  # what commit() reports


async def test_rebalance_between_two_owners_keeps_exactly_once(
    kafka_client: dict[str, Any], topics: Topics
) -> None:
    group = f"g-{uuid.uuid4().hex[:6]}"
    first = _processor(kafka_client, topics, CountingHandler(kafka_client, topics.command_results), group)
    second = _processor(kafka_client, topics, CountingHandler(kafka_client, topics.command_results), group)
    tasks = [asyncio.create_task(first.run())]
    try:
        await _produce(kafka_client, topics.commands, 400, keys=8)
        tasks.append(asyncio.create_task(second.run()))
        await _produce(kafka_client, topics.commands, 400, keys=8)
        records = await _wait_for(kafka_client, topics.command_results, 800)
        assert first.assigned | second.assigned == {0, 1, 2}
    finally:
        await first.stop()
        await second.stop()
        await asyncio.wait_for(asyncio.gather(*tasks), 20)
    _assert_exactly_once(records, per_key=100, keys=8)


class FlakyRebuildHandler(CountingHandler):
    """Fails the first rebuild of partition 1 (a broker blip during a claim)."""

    def __init__(self, client: dict[str, Any], out_topic: str) -> None:
        super().__init__(client, out_topic)
        self.failed_once = False

    async def assigned(self, partition: int) -> None:
        if partition == 1 and not self.failed_once:
            self.failed_once = True
            raise RuntimeError("injected rebuild failure")
        await super().assigned(partition)


async def test_a_failed_claim_is_retried_and_no_partition_is_lost(
    kafka_client: dict[str, Any], topics: Topics
) -> None:
    await _produce(kafka_client, topics.commands, 90, keys=9)
    handler = FlakyRebuildHandler(kafka_client, topics.command_results)
    processor = _processor(kafka_client, topics, handler, f"g-{uuid.uuid4().hex[:6]}")
    task = asyncio.create_task(processor.run())
    try:
        records = await _wait_for(kafka_client, topics.command_results, 90)
        assert processor.ready
    finally:
        await processor.stop()
        await asyncio.wait_for(task, 15)
    assert handler.failed_once
    _assert_exactly_once(records, per_key=10, keys=9)


class PokedHandler(CountingHandler):
    """On an empty (poked) batch, emits a marker record for the partition."""

    async def handle(self, partition: int, records: list[Record]) -> list[OutRecord]:
        if not records:
            return [OutRecord(self.out_topic, b"poke", b"0", [], partition)]
        return await super().handle(partition, records)


async def test_poke_runs_a_transaction_without_input(kafka_client: dict[str, Any], topics: Topics) -> None:
    handler = PokedHandler(kafka_client, topics.command_results)
    processor = _processor(kafka_client, topics, handler, f"g-{uuid.uuid4().hex[:6]}")
    task = asyncio.create_task(processor.run())
    try:
        for _ in range(100):
            if processor.ready:
                break
            await asyncio.sleep(0.1)
        processor.poke(2)
        processor.poke(7)  # not a partition of this topic: ignored, not retried forever
        records = await _wait_for(kafka_client, topics.command_results, 1, timeout=20)
    finally:
        await processor.stop()
        await asyncio.wait_for(task, 15)
    assert [(r.partition, r.key) for r in records] == [(2, b"poke")]
