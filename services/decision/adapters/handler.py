"""The decision service's partition handler for the exactly-once engine: decode, step, emit."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import structlog
from aiokafka.errors import KafkaError

from services.decision.adapters.rebuild import PartitionState, rebuild
from services.decision.adapters.records import dlq_record, input_of, revision_records
from services.decision.domain.policy import Policy
from services.decision.domain.replay import subject_of
from services.decision.domain.revisions import InterviewState, step
from services.platform.eos import OutRecord, Record
from services.platform.topics import Topics

log = structlog.get_logger(__name__)


class RebuildRequestedError(RuntimeError):
    """Raised inside a batch to make the engine abort it and rebuild the partition (e.g. after a release)."""


class DecisionHandler:
    """Every interview of each owned partition in memory; all outputs go through the engine's transaction."""

    def __init__(self, client: dict[str, Any], topics: Topics, group: str, policy: Policy) -> None:
        self.client, self.topics, self.group, self.policy = client, topics, group, policy
        self.partitions: dict[int, PartitionState] = {}
        self.batch: dict[int, Counter[str]] = {}
        self._rebuild: set[int] = set()

    async def assigned(self, partition: int) -> None:
        """Rebuild the partition from Kafka (the old owner is already fenced)."""
        self._rebuild.discard(partition)
        state = await self._rebuild_with_retries(partition)
        self.partitions[partition] = state
        log.info(
            "partition rebuilt",
            partition=partition,
            interviews=len(state.interviews),
            owed=len(state.pending),
        )

    async def _rebuild_with_retries(self, partition: int, attempts: int = 5) -> PartitionState:
        # A failure here would escape the engine's loop: absorb transient broker errors first.
        for attempt in range(1, attempts + 1):
            try:
                return await rebuild(self.client, self.topics, self.group, partition, self.policy)
            except KafkaError as exc:
                if attempt == attempts:
                    raise
                log.warning("rebuild failed; retrying", partition=partition, error=repr(exc))
                await asyncio.sleep(0.5 * attempt)
        raise AssertionError("unreachable")

    def revoked(self, partition: int) -> None:
        """Forget the partition."""
        self.partitions.pop(partition, None)

    def request_rebuild(self, partition: int) -> None:
        """Rebuild the partition at its next batch (a parked record was released)."""
        if partition in self.partitions:
            self._rebuild.add(partition)

    async def handle(self, partition: int, records: list[Record]) -> list[OutRecord]:
        """Step every record; revisions to decision.events + verdicts, poison to the DLQ."""
        if partition in self._rebuild:
            raise RebuildRequestedError(f"partition {partition}: a parked record was released")
        state = self.partitions[partition]
        out, state.pending = state.pending, []
        counts: Counter[str] = Counter(owed=len(out))
        for record in records:
            out.extend(self._step(state, partition, record, counts))
        self.batch[partition] = counts
        return out

    def _step(
        self, state: PartitionState, partition: int, record: Record, counts: Counter[str]
    ) -> list[OutRecord]:
        item = input_of(record)
        key = subject_of(item)
        interview, revision, poison = step(
            state.interviews.get(key, InterviewState()), item, self.policy, record.offset
        )
        state.interviews[key] = interview
        counts["projected"] += 1
        if poison is not None:
            counts["dlq"] += 1
            log.warning("record parked", interview=key, offset=record.offset, code=poison.code)
            return [dlq_record(record, poison, self.topics)]
        if revision is None:
            return []
        counts["revisions"] += 1
        return revision_records(revision, self.topics, partition)

    def parked(self) -> dict[str, str]:
        """Interviews parked behind a DLQ record, with the reason code."""
        return {
            key: s.parked.code
            for state in self.partitions.values()
            for key, s in state.interviews.items()
            if s.parked is not None
        }
