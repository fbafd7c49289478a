"""Recover one input partition's state from Kafka alone: interview history, published revisions, DLQ."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiokafka import TopicPartition

from schemas.codec import decode
from schemas.dlq import POISON, DlqEntry
from schemas.envelope import Event
from schemas.interview import InterviewOpened
from schemas.topics import Topics
from services.decision.adapters.records import (
    dlq_entry,
    dlq_record,
    input_of,
    participant_record,
    revision_records,
    round_record,
    shadow_record,
)
from services.decision.domain.dlq import latest_words, resolve
from services.decision.domain.policy import Policies, Policy
from services.decision.domain.replay import subject_of
from services.decision.domain.revisions import (
    InterviewState,
    Poison,
    Published,
    accept,
    published_from,
    step,
)
from services.decision.domain.shadow import NOT_SHADOWED, Shadowed, already_shadowed, shadow_revise
from services.platform.eos import OutRecord
from services.platform.log_reader import read_partition, reader


@dataclass
class PartitionState:
    """In-memory state of one input partition: interviews, DLQ word per offset, outputs still owed."""

    interviews: dict[str, InterviewState] = field(default_factory=dict)
    dlq: dict[int, DlqEntry] = field(default_factory=dict)
    pending: list[OutRecord] = field(default_factory=list)
    committed: int = 0
    dlq_seen: int = -1  # highest DLQ offset this state was built from: a later release makes it stale
    shadows: dict[str, Published] = field(default_factory=dict)
    """Last shadow revision per shadowed interview (ADR 0024)."""


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


PublishedByVersion = dict[str, dict[str, Published]]
"""Last published revision per interview, per policy version (versions may run side by side)."""


async def last_published(client: dict[str, Any], topic: str, partition: int) -> PublishedByVersion:
    """The last committed revision per interview and policy version in a ``decision.events`` partition."""
    out: PublishedByVersion = {}
    async for record in read_partition(client, topic, partition):
        event = decode(record.value, record.headers, record.key)
        version = getattr(event.data, "policy_version", "")
        out.setdefault(event.attributes.subject, {})[version] = published_from(event)
    return out


def _fresh(item: Event | Poison, policies: Policies, published: dict[str, Published]) -> InterviewState:
    """A new interview's state, with the last revision published under the policy that applies to it."""
    if not isinstance(item, Event) or not isinstance(item.data, InterviewOpened):
        return InterviewState()
    policy = policies.applying_to(item.data.policy_version)
    return InterviewState(published=published.get(policy.version) if policy else None)


def _replay_shadow(
    state: PartitionState, key: str, interview: InterviewState, item: Event, shadow: Shadow, partition: int,
    topics: Topics,
) -> None:  # fmt: skip
    """Continue an interview's shadow chain from its last published shadow revision (none: not shadowed).

    History read again makes no new shadows: an interview is shadowed only if the shadow saw its opening,
    and continued only if the store still held its bookkeeping (``shadowed``): a chain the shadow stopped
    following (switched off meanwhile) is not resumed with a gap.
    """
    policy, published, shadowed = shadow
    before = Shadowed(state.shadows[key]) if key in state.shadows else NOT_SHADOWED
    last = published.get(key, {}).get(policy.version) if key in shadowed else None
    if before is NOT_SHADOWED and last is not None:
        before = Shadowed(last)
    if before is NOT_SHADOWED or already_shadowed(before, item):
        if before.last is not None:
            state.shadows[key] = before.last
        return
    after, revision = shadow_revise(interview, before, policy, item)
    if after.last is not None:
        state.shadows[key] = after.last
    if revision is not None:  # owed: written by the next transaction
        state.pending.append(shadow_record(revision, topics, partition))


Shadow = tuple[Policy, "PublishedByVersion", set[str]]
"""The shadow policy, the last revisions on ``decision.shadow`` and the interviews still shadowed."""


def _replay(
    state: PartitionState, record: Any, topics: Topics, policies: Policies, published: PublishedByVersion,
    shadow: Shadow | None = None,
) -> None:  # fmt: skip
    item = resolve(state.dlq.get(record.offset), record.offset, lambda: input_of(record))
    if item is None:
        return
    key = subject_of(item)
    interview = state.interviews.get(key) or _fresh(item, policies, published.get(key, {}))
    interview, revision, poison = _step(interview, item, policies, record.offset)
    state.interviews[key] = interview
    if revision is not None:  # owed: an interview released from parking catches up revision by revision
        state.pending.extend(revision_records(revision, topics, record.partition))
        state.pending.extend(round_record(revision, interview.projection, topics))
    if poison is None:  # decision.participants is compacted: a record already there is written again
        state.pending.extend(participant_record(item, topics, record.partition))
    if isinstance(item, Event) and shadow is not None:
        _replay_shadow(state, key, interview, item, shadow, record.partition, topics)
    known = state.dlq.get(record.offset)
    if poison is not None and (known is None or known.kind != POISON):
        state.pending.append(dlq_record(record, poison, topics))
        state.dlq[record.offset] = DlqEntry(POISON, poison.code, poison.detail, record.topic,
                                            record.partition, record.offset, key)  # fmt: skip


def _step(
    interview: InterviewState, item: Event | Poison, policies: Policies, offset: int
) -> tuple[InterviewState, Event | None, Poison | None]:
    """Up to the last published revision only fold; after it, behave exactly as live."""
    published = interview.published
    if isinstance(item, Event) and published and item.attributes.sequence <= published.input_sequence:
        folded, poison = accept(interview, item, offset, policies)
        return folded, None, poison
    return step(interview, item, policies, offset)


_OPENED = b"hiring.interview.opened."


async def participants_from_history(
    client: dict[str, Any], topics: Topics, partition: int
) -> list[OutRecord]:
    """The ``decision.participants`` records of every ``interview.opened`` in the partition's history.

    Once per partition, for state written before that topic existed (ADR 0015); every other record is
    skipped by its ``ce_type`` header, undecoded. An opened record that does not decode is the
    projection's to park, not this read's.
    """
    out: list[OutRecord] = []
    async for record in read_partition(client, topics.interview_events, partition):
        kind = dict(record.headers or []).get("ce_type", b"")
        if kind.startswith(_OPENED):
            out.extend(participant_record(input_of(record), topics, partition))
    return out


async def rebuild(
    client: dict[str, Any], topics: Topics, group: str, partition: int, policies: Policies,
    shadow_policy: Policy | None = None, shadowed: set[str] | None = None,
) -> PartitionState:  # fmt: skip
    """Replay ``interview.events`` up to the committed offset; owe only what was never published.

    Parked and released records are read from the DLQ here, so a release written while the partition
    was owned elsewhere (or before the release watcher started) is never lost.
    """
    committed = await committed_offset(client, group, topics.interview_events, partition)
    entries = [
        e async for r in read_partition(client, topics.dlq, partition) if (e := dlq_entry(r)) is not None
    ]
    seen = max((e.dlq_offset for e in entries), default=-1)
    state = PartitionState(dlq=latest_words(entries), committed=committed, dlq_seen=seen)
    published = await last_published(client, topics.decision_events, partition)
    shadow = None
    if shadow_policy is not None:  # ADR 0024: shadow chains continue from decision.shadow
        shadow = (shadow_policy, await last_published(client, topics.shadow, partition), shadowed or set())
    # Guarded: read_partition with end <= start stops a consumer right after starting it, which
    # trips an aiokafka 0.14 bug (CancelledError from NoGroupCoordinator.close).
    if committed > 0:
        async for record in read_partition(client, topics.interview_events, partition, end=committed):
            _replay(state, record, topics, policies, published, shadow)
    return state
