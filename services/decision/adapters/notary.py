"""The notary (ADR 0026): one transparency-log tree per input partition, checkpoints published exactly once.

A ``PartitionHandler`` per logged topic: it appends each committed record's leaf to its partition's
compact range (O(log n) state) and, once ``interval_s`` has passed since the last checkpoint, returns a
signed checkpoint record for ``decision.checkpoints`` — in the transaction that also commits the input
offsets, so a checkpoint is never ahead of or behind what the tree holds. The tree is a deterministic
function of the partition's committed records; a new owner resumes it from the last checkpoint record
(its compact range and next offset) and re-reads only the committed records after it, up to the
group's committed offset: a crash never forks a tree.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import structlog
from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from schemas import merkle, tlog
from schemas.checkpoint import Checkpoint, Signer
from schemas.topics import Topics
from services.decision.adapters.metrics import NotaryMetrics
from services.decision.adapters.tlog_keys import sign_all
from services.decision.adapters.tlog_records import CheckpointRecord, leaf_of
from services.platform.eos import OutRecord, Record
from services.platform.log_reader import read_all, read_partition

log = structlog.get_logger(__name__)


@dataclass
class _Tree:
    """One partition's tree: its compact range, the next input offset, and what was last published."""

    range: merkle.CompactRange
    next_offset: int
    published: int
    published_at: float
    pending: CheckpointRecord | None = None


class NotaryHandler:
    """Trees of one logged topic's owned partitions; checkpoints at the interval's transaction boundary."""

    def __init__(
        self,
        client: dict[str, object],
        topics: Topics,
        base_topic: str,
        *,
        group: str,
        origin_base: str,
        signers: Sequence[Signer],
        interval_s: float,
        metrics: NotaryMetrics | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client, self.topics, self.base_topic = dict(client), topics, base_topic
        self.topic, self.group, self.origin_base = topics.name(base_topic), group, origin_base
        self.signers, self.interval_s, self.clock = list(signers), interval_s, clock
        self.metrics = metrics or NotaryMetrics()
        self.trees: dict[int, _Tree] = {}

    def origin(self, partition: int) -> str:
        """The checkpoint origin of a partition's tree."""
        return tlog.origin(self.origin_base, self.base_topic, partition)

    async def assigned(self, partition: int) -> None:
        """Resume the tree from its last checkpoint, then re-read the committed records after it."""
        latest = await self._latest(self.origin(partition))
        tree = _Tree(merkle.CompactRange(), 0, 0, float("-inf"))
        if latest is not None:
            tree = _Tree(latest.range, latest.next_offset, latest.range.size, float("-inf"))
        committed = await self._committed(partition)
        async for record in read_partition(self.client, self.topic, partition, tree.next_offset, committed):
            tree.range.append(leaf_of(record))
            tree.next_offset = record.offset + 1
        self.trees[partition] = tree
        log.info("transparency tree restored", origin=self.origin(partition), size=tree.range.size,
                 published=tree.published, next_offset=tree.next_offset)  # fmt: skip

    def revoked(self, partition: int) -> None:
        """Forget the partition's tree (its next owner resumes it from the topic)."""
        self.trees.pop(partition, None)

    async def handle(self, partition: int, records: list[Record]) -> list[OutRecord]:
        """Append the records' leaves; a checkpoint record when the interval has passed."""
        tree = self.trees[partition]
        fresh = [r for r in records if r.offset >= tree.next_offset]  # already in the tree: never twice
        for record in fresh:
            tree.range.append(leaf_of(record))
        if fresh:
            tree.next_offset = fresh[-1].offset + 1
            self.metrics.leaves.labels(self.base_topic).inc(len(fresh))
        if not self._due(tree):
            tree.pending = None
            return []
        tree.pending = self._checkpoint(partition, tree)
        out = OutRecord(self.topics.checkpoints, tree.pending.origin.encode(), tree.pending.encode(),
                        [("content-type", b"application/json")])  # fmt: skip
        return [out]

    def committed(self, partition: int, produced: Mapping[TopicPartition, int]) -> None:
        """The transaction committed: its checkpoint (if any) is published."""
        tree = self.trees.get(partition)
        if tree is not None and tree.pending is not None:
            tree.published, tree.published_at, tree.pending = tree.pending.size, self.clock(), None
            self.metrics.checkpoints.labels(self.base_topic).inc()

    def owes(self, partition: int) -> bool:
        """Leaves not covered by a published checkpoint (after a restore, or between intervals)."""
        tree = self.trees.get(partition)
        return tree is not None and tree.range.size > tree.published

    def due(self) -> set[int]:
        """Partitions whose next transaction would publish a checkpoint (the poke job runs one)."""
        return {p for p, tree in self.trees.items() if self._due(tree)}

    def _due(self, tree: _Tree) -> bool:
        return tree.range.size > tree.published and self.clock() - tree.published_at >= self.interval_s

    def _checkpoint(self, partition: int, tree: _Tree) -> CheckpointRecord:
        root = tree.range.root()
        origin = self.origin(partition)
        note = sign_all(Checkpoint(origin, tree.range.size, root), self.signers)
        state = merkle.CompactRange(tree.range.size, list(tree.range.hashes))
        return CheckpointRecord(origin, self.base_topic, partition, tree.range.size, root, note,
                                tree.next_offset, state)  # fmt: skip

    async def _latest(self, origin: str) -> CheckpointRecord | None:
        """The last checkpoint record of ``origin`` (the topic is compacted: about one per origin)."""
        found = None
        for record in await read_all(self.client, self.topics.checkpoints):
            if record.key == origin.encode() and record.value is not None:
                found = record.value
        return None if found is None else CheckpointRecord.decode(found)

    async def _committed(self, partition: int) -> int:
        """The group's committed input offset (0: none): where the engine resumes feeding records."""
        admin = AIOKafkaAdminClient(**self.client)
        await admin.start()
        try:
            tp = TopicPartition(self.topic, partition)
            offsets = await admin.list_consumer_group_offsets(self.group, partitions=[tp])
        finally:
            await admin.close()
        meta = offsets.get(tp)
        return max(meta.offset, 0) if meta is not None else 0
