"""The DLQ as the decision service reads it: parked records and operators' releases (retry / skip).

The record format is the contract's (``schemas.dlq``); the rule is the decision service's own,
imported rather than restated (``services.decision.domain.dlq``): the latest word per source offset
of one partition, and what the service replays for a record and that word: nothing (``skip``), a
``Poison`` (still parked) or the record decoded afresh (``retry``, or never dead-lettered).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from schemas.dlq import POISON, RETRY, SKIP, DlqEntry, parse
from schemas.envelope import Event
from services.audit.domain.records import LogRecord
from services.decision.domain.dlq import as_input, latest_words
from services.decision.domain.dlq import resolve as resolve_word
from services.decision.domain.revisions import Poison

__all__ = [
    "POISON", "RETRY", "SKIP", "DlqEntry", "DlqWords", "Resolved", "dlq_words", "relocate", "resolve",
]  # fmt: skip


@dataclass(frozen=True)
class DlqWords:
    """Per partition, the DLQ's latest word per source offset of ``interview.events`` (co-partitioned)."""

    by_partition: dict[int, dict[int, DlqEntry]]
    records: int = 0
    """DLQ records read (parked copies and releases)."""

    def word(self, record: LogRecord) -> DlqEntry | None:
        """The latest word about an ``interview.events`` record, if the DLQ has one."""
        return self.by_partition.get(record.partition, {}).get(record.offset)


NO_WORDS = DlqWords({})


def dlq_words(dlq_records: Iterable[LogRecord]) -> DlqWords:
    """Read DLQ records as the decision service's rebuild does: partition p, in offset order."""
    by_partition: dict[int, list[tuple[int, DlqEntry]]] = {}
    count = 0
    for record in dlq_records:
        count += 1
        entry = parse(list(record.as_consumed().headers), record.offset)
        if entry is not None:
            by_partition.setdefault(record.partition, []).append((record.offset, entry))
    ordered = {p: sorted(found, key=lambda pair: pair[0]) for p, found in by_partition.items()}
    return DlqWords({p: latest_words([e for _, e in found]) for p, found in ordered.items()}, count)


@dataclass(frozen=True)
class Resolved:
    """What the decision service replays for a record the DLQ has a word on (None: skipped)."""

    word: DlqEntry
    item: Event | Poison | None


def resolve(record: LogRecord, word: DlqEntry) -> Resolved:
    """The decision service's rule applied to one record and the DLQ's word about it."""
    c = record.as_consumed()
    return Resolved(
        word, resolve_word(word, record.offset, lambda: as_input(c.key, c.value, c.headers, c.offset))
    )


Position = tuple[int, int]
"""``(partition, offset)`` of a record."""


def relocate(record: LogRecord, placed: Mapping[Position, Position], topic: str) -> LogRecord:
    """A DLQ record pointing at where its source record was imported (``placed``: old -> new position).

    A DLQ word names its source by partition and offset; an import re-numbers offsets, so the words
    must follow. A word whose source was not imported points nowhere (offset -1) rather than at
    whatever record now has its old offset. The exported position is kept in ``dlq_exported_from``.
    """
    headers = dict(record.headers)
    try:
        old = (int(headers["dlq_partition"]), int(headers["dlq_offset"]))
    except (KeyError, ValueError):
        return record
    partition, offset = placed.get(old, (old[0], -1))
    headers.update(dlq_partition=str(partition), dlq_offset=str(offset), dlq_topic=topic,
                   dlq_exported_from=f"{old[0]}@{old[1]}")  # fmt: skip
    return replace(record, partition=partition, headers=tuple(headers.items()))
