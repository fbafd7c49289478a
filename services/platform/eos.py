"""Exactly-once consume -> process -> produce on aiokafka, one transactional producer per partition.

aiokafka has transactions but not KIP-447, so each assigned input partition gets its own
transactional producer with a stable id ``<prefix>.<partition>``: starting it bumps the epoch and
fences any previous owner (a zombie after a crash or a long pause), which is what makes "one writer
per key" true across restarts and rebalances. Offsets are committed only inside the transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeAlias

import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, ConsumerRecord
from aiokafka.errors import KafkaError, ProducerFenced
from aiokafka.structs import TopicPartition

log = structlog.get_logger(__name__)

Record: TypeAlias = "ConsumerRecord[bytes, bytes]"


@dataclass(frozen=True)
class OutRecord:
    """A record to produce inside the current transaction."""

    topic: str
    key: bytes
    value: bytes | None
    headers: list[tuple[str, bytes]]
    partition: int | None = None  # None: the default murmur2 partitioner on the key


class PartitionHandler(Protocol):
    """What a service plugs into the engine; state is kept per input partition."""

    async def assigned(self, partition: int) -> None:
        """Rebuild the in-memory state of this partition (its old owner is already fenced)."""

    def revoked(self, partition: int) -> None:
        """Drop the in-memory state of this partition."""

    async def handle(self, partition: int, records: list[Record]) -> list[OutRecord]:
        """Process a batch; return the records to produce. Raising aborts the transaction."""


class _Listener(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(
        self,
        on_revoked: Callable[[set[TopicPartition]], Awaitable[None]],
        on_assigned: Callable[[set[TopicPartition]], Awaitable[None]],
    ) -> None:
        self._on_revoked, self._on_assigned = on_revoked, on_assigned

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        await self._on_revoked(revoked)

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        await self._on_assigned(assigned)


class TransactionalProcessor:
    """Consumes ``input_topic`` in a group and runs each batch in one Kafka transaction."""

    def __init__(
        self,
        client: dict[str, Any],
        *,
        input_topic: str,
        group_id: str,
        transactional_prefix: str,
        handler: PartitionHandler,
        max_records: int = 500,
        poll_timeout_ms: int = 100,
        on_committed: Callable[[int, list[Record]], None] | None = None,
        consumer_options: dict[str, Any] | None = None,
    ) -> None:
        self._client = client
        self._topic = input_topic
        self._group = group_id
        self._prefix = transactional_prefix
        self._handler = handler
        self._max_records = max_records
        self._poll_ms = poll_timeout_ms
        self._on_committed = on_committed
        # A crashed owner holds its partitions until its session expires: keep that short.
        self._consumer_options = {
            "session_timeout_ms": 6000,
            "heartbeat_interval_ms": 1500,
            **(consumer_options or {}),
        }
        self._producers: dict[int, AIOKafkaProducer] = {}
        self._lock = asyncio.Lock()
        self._stopping = asyncio.Event()
        self._consumer: AIOKafkaConsumer | None = None
        self._ready = False

    @property
    def ready(self) -> bool:
        """True once a group assignment has been received and its state rebuilt."""
        return self._ready and not self._stopping.is_set()

    @property
    def assigned(self) -> set[int]:
        """Input partitions this instance currently owns."""
        return set(self._producers)

    async def run(self) -> None:
        """Consume and process until ``stop()``; returns after leaving the group."""
        self._consumer = AIOKafkaConsumer(
            group_id=self._group,
            enable_auto_commit=False,
            isolation_level="read_committed",
            auto_offset_reset="earliest",
            max_poll_records=self._max_records,
            **self._consumer_options,
            **self._client,
        )
        self._consumer.subscribe([self._topic], listener=_Listener(self._revoke, self._assign))
        await self._consumer.start()
        try:
            await self._loop(self._consumer)
        finally:
            await self._shutdown(self._consumer)

    async def stop(self) -> None:
        """Ask the loop to finish the open batch, close producers and leave the group."""
        self._stopping.set()

    async def _loop(self, consumer: AIOKafkaConsumer) -> None:
        while not self._stopping.is_set():
            batches = await consumer.getmany(timeout_ms=self._poll_ms, max_records=self._max_records)
            for tp, records in batches.items():
                if records and not self._stopping.is_set():
                    async with self._lock:
                        await self._process(consumer, tp, records)

    async def _process(self, consumer: AIOKafkaConsumer, tp: TopicPartition, records: list[Record]) -> None:
        producer = self._producers.get(tp.partition)
        if producer is None:
            return  # revoked while fetched: the new owner will read these records
        try:
            await self._transaction(producer, tp, records)
        except ProducerFenced:
            log.warning("producer fenced; giving up partition until reassigned", partition=tp.partition)
            await self._drop(tp.partition)
            consumer.pause(tp)
        except Exception as exc:
            log.warning("transaction failed; rebuilding partition", partition=tp.partition, error=repr(exc))
            await self._reset(consumer, tp)
        else:
            if self._on_committed is not None:
                self._on_committed(tp.partition, records)

    async def _transaction(
        self, producer: AIOKafkaProducer, tp: TopicPartition, records: list[Record]
    ) -> None:
        await producer.begin_transaction()
        try:
            outputs = await self._handler.handle(tp.partition, records)
            for out in outputs:
                await producer.send(
                    out.topic, out.value, key=out.key, headers=out.headers, partition=out.partition
                )
            offsets = {tp: records[-1].offset + 1}
            await producer.send_offsets_to_transaction(offsets, self._group)
        except BaseException:
            with contextlib.suppress(KafkaError):
                await producer.abort_transaction()
            raise
        await producer.commit_transaction()

    async def _reset(self, consumer: AIOKafkaConsumer, tp: TopicPartition) -> None:
        """Close the partition's producer (never reuse it after a failure), start anew, rebuild.

        A failing rebuild (broker briefly away) is retried with backoff instead of ending the loop.
        """
        delay = 0.5
        while not self._stopping.is_set():
            await self._drop(tp.partition)
            await asyncio.sleep(delay)
            try:
                await self._claim(tp.partition)
                break
            except Exception as exc:
                log.warning("rebuild failed; retrying", partition=tp.partition, error=repr(exc))
                delay = min(delay * 2, 10.0)
        if tp.partition not in self._producers:
            return
        committed = await consumer.committed(tp)
        if committed is None:
            await consumer.seek_to_beginning(tp)
        else:
            consumer.seek(tp, committed)

    async def _claim(self, partition: int) -> None:
        """Start the partition's producer (fencing the old owner), then rebuild its state."""
        producer = AIOKafkaProducer(
            transactional_id=f"{self._prefix}.{partition}",
            acks="all",
            enable_idempotence=True,
            linger_ms=2,
            **self._client,
        )
        await producer.start()
        # An empty transaction forces InitProducerId now: the old owner is fenced before we read.
        await producer.begin_transaction()
        await producer.abort_transaction()
        self._producers[partition] = producer
        await self._handler.assigned(partition)

    async def _drop(self, partition: int) -> None:
        producer = self._producers.pop(partition, None)
        self._handler.revoked(partition)
        if producer is not None:
            with contextlib.suppress(Exception):
                await producer.stop()

    async def _revoke(self, revoked: set[TopicPartition]) -> None:
        async with self._lock:
            self._ready = False
            for tp in revoked:
                if tp.topic == self._topic:
                    await self._drop(tp.partition)

    async def _assign(self, assigned: set[TopicPartition]) -> None:
        async with self._lock:
            for tp in sorted(assigned):
                if tp.topic == self._topic and tp.partition not in self._producers:
                    await self._claim(tp.partition)
            self._ready = True
            log.info("partitions assigned", topic=self._topic, partitions=sorted(self._producers))

    async def _shutdown(self, consumer: AIOKafkaConsumer) -> None:
        async with self._lock:
            for partition in list(self._producers):
                await self._drop(partition)
        self._ready = False
        with contextlib.suppress(Exception):
            await consumer.stop()
