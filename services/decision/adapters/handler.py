"""The decision service's partition handler for the exactly-once engine: decode, step, emit."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import structlog
from aiokafka.errors import KafkaError

from schemas.topics import Topics
from services.decision.adapters.rebuild import PartitionState, rebuild
from services.decision.adapters.records import dlq_record, input_of, revision_records
from services.decision.adapters.verdict_store import Handoff
from services.decision.domain.policy import Policies
from services.decision.domain.replay import subject_of
from services.decision.domain.revisions import InterviewState, step
from services.platform.eos import OutRecord, Record

log = structlog.get_logger(__name__)


class RebuildRequestedError(RuntimeError):
    """Raised inside a batch to make the engine abort it and rebuild the partition (e.g. after a release)."""


class DecisionHandler:
    """Every interview of each owned partition in memory; all outputs go through the engine's transaction."""

    def __init__(
        self,
        client: dict[str, Any],
        topics: Topics,
        group: str,
        policies: Policies,
        handoff: Handoff | None = None,
    ) -> None:
        self.client, self.topics, self.group, self.policies = client, topics, group, policies
        self.handoff = handoff or Handoff()
        self.partitions: dict[int, PartitionState] = {}
        self.batch: dict[int, Counter[str]] = {}
        self._rebuild: set[int] = set()
        self._released: dict[int, int] = {}  # highest DLQ offset of a release seen, per partition

    async def assigned(self, partition: int) -> None:
        """Rebuild the partition from Kafka (the old owner is already fenced)."""
        self._rebuild.discard(partition)
        state = await self._rebuild_with_retries(partition)
        self.partitions[partition] = state
        self._check_stale(partition)  # a release may have landed after the rebuild read the DLQ
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
                return await rebuild(self.client, self.topics, self.group, partition, self.policies)
            except KafkaError as exc:
                if attempt == attempts:
                    raise
                log.warning("rebuild failed; retrying", partition=partition, error=repr(exc))
                await asyncio.sleep(0.5 * attempt)
        raise AssertionError("unreachable")

    def revoked(self, partition: int) -> None:
        """Forget the partition."""
        self.partitions.pop(partition, None)

    def note_release(self, partition: int, dlq_offset: int) -> None:
        """An operator's release at ``dlq_offset``: if our state predates it, rebuild at the next poke."""
        self._released[partition] = max(self._released.get(partition, -1), dlq_offset)
        self._check_stale(partition)

    def _check_stale(self, partition: int) -> None:
        state = self.partitions.get(partition)
        if state is not None and self._released.get(partition, -1) > state.dlq_seen:
            log.info("parked record released; partition will rebuild", partition=partition)
            self._rebuild.add(partition)

    def stale(self) -> set[int]:
        """Owned partitions to poke: state predating a release, or revisions owed since a rebuild.

        A quiet partition gets no batch, so without a poke neither would ever be acted on.
        """
        owing = {p for p, state in self.partitions.items() if state.pending}
        return owing | {p for p in self._rebuild if p in self.partitions}

    async def handle(self, partition: int, records: list[Record]) -> list[OutRecord]:
        """Step every record (none for a poke); revisions to decision.events + verdicts, poison to the DLQ."""
        if partition in self._rebuild:  # the engine aborts, rebuilds (owed revisions) and retries
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
            state.interviews.get(key, InterviewState()), item, self.policies, record.offset
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
        records = revision_records(revision, self.topics, partition)
        published = records[0]  # the decision.events copy, read back by this process's query side
        self.handoff.offer(revision, published.key, published.value, published.headers)
        return records

    def parked(self) -> dict[str, str]:
        """Interviews parked behind a DLQ record, with the reason code."""
        return {
            key: s.parked.code
            for state in self.partitions.values()
            for key, s in state.interviews.items()
            if s.parked is not None
        }
