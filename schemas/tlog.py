"""The transparency log over the record: which records are leaves, and the proof documents (ADR 0025).

There is one append-only RFC 6962 tree per (topic, partition) of ``LOGGED_TOPICS``: leaf i is the i-th
record of that partition in offset order as a read_committed consumer sees it (transaction markers
are not records, so offsets may skip; leaf indexes never do). A leaf's data is the record's chain hash
(the stored bytes' hash, ``schemas.chain.record_hash``): sealed text is hashed as stored ciphertext,
so erasing a key never breaks a proof.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from pydantic import Field

from schemas.chain import record_hash
from schemas.common import Frozen
from schemas.topics import CANDIDACY_EVENTS, DECISION_EVENTS, INTERVIEW_EVENTS

LOGGED_TOPICS = (INTERVIEW_EVENTS, DECISION_EVENTS, CANDIDACY_EVENTS)
"""The topics whose every partition is a transparency-log tree (base names, without a prefix)."""

DEFAULT_BASE = "hiring-pipeline.local"


def default_base(prefix: str = "") -> str:
    """The origin base of a deployment: ``hiring-pipeline.local/<topic prefix or 'default'>``."""
    return f"{DEFAULT_BASE}/{prefix or 'default'}"


def origin(base: str, topic: str, partition: int) -> str:
    """The checkpoint origin of one tree: ``<base>/<topic without prefix>/<partition>``."""
    return f"{base}/{topic}/{partition}"


def parse_origin(text: str) -> tuple[str, str, int]:
    """``(base, topic, partition)`` of an origin ``origin`` built; ``ValueError`` otherwise."""
    base, _, rest = text.rpartition("/")
    base, _, topic = base.rpartition("/")
    if not base or topic not in LOGGED_TOPICS or not rest.isdigit():
        raise ValueError(f"origin {text!r} is not <base>/<logged topic>/<partition>")
    return base, topic, int(rest)


def record_leaf(attributes: Mapping[str, str], value: bytes | None) -> bytes:
    """A record's leaf data: the 32 raw bytes of its chain hash (SHA-256 of the value if not JSON)."""
    if value is not None:
        try:
            return bytes.fromhex(record_hash(attributes, value))
        except ValueError:  # not UTF-8, not JSON, or not canonicalisable: the bytes themselves
            pass
    return hashlib.sha256(value or b"").digest()


class InclusionProof(Frozen):
    """That one record is leaf ``leaf_index`` of the tree of ``tree_size`` its checkpoint signs."""

    origin: str
    topic: str
    partition: int = Field(ge=0)
    offset: int = Field(ge=0)
    leaf_index: int = Field(ge=0)
    tree_size: int = Field(ge=1)
    leaf_hash: str = Field(pattern="^[0-9a-f]{64}$", description="merkle.leaf_hash(record_leaf(...)), hex")
    hashes: list[str] = Field(description="The audit path, leaf to root, hex")
    checkpoint: str = Field(description="The signed checkpoint note the proof was computed against")


class ConsistencyProof(Frozen):
    """That the tree of ``old_size`` is a prefix of the tree of ``new_size`` (same origin)."""

    origin: str
    old_size: int = Field(ge=0)
    new_size: int = Field(ge=0)
    hashes: list[str] = Field(description="RFC 9162 consistency path, hex")
    checkpoint: str = Field(description="The signed checkpoint note of new_size")
