"""Recover one input partition's state from Kafka alone: interview history, published revisions, DLQ."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiokafka import TopicPartition

from schemas.codec import decode
from schemas.envelope import Event
from services.decision.adapters.records import (
    POISON,
    SKIP,
    DlqEntry,
    dlq_entry,
    dlq_record,
    dlq_status,
    input_of,
    revision_records,
)
from services.decision.domain.policy import Policy
from services.decision.domain.replay import subject_of
from services.decision.domain.revisions import (
    InterviewState,
    Poison,
    Published,
    accept,
    published_from,
    step,
)
from services.platform.eos import OutRecord
from services.platform.log_reader import read_partition, reader
from services.platform.topics import Topics


@dataclass
class PartitionState:
    """In-memory state of one input partition: interviews, DLQ word per offset, outputs still owed."""

    interviews: dict[str, InterviewState] = field(default_factory=dict)
    dlq: dict[int, DlqEntry] = field(default_factory=dict)
    pending: list[OutRecord] = field(default_factory=list)
    committed: int = 0


async def committed_offset(client: dict[str, Any], group: str, topic: str, partition: int) -> int:
    """The group's committed offset of ``topic``/``partition`` (0 if none); never joins the group."""
    # A group-bound consumer that never subscribes: its coordinator lookup retries, unlike the admin's.
    consumer = reader(client, group_id=group)
    await consumer.start()
    try:
        committed = await consumer.committed(TopicPartition(topic, partition))
    finally:
        await consumer.stop()
    return committed or 0


async def last_published(client: dict[str, Any], topic: str, partition: int) -> dict[str, Published]:
    """The last committed revision per interview in one partition of ``decision.events``."""
    last: dict[bytes, Any] = {}
    async for record in read_partition(client, topic, partition):
        last[record.key or b""] = record
    out: dict[str, Published] = {}
    for key, record in last.items():
        out[key.decode()] = published_from(decode(record.value, record.headers, record.key))
    return out


def _resolve(record: Any, dlq: dict[int, DlqEntry]) -> Event | Poison | None:
    entry = dlq.get(record.offset)
    if entry is not None and entry.kind == SKIP:
        return None
    if entry is not None and entry.kind == POISON:
        return Poison(entry.interview_id, record.offset, entry.code, entry.reason)
    return input_of(record)  # never dead-lettered, or released for a retry: decode afresh


def _replay(state: PartitionState, record: Any, topics: Topics, policy: Policy) -> None:
    item = _resolve(record, state.dlq)
    if item is None:
        return
    key = subject_of(item)
    interview, revision, poison = _step(
        state.interviews.get(key, InterviewState()), item, policy, record.offset
    )
    state.interviews[key] = interview
    if revision is not None:  # owed: an interview released from parking catches up revision by revision
        state.pending.extend(revision_records(revision, topics, record.partition))
    known = state.dlq.get(record.offset)
    if poison is not None and (known is None or known.kind != POISON):
        state.pending.append(dlq_record(record, poison, topics))
        state.dlq[record.offset] = DlqEntry(POISON, poison.code, poison.detail, record.topic,
                                            record.partition, record.offset, key)  # fmt: skip


def _step(
    interview: InterviewState, item: Event | Poison, policy: Policy, offset: int
) -> tuple[InterviewState, Event | None, Poison | None]:
    """Up to the last published revision only fold; after it, behave exactly as live."""
    published = interview.published
    if isinstance(item, Event) and published and item.attributes.sequence <= published.input_sequence:
        folded, poison = accept(interview, item, offset)
        return folded, None, poison
    return step(interview, item, policy, offset)


async def rebuild(
    client: dict[str, Any], topics: Topics, group: str, partition: int, policy: Policy
) -> PartitionState:
    """Replay ``interview.events`` up to the committed offset; owe only what was never published."""
    committed = await committed_offset(client, group, topics.interview_events, partition)
    entries = [
        e async for r in read_partition(client, topics.dlq, partition) if (e := dlq_entry(r)) is not None
    ]
    state = PartitionState(dlq=dlq_status(entries), committed=committed)
    for key, published in (await last_published(client, topics.decision_events, partition)).items():
        state.interviews[key] = InterviewState(published=published)
    # Guarded: read_partition with end <= start stops a consumer right after starting it, which
    # trips an aiokafka 0.14 bug (CancelledError from NoGroupCoordinator.close).
    if committed > 0:
        async for record in read_partition(client, topics.interview_events, partition, end=committed):
            _replay(state, record, topics, policy)
    return state
