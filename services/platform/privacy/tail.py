"""Erasure with a bounded tail: roll ticks, and how long erased bytes can stay on a broker's disks.

Kafka rolls a segment only when a record is appended to its partition, compacts and deletes only closed
segments, and removes the files of a replaced segment ``file.delete.delay.ms`` later. On a quiet topic
an erased data key (its wrapped record) or a deleted command would otherwise stay in the open segment
until the next write, however long that is. So the interview writers append a **roll tick** to
``privacy.keys`` and to each ``interview.commands`` partition they own every ``INTERVIEW_ROLL_TICK_S``:
a record without a value and with the ``ROLL_TICK_HEADER`` header, which the key store and the writer
skip (no result, no event). With it the tail has a bound (docs/decisions/0030, docs/security.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

ROLL_TICK_HEADER = "hiring-pipeline-roll-tick"
ROLL_TICK_KEY = b"~roll-tick"
"""Key of the ticks on privacy.keys (never a ``<candidate>/<kid>`` key: ids hold no ``~``)."""
STATED_BOUND_S = 2 * 3600
"""The bound docs/security.md states: production settings give 1 h 12 min (keys), 1 h 28 min (commands)."""
CLEANING_SLACK_S = 30.0
"""Time the cleaner or the retention thread takes to get to and through one small partition."""


def is_roll_tick(value: bytes | None, headers: Sequence[tuple[str, bytes]] | None) -> bool:
    """A roll tick: no value, and the tick header."""
    return value is None and any(name == ROLL_TICK_HEADER for name, _ in headers or ())


@dataclass(frozen=True)
class Cadence:
    """The timings outside the topic configurations that the tail depends on (seconds)."""

    tick_s: float
    """INTERVIEW_ROLL_TICK_S: at most this long between two appends to each partition."""
    cleaner_backoff_s: float = 15.0
    """The broker's log.cleaner.backoff.ms (Kafka's default: 15 s)."""
    retention_check_s: float = 300.0
    """The broker's log.retention.check.interval.ms (Kafka's default: 5 min)."""
    commands_keep_s: float = 600.0
    """INTERVIEW_COMMANDS_KEEP_S: consumed commands older than this are deleted by the writers' purge."""
    purge_every_s: float = 60.0
    """How often the writers' purge runs (at most every ``commands_keep_s``)."""


def _s(config: Mapping[str, str], key: str) -> float:
    return int(config[key]) / 1000


def keys_tail_s(config: Mapping[str, str], cadence: Cadence) -> float:
    """Longest time from an erasure until the wrapped key is in no file of ``privacy.keys`` (compacted).

    The tombstone's segment closes at the first append after it is ``min(segment.ms, max.compaction.lag.ms)``
    old (a tick comes within ``tick_s``); the log is cleanable then (dirty ratio), or at the latest once
    its first dirty record is ``max.compaction.lag.ms`` old; the cleaner looks every backoff; the files
    of the replaced segments are deleted ``file.delete.delay.ms`` after the swap.
    """
    roll = min(_s(config, "segment.ms"), _s(config, "max.compaction.lag.ms"))
    cleanable = max(roll + cadence.tick_s, _s(config, "max.compaction.lag.ms"))
    return cleanable + cadence.cleaner_backoff_s + _s(config, "file.delete.delay.ms") + CLEANING_SLACK_S


def commands_tail_s(config: Mapping[str, str], cadence: Cadence) -> float:
    """Longest time from a command's consumption (or its erasure) until no file holds it (delete policy).

    Its segment closes within ``segment.ms`` plus a tick; the purge deletes every record of it once they
    are ``commands_keep_s`` old (checked every ``purge_every_s``; ``privacy erase`` does so at once for
    what was consumed before it); the retention thread then deletes the segment, whose files go
    ``file.delete.delay.ms`` later.
    """
    closed = _s(config, "segment.ms") + cadence.tick_s
    purged = closed + cadence.commands_keep_s + cadence.purge_every_s
    return purged + cadence.retention_check_s + _s(config, "file.delete.delay.ms") + CLEANING_SLACK_S
