"""What the notary and the proof store share (ADR 0026): a record's leaf, and the checkpoint record.

The checkpoint record on ``decision.checkpoints`` (key: origin) is UTF-8 JSON: ``origin``, ``topic``
(base name), ``partition``, ``size``, ``root`` (hex), ``note`` (the signed C2SP checkpoint note, what an
auditor keeps), and the notary's state at it: ``next_offset`` (the input offset after the last leaf)
and ``range`` (the tree's compact range, ``merkle.CompactRange.to_json``), so a new owner resumes the
tree from what was published instead of re-reading the partition.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from schemas import merkle
from schemas.chain import hash_header
from schemas.codec import headers_to_attributes
from schemas.tlog import record_leaf

LEAF_HEADER_TRUSTED = True
"""Take a record's chain hash from its ``chainhash`` header when present (ADR 0017's fast path; the
writer computed it over these bytes in the same transaction). The audit never trusts it: it recomputes,
so a wrong header shows there as a divergent leaf."""


def leaf_of(record: Any) -> bytes:
    """The leaf hash of a stored record: ``merkle.leaf_hash`` of its chain hash (``schemas.tlog``)."""
    headers = list(record.headers or [])
    digest = hash_header(headers) if LEAF_HEADER_TRUSTED else None
    data = bytes.fromhex(digest) if digest else record_leaf(headers_to_attributes(headers), record.value)
    return merkle.leaf_hash(data)


@dataclass(frozen=True)
class CheckpointRecord:
    """One checkpoint as published: what it signs, the note, and the notary's state at it."""

    origin: str
    topic: str
    partition: int
    size: int
    root: bytes
    note: str
    next_offset: int
    range: merkle.CompactRange

    def encode(self) -> bytes:
        """The record value (compact JSON, keys sorted)."""
        doc = {"origin": self.origin, "topic": self.topic, "partition": self.partition, "size": self.size,
               "root": self.root.hex(), "note": self.note, "next_offset": self.next_offset,
               "range": self.range.to_json()}  # fmt: skip
        return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()

    @classmethod
    def decode(cls, value: bytes) -> CheckpointRecord:
        """A record value back; ``ValueError`` (or ``KeyError``) when it is not one."""
        doc = json.loads(value)
        return cls(doc["origin"], doc["topic"], int(doc["partition"]), int(doc["size"]),
                   bytes.fromhex(doc["root"]), str(doc["note"]), int(doc["next_offset"]),
                   merkle.CompactRange.from_json(doc["range"]))  # fmt: skip
