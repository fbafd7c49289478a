"""Kafka records <-> decision domain: decode inputs, encode revisions, dead-letter and release records."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from schemas.codec import ContractError, decode, encode
from schemas.envelope import Event
from schemas.topics import Topics
from services.decision.domain.revisions import Poison
from services.platform.eos import OutRecord

POISON, RETRY, SKIP = "poison", "retry", "skip"
"""``dlq_kind`` of a DLQ record: a parked input, or an operator's release of one (retry it / skip it)."""


def input_of(record: Any) -> Event | Poison:
    """An ``interview.events`` record as a domain input; anything not decodable becomes ``Poison``."""
    key = record.key.decode("utf-8", errors="replace") if record.key else ""
    try:
        return decode(record.value, record.headers or [], record.key)
    except ContractError as exc:
        return Poison(key, record.offset, exc.code, str(exc)[:2000])


def revision_records(event: Event, topics: Topics, partition: int) -> list[OutRecord]:
    """A revision on ``decision.events`` and, as the latest verdict, on compacted ``decision.verdicts``."""
    record = encode(event)
    return [
        OutRecord(topics.decision_events, record.key, record.value, record.headers, partition),
        OutRecord(topics.verdicts, record.key, record.value, record.headers, partition),
    ]


def dlq_record(record: Any, poison: Poison, topics: Topics) -> OutRecord:
    """The original record, unchanged, with headers naming the reason, the source offset and the interview."""
    headers = [(k, v) for k, v in (record.headers or []) if not k.startswith("dlq_")]
    headers += _headers(
        kind=POISON, code=poison.code, reason=poison.detail, topic=record.topic,
        partition=str(record.partition), offset=str(record.offset), interview=poison.interview_id,
    )  # fmt: skip
    return OutRecord(topics.dlq, record.key or b"", record.value, headers, record.partition)


def release_record(entry: DlqEntry, topics: Topics, *, skip: bool) -> OutRecord:
    """An operator's decision about a parked record: retry it after a fix, or skip it (not a fact)."""
    headers = _headers(
        kind=SKIP if skip else RETRY, code=entry.code, reason="released by operator", topic=entry.topic,
        partition=str(entry.partition), offset=str(entry.offset), interview=entry.interview_id,
    )  # fmt: skip
    return OutRecord(topics.dlq, entry.interview_id.encode(), None, headers, entry.partition)


def _headers(**values: str) -> list[tuple[str, bytes]]:
    return [(f"dlq_{name}", value.encode()) for name, value in values.items()]


@dataclass(frozen=True)
class DlqEntry:
    """One DLQ record read back: what it says about which source record."""

    kind: str
    code: str
    reason: str
    topic: str
    partition: int
    offset: int
    interview_id: str
    dlq_offset: int = -1


def dlq_entry(record: Any) -> DlqEntry | None:
    """Parse a DLQ record's headers; None if it is not one of ours."""
    h = {
        k.removeprefix("dlq_"): v.decode("utf-8", "replace")
        for k, v in record.headers or []
        if k.startswith("dlq_")
    }
    try:
        return DlqEntry(
            h["kind"], h.get("code", ""), h.get("reason", ""), h.get("topic", ""),
            int(h["partition"]), int(h["offset"]), h.get("interview", ""), record.offset,
        )  # fmt: skip
    except (KeyError, ValueError):
        return None


def dlq_status(entries: list[DlqEntry]) -> dict[int, DlqEntry]:
    """Per source offset, the latest word: parked (``poison``), ``retry`` or ``skip``."""
    return {entry.offset: entry for entry in entries}
