"""The decision service's partition handler for the exactly-once engine: decode, step, emit.

Each owned partition's interviews live in a ``PartitionStore`` (SQLite on local disk) whose changes go
to the compacted ``decision.state`` changelog in the same transaction as the revisions, the DLQ
records and the input offsets; a new owner restores from it. The partition is replayed from
``interview.events`` only when the changelog holds nothing (a first start over an existing history)
or after an operator released a parked record (its interview must be replayed from the record on).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import structlog
from aiokafka import TopicPartition
from aiokafka.errors import KafkaError
from opentelemetry.trace import SpanKind

from schemas.envelope import Event
from schemas.topics import Topics
from services.decision.adapters.rebuild import PartitionState, participants_from_history, rebuild
from services.decision.adapters.records import (
    dlq_record,
    input_of,
    participant_record,
    revision_records,
    round_record,
    shadow_record,
)
from services.decision.adapters.shadowing import mark_shadow, settle_shadows, still_shadowed
from services.decision.adapters.snapshot import (
    DLQ_SEEN,
    INTERVIEW,
    SHADOW,
    STATE_FORMAT,
    dump_shadow,
    dump_state,
    load_shadow,
    load_state,
)
from services.decision.domain.policy import Policies, Policy
from services.decision.domain.replay import subject_of
from services.decision.domain.revisions import InterviewState, Poison, step
from services.decision.domain.shadow import NOT_SHADOWED, Shadowed, settled_shadow, shadow_revise
from services.platform.cache import StateCache
from services.platform.eos import MAX_RECORD_BYTES, OutRecord, Record, record_bytes
from services.platform.state import PartitionStore, default_state_dir
from services.platform.tracing import TRACER, context_of_headers, tracing_on

log = structlog.get_logger(__name__)

PARKED = "x:"
"""Key prefix of the parked-interview index: ``x:<interview id>`` -> reason code."""
PARTICIPANTS_WRITTEN = "m:participants/1"
"""Set once ``decision.participants`` holds every interview of the partition (ADR 0015): a store
restored without it (written before that topic existed) owes the records, read from history once."""
CACHE_PER_PARTITION = 2000
"""Decoded interview states kept in memory per partition (the store holds them all, on disk)."""


class RebuildRequestedError(RuntimeError):
    """Raised inside a batch to make the engine abort it and rebuild the partition (e.g. after a release)."""


@dataclass
class _Partition:
    """One owned partition: its store, a cache of decoded states, and outputs owed by a rebuild."""

    store: PartitionStore
    pending: list[OutRecord] = field(default_factory=list)
    cache: StateCache[InterviewState] = field(default_factory=lambda: StateCache(CACHE_PER_PARTITION))
    shadows: StateCache[Shadowed] = field(default_factory=lambda: StateCache(CACHE_PER_PARTITION))

    @property
    def dlq_seen(self) -> int:
        value = self.store.get(DLQ_SEEN)
        return int(value) if value is not None else -1

    def interview(self, key: str) -> InterviewState:
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        value = self.store.get(INTERVIEW + key)
        state = load_state(value) if value is not None else InterviewState()
        self.cache.put(key, state)
        return state

    def keep(self, key: str, state: InterviewState) -> None:
        """Change an interview's state in this transaction (encoded once, when the batch ends)."""
        self.cache.put(key, state, dirty=True)

    def shadow(self, key: str) -> Shadowed:
        """An interview's shadow bookkeeping (ADR 0024); ``NOT_SHADOWED`` when the store has none."""
        cached = self.shadows.get(key)
        if cached is not None:
            return cached
        value = self.store.get(SHADOW + key)
        shadow = Shadowed(load_shadow(value)) if value is not None else NOT_SHADOWED
        self.shadows.put(key, shadow)
        return shadow

    def flush(self) -> list[OutRecord]:
        """Write the batch's changed interviews to the store; its changelog records."""
        for key, state in self.cache.flush():
            self.store.put(INTERVIEW + key, dump_state(state))
        for key, shadow in self.shadows.flush():
            last = shadow.last
            self.store.put(SHADOW + key, dump_shadow(last) if last is not None else None)
        return self.store.changelog()


class DecisionHandler:
    """Steps each owned partition's interviews; all outputs and state changes go through the transaction."""

    def __init__(
        self,
        client: dict[str, Any],
        topics: Topics,
        group: str,
        policies: Policies,
        state_dir: Path | None = None,
        shadow: Policy | None = None,
    ) -> None:
        self.client, self.topics, self.group, self.policies = client, topics, group, policies
        self.shadow = shadow
        """The policy run in shadow (``DECISION_SHADOW_POLICY``, ADR 0024); None: no shadow, no cost."""
        self._state_dir = state_dir or default_state_dir()
        self.partitions: dict[int, _Partition] = {}
        self.batch: dict[int, Counter[str]] = {}
        self._rebuild: set[int] = set()  # a release landed: replay from history at the next claim
        self._released: dict[int, int] = {}  # highest DLQ offset of a release seen, per partition

    async def assigned(self, partition: int) -> None:
        """Restore the partition from its changelog; replay history when that is empty or stale."""
        began = time.monotonic()
        store = PartitionStore(self._state_dir, self.topics.decision_state, partition, STATE_FORMAT)
        try:
            restored = await store.restore(self.client)
            owned = _Partition(store)
            settle_shadows(store, self.shadow)  # ADR 0024
            if restored.keys == 0 or partition in self._rebuild:
                await self._replay(owned, partition)
            elif store.get(PARTICIPANTS_WRITTEN) is None:  # state from before ADR 0015: once
                owned.pending = await participants_from_history(self.client, self.topics, partition)
                store.put(PARTICIPANTS_WRITTEN, b"1")
        except BaseException:
            store.close()
            raise
        self._rebuild.discard(partition)
        self.partitions[partition] = owned
        self._check_stale(partition)  # a release may have landed after the DLQ was read
        log.info("partition restored", partition=partition, records=restored.records, keys=restored.keys,
                 owed=len(owned.pending), seconds=round(time.monotonic() - began, 3))  # fmt: skip

    async def _replay(self, owned: _Partition, partition: int) -> None:
        """Rebuild from ``interview.events``, the DLQ and ``decision.events``; the next poke writes it."""
        state = await self._rebuild_with_retries(partition, still_shadowed(owned.store))
        owned.store.wipe()
        mark_shadow(owned.store, self.shadow)
        for key, interview in state.interviews.items():
            owned.store.put(INTERVIEW + key, dump_state(interview))
            if interview.parked is not None:
                owned.store.put(PARKED + key, interview.parked.code.encode())
        for key, last in state.shadows.items():
            owned.store.put(SHADOW + key, dump_shadow(last))
        owned.store.put(DLQ_SEEN, str(state.dlq_seen).encode())
        owned.store.put(PARTICIPANTS_WRITTEN, b"1")  # the replay owes every interview's record
        owned.pending = state.pending
        log.info("partition replayed from history", partition=partition, interviews=len(state.interviews))

    async def _rebuild_with_retries(
        self, partition: int, shadowed: set[str], attempts: int = 5
    ) -> PartitionState:
        # A failure here would escape the engine's loop: absorb transient broker errors first.
        for attempt in range(1, attempts + 1):
            try:
                return await rebuild(self.client, self.topics, self.group, partition, self.policies,
                                     self.shadow, shadowed)  # fmt: skip
            except KafkaError as exc:
                if attempt == attempts:
                    raise
                log.warning("rebuild failed; retrying", partition=partition, error=repr(exc))
                await asyncio.sleep(0.5 * attempt)
        raise AssertionError("unreachable")

    def revoked(self, partition: int) -> None:
        """Close the partition's store; its next owner restores it."""
        owned = self.partitions.pop(partition, None)
        if owned is not None:
            owned.store.close()

    def committed(self, partition: int, produced: Mapping[TopicPartition, int]) -> None:
        """The store takes the batch's writes once its transaction committed."""
        owned = self.partitions.get(partition)
        if owned is not None:
            owned.store.commit(produced.get(TopicPartition(self.topics.decision_state, partition)))

    def owes(self, partition: int) -> bool:
        """Revisions owed or state rebuilt from history wait for a transaction."""
        owned = self.partitions.get(partition)
        return owned is not None and (bool(owned.pending) or owned.store.dirty)

    def note_release(self, partition: int, dlq_offset: int) -> None:
        """An operator's release at ``dlq_offset``: if our state predates it, rebuild at the next poke."""
        self._released[partition] = max(self._released.get(partition, -1), dlq_offset)
        self._check_stale(partition)

    def _check_stale(self, partition: int) -> None:
        owned = self.partitions.get(partition)
        if owned is not None and self._released.get(partition, -1) > owned.dlq_seen:
            log.info("parked record released; partition will rebuild", partition=partition)
            self._rebuild.add(partition)

    def stale(self) -> set[int]:
        """Owned partitions to poke: state predating a release, or revisions owed since a rebuild.

        A quiet partition gets no batch, so without a poke neither would ever be acted on.
        """
        owing = {p for p, owned in self.partitions.items() if owned.pending or owned.store.dirty}
        return owing | {p for p in self._rebuild if p in self.partitions}

    async def handle(self, partition: int, records: list[Record]) -> list[OutRecord]:
        """Step every record (none for a poke); revisions to decision.events + verdicts, poison to the DLQ."""
        if partition in self._rebuild:  # the engine aborts, rebuilds (owed revisions) and retries
            raise RebuildRequestedError(f"partition {partition}: a parked record was released")
        owned = self.partitions[partition]
        out, owned.pending = owned.pending, []
        counts: Counter[str] = Counter(owed=len(out))
        for record in records:
            out.extend(self._step(owned, partition, record, counts))
        self.batch[partition] = counts
        return [*out, *owned.flush()]

    def _step(
        self, owned: _Partition, partition: int, record: Record, counts: Counter[str]
    ) -> list[OutRecord]:
        item = input_of(record)
        key = subject_of(item)
        before = owned.interview(key)
        if tracing_on():  # a span per record only when spans are recorded (ADR 0017)
            with TRACER.start_as_current_span(
                "project", context=context_of_headers(record.headers), kind=SpanKind.CONSUMER,
                attributes={"hiring.interview_id": key, "messaging.kafka.offset": record.offset},
            ):  # fmt: skip
                interview, revision, poison = step(before, item, self.policies, record.offset)
        else:
            interview, revision, poison = step(before, item, self.policies, record.offset)
        out = revision_records(revision, self.topics, partition) if revision is not None else []
        out += round_record(revision, interview.projection, self.topics) if revision is not None else []
        if poison is None and (size := max(map(record_bytes, out), default=0)) > MAX_RECORD_BYTES:
            why = f"its revision would be a {size:,}-byte record, over the {MAX_RECORD_BYTES:,}-byte limit"
            poison = Poison(key, record.offset, "revision_too_large", why)
            interview, revision = replace(before, parked=poison), None
        if interview is not before:  # a redelivered or refused record changes nothing: no state write
            owned.keep(key, interview)
        counts["projected"] += 1
        if poison is not None:
            counts["dlq"] += 1
            log.warning("record parked", interview=key, offset=record.offset, code=poison.code)
            owned.store.put(PARKED + key, poison.code.encode())
            return [dlq_record(record, poison, self.topics)]
        joined = participant_record(item, self.topics, partition)  # interview.opened applied
        if self.shadow is not None and isinstance(item, Event):
            joined += self._shadow(owned, key, interview, item, partition, counts)
        if revision is None:
            return joined
        counts["revisions"] += 1
        return [*out, *joined]

    def _shadow(
        self, owned: _Partition, key: str, interview: InterviewState, item: Event, partition: int,
        counts: Counter[str],
    ) -> list[OutRecord]:  # fmt: skip
        """The shadow policy's revision of this step, on its own topic only (ADR 0024)."""
        assert self.shadow is not None
        before = owned.shadow(key)
        after, revision = shadow_revise(interview, before, self.shadow, item)
        if revision is None:
            return []
        out = shadow_record(revision, self.topics, partition)
        if record_bytes(out) > MAX_RECORD_BYTES:  # the shadow stops for it; its own policy goes on
            log.warning("shadow revision too large; interview no longer shadowed", interview=key)
            after = NOT_SHADOWED
        owned.shadows.put(key, settled_shadow(after, interview), dirty=True)
        if after is NOT_SHADOWED:
            return []
        counts["shadow"] += 1
        return [out]

    def parked(self) -> dict[str, str]:
        """Interviews parked behind a DLQ record, with the reason code."""
        return {
            key.removeprefix(PARKED): value.decode()
            for owned in self.partitions.values()
            for key, value in owned.store.items(PARKED)
        }
