"""A Kafka record as the audit sees it: position, key, CloudEvents attributes, value."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from schemas.codec import encode, headers_to_attributes
from schemas.envelope import Event
from schemas.topics import CANDIDACY_EVENTS, DECISION_EVENTS, DECISION_SHADOW, DLQ, INTERVIEW_EVENTS

REQUIRED_TOPICS = (INTERVIEW_EVENTS, DECISION_EVENTS)
AUDITED_TOPICS = (*REQUIRED_TOPICS, DLQ, CANDIDACY_EVENTS, DECISION_SHADOW)
"""Every topic ``verify`` reads; the DLQ, the candidacies and the shadow revisions may be absent (an older
export or cluster)."""
REVISION_TOPICS = (DECISION_EVENTS, DECISION_SHADOW)
"""Topics of verdict revisions: a policy's own (``decision.events``) and one run in shadow (ADR 0024)."""


@dataclass(frozen=True)
class LogRecord:
    """One record of an audited topic; ``topic`` is the base name (without any prefix)."""

    topic: str
    partition: int
    offset: int
    key: str | None
    attributes: Mapping[str, str]
    value: bytes | None
    timestamp: int | None = None
    headers: tuple[tuple[str, str], ...] = field(default=())
    """Headers that are not CloudEvents attributes, kept for a faithful import."""

    def where(self) -> str:
        """``topic[partition]@offset``, the position quoted in reports."""
        return f"{self.topic}[{self.partition}]@{self.offset}"

    def subject(self) -> str:
        """The interview this record belongs to (``ce_subject``, else the key)."""
        return self.attributes.get("subject") or self.key or "?"

    def wire_headers(self) -> list[tuple[str, bytes]]:
        """The record's headers as written by the codec: ``ce_*``, ``content-type``, then any others."""
        out = [
            (f"ce_{name}", value.encode())
            for name, value in self.attributes.items()
            if name != "datacontenttype"
        ]
        if "datacontenttype" in self.attributes:
            out.append(("content-type", self.attributes["datacontenttype"].encode()))
        return out + [(name, value.encode()) for name, value in self.headers]

    def as_consumed(self) -> ConsumedView:
        """The record in the shape the decision service's adapters read (bytes key, value, headers)."""
        key = self.key.encode() if self.key is not None else None
        return ConsumedView(self.topic, self.partition, self.offset, key, self.value, self.wire_headers())


@dataclass(frozen=True)
class ConsumedView:
    """The fields of an aiokafka ``ConsumerRecord`` the decision service's record functions use."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]]


def record_of(event: Event, partition: int, offset: int, topic: str | None = None) -> LogRecord:
    """The record the services would write for ``event`` (tests, benchmark, demos)."""
    wire = encode(event)
    attributes = headers_to_attributes(wire.headers)
    return LogRecord(topic or wire.topic, partition, offset, wire.key.decode(), attributes, wire.value)


def records_of(events: list[Event], partitions: int = 3, topic: str | None = None) -> list[LogRecord]:
    """Records for events as one log: partition by a stable hash of the key, offsets per partition."""
    offsets = [0] * partitions
    out = []
    for event in events:
        partition = _stable_partition(event.attributes.subject, partitions)
        out.append(record_of(event, partition, offsets[partition], topic))
        offsets[partition] += 1
    return out


def _stable_partition(key: str, partitions: int) -> int:
    return sum(key.encode()) % partitions
