"""The interview writer plugged into the exactly-once engine: one partition's commands at a time.

The engine runs ``handle`` inside a Kafka transaction that also carries the consumed command
offsets, so the events, the result and the offset of a command become visible together or not at
all. State lives per input partition; ``interview.events`` is co-partitioned with the commands, so
the owner of command partition p rebuilds its interviews from events partition p.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import structlog

from schemas.commands import CommandEnvelope, CommandResult
from schemas.topics import Topics
from services.interview.adapters import metrics, wire
from services.interview.adapters.history import IdempotencyIndex, load_idempotency, load_interviews
from services.interview.domain import Code, InterviewState, Rejection, Stamp, decide, evolve
from services.platform.eos import OutRecord, Record

log = structlog.get_logger("interview.handler")


def utc_now() -> datetime:
    """The server-side time stamped on events."""
    return datetime.now(UTC)


def new_event_id() -> str:
    """A fresh CloudEvents id."""
    return str(uuid.uuid4())


@dataclass
class _Partition:
    interviews: dict[str, InterviewState] = field(default_factory=dict)
    first_results: IdempotencyIndex = field(default_factory=dict)
    pending: list[tuple[str, CommandResult]] = field(default_factory=list)  # (type, result) to report


class InterviewHandler:
    """Decides commands against the partition's interviews; returns events + results to produce."""

    def __init__(
        self,
        client: dict[str, Any],
        topics: Topics,
        partitions: int,
        clock: Callable[[], datetime] = utc_now,
        ids: Callable[[], str] = new_event_id,
    ) -> None:
        self._client, self._topics, self._partitions = client, topics, partitions
        self._clock, self._ids = clock, ids
        self._owned: dict[int, _Partition] = {}

    async def assigned(self, partition: int) -> None:
        """Rebuild the interviews and the idempotency index of this partition."""
        began = time.monotonic()
        interviews = await load_interviews(self._client, self._topics.interview_events, partition)
        index = await load_idempotency(self._client, self._topics.command_results, partition)
        self._owned[partition] = _Partition(interviews, index)
        metrics.REBUILD_SECONDS.observe(time.monotonic() - began)
        self._gauges()
        log.info("partition rebuilt", partition=partition, interviews=len(interviews), keys=len(index))

    def revoked(self, partition: int) -> None:
        """Forget the partition's state; its next owner rebuilds it."""
        self._owned.pop(partition, None)
        self._gauges()

    async def handle(self, partition: int, records: list[Record]) -> list[OutRecord]:
        """Decide each command in order; the engine commits the output with the offsets."""
        state = self._owned[partition]
        state.pending = []
        out: list[OutRecord] = []
        with metrics.BATCH_SECONDS.time():
            for record in records:
                out.extend(self._one(partition, state, record))
        return out

    def committed(self, partition: int, _records: list[Record]) -> None:
        """After the commit: count and log what became visible (never an aborted attempt)."""
        state = self._owned.get(partition)
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
        metrics.INTERVIEWS.set(sum(len(p.interviews) for p in self._owned.values()))

    def _one(self, partition: int, state: _Partition, record: Record) -> list[OutRecord]:
        fallback = f"{record.topic}:{record.partition}:{record.offset}"
        parsed = wire.parse_command(record.value, record.key, fallback)
        if not isinstance(parsed, CommandEnvelope):
            return self._answer(partition, state, "unknown", parsed, [])
        result, events = self._decide(partition, state, parsed)
        records = [wire.event_record(e, self._topics.interview_events, partition) for e in events]
        return self._answer(partition, state, parsed.payload.type, result, records)

    def _answer(
        self, partition: int, state: _Partition, kind: str, result: CommandResult, events: list[OutRecord]
    ) -> list[OutRecord]:
        state.pending.append((kind, result))
        return [*events, wire.result_record(result, self._topics.command_results, partition)]

    def _decide(
        self, partition: int, state: _Partition, command: CommandEnvelope
    ) -> tuple[CommandResult, list[Any]]:
        first = state.first_results.get((command.interview_id, command.key))
        if first is not None:
            return self._retry(command, first), []
        result, events = self._first(partition, state, command)
        # A rejection binds the key too (docs/design.md 5.2): a retry must not turn not_opened into accepted.
        state.first_results[(command.interview_id, command.key)] = result
        return result, events

    def _first(
        self, partition: int, state: _Partition, command: CommandEnvelope
    ) -> tuple[CommandResult, list[Any]]:
        misrouted = self._misrouted(partition, command)
        if misrouted is not None:
            return wire.rejected(command, misrouted), []
        current = state.interviews.get(command.interview_id) or InterviewState(command.interview_id)
        outcome = decide(current, command, Stamp([self._ids()], self._clock()))
        if isinstance(outcome, Rejection):
            return wire.rejected(command, outcome), []
        for event in outcome:
            current = evolve(current, event)
        state.interviews[command.interview_id] = current
        return wire.accepted(command, outcome), outcome

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
        metrics.INTERVIEWS.set(sum(len(p.interviews) for p in self._owned.values()))
