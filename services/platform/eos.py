"""Exactly-once consume -> process -> produce on aiokafka, one transactional producer per partition.

aiokafka has transactions but not KIP-447, so each assigned input partition gets its own
transactional producer with a stable id ``<prefix>.<partition>``: starting it bumps the epoch and
fences any previous owner (a zombie after a crash or a long pause), which is what makes "one writer
per key" true across restarts and rebalances. Offsets are committed only inside the transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeAlias

import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, ConsumerRecord
from aiokafka.errors import KafkaError, ProducerFenced
from aiokafka.record.default_records import DefaultRecordBatchBuilder
from aiokafka.structs import TopicPartition

log = structlog.get_logger(__name__)

Record: TypeAlias = "ConsumerRecord[bytes, bytes]"

MAX_RECORD_BYTES = 1_048_576
"""The largest record batch sent: aiokafka's ``max_request_size``, under the broker's default 1 MiB limit.

A record over it can never be produced: a handler refuses or parks what would need one, instead of
failing its transaction (and its partition) forever.
"""


def record_bytes(out: OutRecord) -> int:
    """Bytes of a record batch holding only this record, as the producer sizes it."""
    return int(DefaultRecordBatchBuilder.estimate_size_in_bytes(out.key, out.value, out.headers))


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

    def committed(self, partition: int, produced: Mapping[TopicPartition, int]) -> None:
        """The last ``handle``'s transaction committed; ``produced``: next offset per output partition."""

    def owes(self, partition: int) -> bool:
        """Outputs or state are waiting for a transaction without new input (e.g. after a restore)."""


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


class _Backoff:
    """Exponential retry delay (0.5 s doubling to 10 s), reset by a success."""

    def __init__(self) -> None:
        self._delay = 0.0
        self._not_before = 0.0

    def due(self) -> bool:
        return time.monotonic() >= self._not_before

    def failed(self) -> None:
        self._delay = min(max(self._delay * 2, 0.5), 10.0)
        self._not_before = time.monotonic() + self._delay

    def succeeded(self) -> None:
        self._delay = 0.0
        self._not_before = 0.0


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
        on_aborted: Callable[[str], None] | None = None,
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
        # Told the reason ("fenced" or "failed") of every batch transaction that did not commit: a metric.
        self._on_aborted = on_aborted or (lambda _reason: None)
        # A crashed owner holds its partitions until its session expires: keep that short.
        self._consumer_options = {
            "session_timeout_ms": 6000,
            "heartbeat_interval_ms": 1500,
            **(consumer_options or {}),
        }
        self._producers: dict[int, AIOKafkaProducer] = {}
        self._next: dict[int, int] = {}  # next input offset to process, per claimed partition
        self._unclaimed: set[int] = set()  # assigned, but claiming failed: retried from the loop
        self._pokes: set[int] = set()
        self._claiming: dict[int, asyncio.Task[None]] = {}  # claims under way (restores can take a while)
        self._backoff = _Backoff()
        self._lock = asyncio.Lock()
        self._stopping = asyncio.Event()
        self._consumer: AIOKafkaConsumer | None = None
        self._ready = False

    @property
    def ready(self) -> bool:
        """True once every assigned partition has been claimed and its state rebuilt.

        An empty assignment is ready too: the member is a standby of its group (ADR 0030).
        """
        return self._ready and not self._unclaimed and not self._claiming and not self._stopping.is_set()

    @property
    def assigned(self) -> set[int]:
        """Input partitions this instance currently owns."""
        return set(self._producers)

    async def positions(self, timeout: float = 1.0) -> dict[int, int]:
        """Next offset the consumer reads, per owned partition.

        Unlike ``last processed offset + 1`` it has moved past transaction markers, which are records
        of the log that no consumer ever receives (so ``end offset - position`` is a true lag).
        """
        consumer, out = self._consumer, {}
        for partition in sorted(self.assigned) if consumer is not None else []:
            tp = TopicPartition(self._topic, partition)
            with contextlib.suppress(Exception):  # unassigned meanwhile, or no position yet
                out[partition] = await asyncio.wait_for(consumer.position(tp), timeout)  # type: ignore[union-attr]
        return out

    def poke(self, partition: int) -> None:
        """Run ``handle(partition, [])`` in a transaction soon (e.g. after an operator's release)."""
        self._pokes.add(partition)

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
            await self._retry_unclaimed(consumer)
            batches = await consumer.getmany(timeout_ms=self._poll_ms, max_records=self._max_records)
            for tp, records in batches.items():
                if records and not self._stopping.is_set():
                    async with self._lock:
                        await self._process(consumer, tp, records)
            for partition in sorted(self._pokes):
                if not self._stopping.is_set():
                    async with self._lock:
                        await self._process(consumer, TopicPartition(self._topic, partition), [])

    async def _process(self, consumer: AIOKafkaConsumer, tp: TopicPartition, records: list[Record]) -> None:
        producer = self._producers.get(tp.partition)
        if producer is None:
            if tp.partition not in self._unclaimed:
                self._pokes.discard(tp.partition)  # not ours: its owner serves it
            return  # revoked (the new owner reads these) or not claimed yet (claiming seeks back)
        # A batch fetched before a revoke+reassign may start below the committed offset: skip that part.
        records = [r for r in records if r.offset >= self._next[tp.partition]]
        poke = tp.partition in self._pokes
        if not records and not poke:
            return
        try:
            produced = await self._transaction(producer, tp, records)
        except ProducerFenced:
            self._on_aborted("fenced")
            log.warning("producer fenced; giving up partition until reassigned", partition=tp.partition)
            await self._drop(tp.partition)
            consumer.pause(tp)
        except Exception as exc:
            self._on_aborted("failed")
            log.warning("transaction failed; rebuilding partition", partition=tp.partition, error=repr(exc))
            await self._drop(tp.partition)
            self._unclaimed.add(tp.partition)
            self._backoff.failed()
        else:
            self._pokes.discard(tp.partition)
            self._handler.committed(tp.partition, produced)
            if records:
                self._next[tp.partition] = records[-1].offset + 1
                if self._on_committed is not None:
                    self._on_committed(tp.partition, records)

    async def _transaction(
        self, producer: AIOKafkaProducer, tp: TopicPartition, records: list[Record]
    ) -> dict[TopicPartition, int]:
        """Run ``handle`` in one transaction with the input offsets; the next offset per output partition."""
        await producer.begin_transaction()
        try:
            outputs = await self._handler.handle(tp.partition, records)
            sent = [
                await producer.send(o.topic, o.value, key=o.key, headers=o.headers, partition=o.partition)
                for o in outputs
            ]
            if records:
                offsets = {tp: records[-1].offset + 1}
                await producer.send_offsets_to_transaction(offsets, self._group)
        except BaseException:
            with contextlib.suppress(KafkaError):
                await producer.abort_transaction()
            raise
        await producer.commit_transaction()
        produced: dict[TopicPartition, int] = {}
        for future in sent:
            meta = future.result()  # done: the commit flushed every send
            where = TopicPartition(meta.topic, meta.partition)
            produced[where] = max(produced.get(where, 0), meta.offset + 1)
        return produced

    async def _retry_unclaimed(self, consumer: AIOKafkaConsumer) -> None:
        """Start claiming assigned partitions not claimed yet, with backoff after a failure.

        A claim restores the partition's state, which can take a while: it runs as a task of its own,
        outside the rebalance callback and the poll loop, so heartbeats and polls go on meanwhile.
        """
        if not self._unclaimed or not self._backoff.due():
            return
        owned = {tp.partition for tp in consumer.assignment() if tp.topic == self._topic}
        self._unclaimed &= owned
        for partition in sorted(self._unclaimed - self._claiming.keys()):
            task = asyncio.create_task(self._try_claim(consumer, partition), name=f"claim-{partition}")
            self._claiming[partition] = task

    async def _try_claim(self, consumer: AIOKafkaConsumer, partition: int) -> None:
        try:
            await self._claim(consumer, partition)
        except asyncio.CancelledError:
            raise  # revoked while claiming: the revoke cleans up
        except Exception as exc:
            log.warning("claiming partition failed; will retry", partition=partition, error=repr(exc))
            self._handler.revoked(partition)
            self._backoff.failed()
        else:
            self._unclaimed.discard(partition)
            if self._handler.owes(partition):
                self._pokes.add(partition)  # a first transaction writes what the restore owes
            self._backoff.succeeded()
            log.info("partition claimed", topic=self._topic, partition=partition)
        finally:
            self._claiming.pop(partition, None)

    async def _claim(self, consumer: AIOKafkaConsumer, partition: int) -> None:
        """Start the partition's producer (fencing the old owner), restore its state, seek, resume."""
        producer = AIOKafkaProducer(
            transactional_id=f"{self._prefix}.{partition}",
            acks="all",
            enable_idempotence=True,
            linger_ms=2,
            # A whole transaction's outputs are appended at once: at the default 16 KiB a batch fills
            # every few records and each send then waits for the sender to drain it (one produce
            # request per handful of records). 256 KiB stays well under the 1 MiB message.max.bytes.
            max_batch_size=256 * 1024,
            # A transaction begun right after the previous commit is refused until the broker has
            # written that commit's markers (CONCURRENT_TRANSACTIONS); aiokafka then waits a fixed
            # retry backoff, 100 ms by default: most of a command's latency under load. The markers
            # take a few ms, so retry soon (benchmarks.transactions: p99 127 ms -> 37 ms per txn).
            retry_backoff_ms=10,
            **self._client,
        )
        try:
            await producer.start()
            # An empty transaction forces InitProducerId now. It returns only once the old owner's open
            # transaction is completed (committed or aborted), so what we read next is final.
            await producer.begin_transaction()
            await producer.abort_transaction()
            await self._handler.assigned(partition)
            tp = TopicPartition(self._topic, partition)
            committed = await consumer.committed(tp)
        except BaseException:
            with contextlib.suppress(Exception):
                await producer.stop()
            raise
        self._next[partition] = committed or 0
        if committed is None:
            await consumer.seek_to_beginning(tp)
        else:
            consumer.seek(tp, committed)
        self._producers[partition] = producer
        consumer.resume(tp)

    async def _drop(self, partition: int) -> None:
        producer = self._producers.pop(partition, None)
        self._next.pop(partition, None)
        self._handler.revoked(partition)
        if producer is not None:
            with contextlib.suppress(Exception):
                await producer.stop()

    async def _revoke(self, revoked: set[TopicPartition]) -> None:
        self._ready = False
        for tp in revoked:
            if tp.topic != self._topic:
                continue
            claim = self._claiming.pop(tp.partition, None)
            if claim is not None:
                claim.cancel()
                with contextlib.suppress(BaseException):
                    await claim
            self._unclaimed.discard(tp.partition)
            self._pokes.discard(tp.partition)
            async with self._lock:  # a transaction under way finishes first
                await self._drop(tp.partition)

    async def _assign(self, assigned: set[TopicPartition]) -> None:
        # Nothing slow here (aiokafka sends no heartbeats during this callback): pause the partitions
        # and let the loop claim them, each in a task of its own.
        consumer = self._consumer
        assert consumer is not None
        mine = {tp for tp in assigned if tp.topic == self._topic and tp.partition not in self._producers}
        consumer.pause(*mine)
        self._unclaimed |= {tp.partition for tp in mine}
        self._backoff.succeeded()
        self._ready = True
        log.info("partitions assigned", topic=self._topic, partitions=sorted(tp.partition for tp in assigned))

    async def _shutdown(self, consumer: AIOKafkaConsumer) -> None:
        for claim in list(self._claiming.values()):
            claim.cancel()
        await asyncio.gather(*self._claiming.values(), return_exceptions=True)
        async with self._lock:
            for partition in list(self._producers):
                await self._drop(partition)
        self._ready = False
        with contextlib.suppress(Exception):
            await consumer.stop()
