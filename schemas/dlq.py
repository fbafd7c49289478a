"""The dead-letter record format (topic ``interview.events.dlq``).

A parked record is the original record of ``interview.events``, unchanged (key, value, headers),
plus ``dlq_*`` headers naming the reason and the source position. An operator's release (retry it
after a fix, or skip it) is a record with the same ``dlq_*`` headers and no value. The latest word
about a source offset wins; how the decision service then treats the source record is its rule
(``services.decision.domain.dlq``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

POISON, RETRY, SKIP = "poison", "retry", "skip"
"""``dlq_kind``: a parked input, or an operator's release of one (retry it / skip it)."""
KINDS = (POISON, RETRY, SKIP)
PREFIX = "dlq_"

HEADER_DESCRIPTIONS: dict[str, str] = {
    "kind": "poison: a parked input, the value is the original value; retry / skip: an operator's "
    "release of the parked record at dlq_topic/dlq_partition/dlq_offset (no value).",
    "code": "Stable code, e.g. a ContractError code.",
    "reason": "Human-readable detail.",
    "topic": "Topic of the source record.",
    "partition": "Partition of the source record.",
    "offset": "Offset of the source record.",
    "interview": "Interview id (the key) of the source record.",
}
"""Every ``dlq_<name>`` header, in the order written; all are required."""
NUMERIC = frozenset({"partition", "offset"})


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
    """Offset of the DLQ record itself (-1 before it is written)."""

    def headers(self) -> list[tuple[str, bytes]]:
        """The ``dlq_*`` headers that carry this entry."""
        values: tuple[object, ...] = (self.kind, self.code, self.reason, self.topic)
        values += (self.partition, self.offset, self.interview_id)
        names = HEADER_DESCRIPTIONS.keys()
        return [(f"{PREFIX}{n}", str(v).encode()) for n, v in zip(names, values, strict=True)]


def without_dlq_headers(headers: Iterable[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    """A record's own headers, any ``dlq_*`` removed (a re-parked record carries only the new word)."""
    return [(k, v) for k, v in headers if not k.startswith(PREFIX)]


def parse(headers: Sequence[tuple[str, bytes]] | None, dlq_offset: int = -1) -> DlqEntry | None:
    """A DLQ record's ``dlq_*`` headers as an entry; None if it is not one of ours."""
    h = {
        k.removeprefix(PREFIX): v.decode("utf-8", "replace") for k, v in headers or [] if k.startswith(PREFIX)
    }
    try:
        return DlqEntry(
            h["kind"], h.get("code", ""), h.get("reason", ""), h.get("topic", ""),
            int(h["partition"]), int(h["offset"]), h.get("interview", ""), dlq_offset,
        )  # fmt: skip
    except (KeyError, ValueError):
        return None
