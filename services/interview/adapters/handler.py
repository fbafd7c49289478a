"""The interview writer plugged into the exactly-once engine: one partition's commands at a time.

The engine runs ``handle`` inside a Kafka transaction that also carries the consumed command
offsets, so the events, the result and the offset of a command become visible together or not at
all. State lives per input partition in a ``PartitionStore`` (SQLite on local disk) whose changes go
to the compacted ``interview.writer-state`` changelog in that same transaction; a new owner restores
from it. Only when the changelog holds nothing (a first start over an existing history) are the
interviews rebuilt from ``interview.events`` (co-partitioned with the commands) and the changelog
written from them.
"""

from __future__ import annotations

import functools
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import structlog
from aiokafka import TopicPartition
from opentelemetry.trace import SpanKind

from schemas.commands import CommandEnvelope, CommandPrincipal, CommandResult
from schemas.envelope import Event
from schemas.interview import InterviewOpened
from schemas.topics import BY_NAME, COMMAND_RESULTS, Topics
from services.interview.adapters import metrics, wire
from services.interview.adapters.history import load_idempotency, load_interviews
from services.interview.adapters.snapshot import (
    INTERVIEW,
    STATE_FORMAT,
    dump_result,
    dump_state,
    interview_key,
    load_result,
    load_state,
    result_key,
)
from services.interview.adapters.spans import span, tracing_on
from services.interview.domain import Code, InterviewState, Rejection, Stamp, decide, evolve
from services.interview.domain.state import retired
from services.platform.cache import StateCache
from services.platform.eos import MAX_RECORD_BYTES, OutRecord, Record, record_bytes
from services.platform.privacy.keystore import KeyStore, KeyStoreUnavailableError
from services.platform.privacy.sealing import needs_key, seal_event
from services.platform.privacy.tail import is_roll_tick
from services.platform.state import PartitionStore, default_state_dir
from services.platform.tracing import context_of_headers, current_trace

log = structlog.get_logger("interview.handler")


def utc_now() -> datetime:
    """The server-side time stamped on events."""
    return datetime.now(UTC)


def new_event_id() -> str:
    """A fresh CloudEvents id."""
    return str(uuid.uuid4())


CACHE_PER_PARTITION = 2000
"""Decoded interview states kept in memory per partition (the store holds them all, on disk)."""
KEY_RETENTION_S = int(BY_NAME[COMMAND_RESULTS].config["retention.ms"]) / 1000
"""An idempotency key binds its first result as long as the results topic keeps it."""


@dataclass
class _Partition:
    store: PartitionStore
    cache: StateCache[InterviewState] = field(default_factory=lambda: StateCache(CACHE_PER_PARTITION))
    pending: list[tuple[str, CommandResult]] = field(default_factory=list)  # (type, result) to report
    swept: float = field(default_factory=time.monotonic)

    def interview(self, interview_id: str) -> InterviewState:
        """The interview's state as this transaction sees it (a new one if never opened)."""
        cached = self.cache.get(interview_id)
        if cached is not None:
            return cached
        value = self.store.get(interview_key(interview_id))
        state = load_state(interview_id, value) if value is not None else InterviewState(interview_id)
        self.cache.put(interview_id, state)
        return state

    def keep(self, state: InterviewState) -> None:
        """Write an interview's state in this transaction (a concluded one retired)."""
        state = retired(state)
        self.store.put(interview_key(state.interview_id), dump_state(state))
        self.cache.put(state.interview_id, state)  # written to the store already: not dirty

    def first_result(self, interview_id: str, key: str) -> CommandResult | None:
        """The first result bound to an idempotency key, if any."""
        value = self.store.get(result_key(interview_id, key))
        return load_result(value) if value is not None else None


class InterviewHandler:
    """Decides commands against the partition's interviews; returns events + results to produce."""

    def __init__(
        self,
        client: dict[str, Any],
        topics: Topics,
        partitions: int,
        clock: Callable[[], datetime] = utc_now,
        ids: Callable[[], str] = new_event_id,
        state_dir: Path | None = None,
        *,
        keys: KeyStore,
        intake_principal: str = "User:interview-intake",
        policy_version: str = "v1",
    ) -> None:
        self._client, self._topics, self._partitions = client, topics, partitions
        self._keys = keys  # data keys per candidate: text is sealed before it is written
        # A command from another Kafka producer names no principal: it acts as the intake's.
        self._intake = CommandPrincipal(
            type="service_account", id=intake_principal, issuer="kafka", role="service"
        )
        self._clock, self._ids = clock, ids
        self._policy = policy_version  # for an open command that names none (INTERVIEW_POLICY_VERSION)
        self._state_dir = state_dir or default_state_dir()
        self._owned: dict[int, _Partition] = {}
        self._interviews: dict[int, int] = {}  # interviews in each owned partition's store (gauge)

    async def assigned(self, partition: int) -> None:
        """Restore the partition's state from its changelog (or, when that is empty, from history)."""
        began = time.monotonic()
        store = PartitionStore(self._state_dir, self._topics.writer_state, partition, STATE_FORMAT)
        try:
            restored = await store.restore(self._client)
            if restored.keys == 0:
                await self._bootstrap(store, partition)
        except BaseException:
            store.close()
            raise
        owned = _Partition(store)
        self._sweep(owned, time.time())
        self._owned[partition] = owned
        self._interviews[partition] = len(store.keys(INTERVIEW))
        metrics.REBUILD_SECONDS.observe(time.monotonic() - began)
        self._gauges()
        log.info("partition restored", partition=partition, records=restored.records, keys=restored.keys,
                 from_offset=restored.from_offset, seconds=round(restored.seconds, 3))  # fmt: skip

    async def _bootstrap(self, store: PartitionStore, partition: int) -> None:
        """A changelog with nothing: rebuild from the history once; the first transaction writes it."""
        interviews = await load_interviews(self._client, self._topics.interview_events, partition)
        index = await load_idempotency(self._client, self._topics.command_results, partition)
        for state in interviews.values():
            store.put(interview_key(state.interview_id), dump_state(retired(state)))
        for (interview_id, key), result in index.items():
            store.put(result_key(interview_id, key), dump_result(result))
        if interviews or index:
            log.info("partition rebuilt from history", partition=partition, interviews=len(interviews))

    def _sweep(self, owned: _Partition, now: float) -> None:
        """Forget idempotency keys the results topic no longer keeps (their retries are new commands)."""
        for key in owned.store.keys("k:", older_than=now - KEY_RETENTION_S):
            owned.store.put(key, None)
        owned.swept = time.monotonic()

    def owes(self, partition: int) -> bool:
        """State rebuilt from history waits for its first transaction."""
        owned = self._owned.get(partition)
        return owned is not None and owned.store.dirty

    def revoked(self, partition: int) -> None:
        """Close the partition's store; its next owner restores it."""
        owned = self._owned.pop(partition, None)
        if owned is not None:
            owned.store.close()
        self._interviews.pop(partition, None)
        self._gauges()

    async def handle(self, partition: int, records: list[Record]) -> list[OutRecord]:
        """Decide each command in order; the engine commits the output, the state and the offsets."""
        state = self._owned[partition]
        state.pending = []
        out: list[OutRecord] = []
        with metrics.BATCH_SECONDS.time():
            for record in records:
                if is_roll_tick(record.value, record.headers):
                    continue  # appended so the segment rolls (bounded erasure tail, ADR 0030): no command
                out.extend(await self._one(partition, state, record))
            if time.monotonic() - state.swept > 3600:
                self._sweep(state, time.time())
        return [*out, *state.store.changelog()]

    def committed(self, partition: int, produced: Mapping[TopicPartition, int]) -> None:
        """After the commit: the store takes the writes; count and log what became visible."""
        state = self._owned.get(partition)
        if state is not None:
            state.store.commit(produced.get(TopicPartition(self._topics.writer_state, partition)))
        for kind, result in state.pending if state else []:
            code = getattr(result, "code", "")
            status = "replayed" if result.replay_of is not None else result.status  # appended nothing
            metrics.COMMANDS.labels(status, code, kind).inc()
            log.info(
                f"command.{result.status}",
                interview_id=result.interview_id,
                command_id=result.command_id,
                correlation_id=result.correlation_id,
                code=code or None,
                replay_of=result.replay_of,
            )
        if state:
            state.pending = []

    async def _one(self, partition: int, state: _Partition, record: Record) -> list[OutRecord]:
        fallback = f"{record.topic}:{record.partition}:{record.offset}"
        parsed = wire.parse_command(record.value, record.key, fallback)
        if not isinstance(parsed, CommandEnvelope):
            return self._answer(partition, state, "unknown", parsed, [])
        if parsed.principal is None:
            parsed = parsed.model_copy(update={"principal": self._intake})
        attributes = {"hiring.interview_id": parsed.interview_id, "hiring.command_id": parsed.command_id}
        parent = functools.partial(context_of_headers, record.headers)
        with span(f"decide {parsed.payload.type}", parent, SpanKind.CONSUMER, attributes):
            result, records = await self._decide(partition, state, parsed)
        return self._answer(partition, state, parsed.payload.type, result, records)

    def _answer(
        self, partition: int, state: _Partition, kind: str, result: CommandResult, events: list[OutRecord]
    ) -> list[OutRecord]:
        state.pending.append((kind, result))
        return [*events, wire.result_record(result, self._topics.command_results, partition)]

    async def _decide(
        self, partition: int, state: _Partition, command: CommandEnvelope
    ) -> tuple[CommandResult, list[OutRecord]]:
        """The command's result and the event records it appends (encoded once)."""
        first = state.first_result(command.interview_id, command.key)
        if first is not None:
            return self._retry(command, first), []
        result, events = await self._first(partition, state, command)
        if getattr(result, "code", None) == Code.KEY_STORE_UNAVAILABLE:
            return result, []  # transient: a retry with the same key is decided afresh
        # A rejection binds the key too (docs/design.md 5.2): a retry must not turn not_opened into accepted.
        state.store.put(result_key(command.interview_id, command.key), dump_result(result))
        return result, events

    async def _first(
        self, partition: int, state: _Partition, command: CommandEnvelope
    ) -> tuple[CommandResult, list[OutRecord]]:
        misrouted = self._misrouted(partition, command)
        if misrouted is not None:
            return wire.rejected(command, misrouted), []
        current = state.interview(command.interview_id)
        trace = current_trace() if tracing_on() else None
        outcome = decide(current, command, Stamp([self._ids()], self._clock(), trace, self._policy))
        if isinstance(outcome, Rejection):
            return wire.rejected(command, outcome), []
        try:
            outcome = await self._sealed(current, outcome)
        except KeyStoreUnavailableError as exc:
            message = f"the key store that seals personal text is unavailable ({exc}); retry later"
            return wire.rejected(
                command, Rejection(Code.KEY_STORE_UNAVAILABLE, message, None, current.version)
            ), []
        records = [wire.event_record(e, self._topics.interview_events, partition) for e in outcome]
        too_large = self._too_large(records, current.version)
        if too_large is not None:
            return wire.rejected(command, too_large), []
        if current.version == 0:
            self._interviews[partition] = self._interviews.get(partition, 0) + 1
        for event in outcome:
            current = evolve(current, event)
        state.keep(current)
        return wire.accepted(command, outcome), records

    async def _sealed(self, current: InterviewState, events: list[Event]) -> list[Event]:
        """The events with their text sealed under the candidate's data key (created on opening)."""
        candidate = current.candidate_id
        opened = [e.data.candidate_id for e in events if isinstance(e.data, InterviewOpened)]
        if opened:
            candidate = opened[0]
            await self._keys.data_key(candidate)  # the key exists from the opening on
        if not any(map(needs_key, events)):
            return events
        if candidate is None:  # an interview always opens first; its state names the candidate
            raise KeyStoreUnavailableError(f"interview {current.interview_id} names no candidate")
        key = await self._keys.data_key(candidate)
        return [seal_event(event, key) for event in events]

    @staticmethod
    def _too_large(records: list[OutRecord], version: int) -> Rejection | None:
        """A command whose events could never be produced is refused, not retried forever."""
        size = max(map(record_bytes, records), default=0)
        if size <= MAX_RECORD_BYTES:
            return None
        message = (
            f"the event this command appends would be a {size:,}-byte record, over the "
            f"{MAX_RECORD_BYTES:,}-byte limit of the event log; send less text or fewer items"
        )
        return Rejection(Code.OUTPUT_TOO_LARGE, message, "payload", version)

    @staticmethod
    def _retry(command: CommandEnvelope, first: CommandResult) -> CommandResult:
        if first.request_digest == wire.request_digest(command):
            return wire.replayed(command, first)
        message = (
            f"idempotency_key {command.key!r} was already used by command {first.command_id} with "
            "different content; use a new key for a different command"
        )
        return wire.rejected(command, Rejection(Code.IDEMPOTENCY_KEY_REUSED, message, "idempotency_key"))

    def _misrouted(self, partition: int, command: CommandEnvelope) -> Rejection | None:
        # A second writer would exist if a producer used another partitioner: refuse, don't fork history.
        owner = wire.owner_partition(command.interview_id, self._partitions)
        if owner == partition:
            return None
        message = (
            f"interview {command.interview_id} belongs to partition {owner} (murmur2 of the key) but the "
            f"command arrived on partition {partition}; produce with the default partitioner"
        )
        return Rejection(Code.WRONG_PARTITION, message, "interview_id")

    def _gauges(self) -> None:
        metrics.PARTITIONS.set(len(self._owned))
        metrics.INTERVIEWS.set(sum(self._interviews.values()))
