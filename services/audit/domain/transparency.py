"""The auditor's side of the transparency log (ADR 0025): trees recomputed from history, kept checkpoints.

The audit never trusts a tree the service maintains: it recomputes every (topic, partition) tree from
the records it reads, leaf i being the i-th record of the partition in offset order, and compares the
prefix each kept checkpoint signed. A checkpoint kept with its leaves (``checkpoint save`` with the
history at hand) lets a divergence be named to the record: topic, partition, offset and interview.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from schemas import merkle, tlog
from schemas.checkpoint import Checkpoint
from services.audit.domain.records import LogRecord


class OrderError(ValueError):
    """The history of a partition is not in offset order (a tree needs the log's own order)."""


@dataclass(frozen=True)
class Leaf:
    """One leaf as the audit read it: the record's offset, its leaf hash and its interview."""

    offset: int
    hash: bytes
    interview: str


def leaf_of(record: LogRecord) -> Leaf:
    """The leaf a record makes (recomputed from its stored bytes, never from its ``chainhash`` header)."""
    data = tlog.record_leaf(record.attributes, record.value)
    return Leaf(record.offset, merkle.leaf_hash(data), record.subject())


@dataclass
class PartitionLog:
    """The leaves of one (topic, partition) in offset order."""

    topic: str
    partition: int
    leaves: list[Leaf] = field(default_factory=list)

    def add(self, leaf: Leaf) -> None:
        """Append the next record's leaf; ``OrderError`` when it does not come after the last one."""
        if self.leaves and leaf.offset <= self.leaves[-1].offset:
            raise OrderError(
                f"{self.topic}[{self.partition}]@{leaf.offset} comes after offset {self.leaves[-1].offset}: "
                "the history is not in offset order"
            )
        self.leaves.append(leaf)

    def hashes(self, size: int | None = None) -> list[bytes]:
        """The leaf hashes of the first ``size`` leaves (all by default)."""
        return [leaf.hash for leaf in self.leaves[:size]]

    def root(self, size: int) -> bytes:
        """The root of the tree of the first ``size`` leaves."""
        return merkle.root(self.hashes(size))


Logs = dict[tuple[str, int], PartitionLog]


def partition_logs(records: Iterable[LogRecord]) -> Logs:
    """The leaves of every logged (topic, partition) the records hold."""
    logs: Logs = {}
    for record in records:
        if record.topic in tlog.LOGGED_TOPICS:
            key = (record.topic, record.partition)
            logs.setdefault(key, PartitionLog(*key)).add(leaf_of(record))
    return logs


@dataclass(frozen=True)
class Kept:
    """A checkpoint an auditor kept: the signed note, what it states, and the leaves when known."""

    name: str
    note: str
    checkpoint: Checkpoint
    leaves: tuple[Leaf, ...] | None = None

    @property
    def where(self) -> tuple[str, int]:
        """``(topic, partition)`` of the tree the checkpoint signs."""
        _, topic, partition = tlog.parse_origin(self.checkpoint.origin)
        return topic, partition


@dataclass(frozen=True)
class Divergence:
    """Where the history read no longer matches a kept checkpoint."""

    topic: str
    partition: int
    index: int | None
    offset: int | None
    interview: str | None
    detail: str


def check_leaves(kept: Kept) -> str | None:
    """Why the kept leaves do not make the signed root (None when they do, or none were kept)."""
    if kept.leaves is None:
        return None
    hashes = [leaf.hash for leaf in kept.leaves]
    if len(hashes) != kept.checkpoint.size or merkle.root(hashes) != kept.checkpoint.root:
        return f"{kept.name}: its {len(hashes)} kept leaves do not make the root it signs"
    return None


def diverges(kept: Kept, log: PartitionLog | None) -> Divergence | None:
    """Whether the history of the kept checkpoint's partition still extends it, and if not where."""
    topic, partition = kept.where
    size = kept.checkpoint.size
    have = log.leaves if log is not None else []
    if len(have) >= size and merkle.root([leaf.hash for leaf in have[:size]]) == kept.checkpoint.root:
        return None
    first = _first_difference(kept.leaves, have, size)
    if first is None:
        detail = (f"{topic}[{partition}]: the first {size} records no longer make the root signed in "
                  f"{kept.name} (its leaves were not kept, so the record cannot be named)")  # fmt: skip
        return Divergence(topic, partition, None, None, None, detail)
    return _named(kept, have, first)


def _first_difference(kept: Sequence[Leaf] | None, have: Sequence[Leaf], size: int) -> int | None:
    if kept is None:
        return None
    for i, leaf in enumerate(kept[:size]):
        if i >= len(have) or have[i].hash != leaf.hash:
            return i
    return None


def _named(kept: Kept, have: Sequence[Leaf], i: int) -> Divergence:
    """The divergence at leaf ``i``: the interview is the one of the record the checkpoint signed."""
    topic, partition = kept.where
    was = kept.leaves[i] if kept.leaves is not None else Leaf(-1, b"", "?")
    where = f"{topic}[{partition}]"
    if i >= len(have):
        detail = (f"{where} holds {len(have)} records, but {kept.name} signed {kept.checkpoint.size}: "
                  f"leaf {i} (offset {was.offset}, interview {was.interview}) is gone")  # fmt: skip
        return Divergence(topic, partition, i, was.offset, was.interview, detail)
    now = have[i]
    also = "" if now.interview == was.interview else f"; it now belongs to interview {now.interview}"
    detail = (f"{where}@{now.offset} (leaf {i}) is not the record of interview {was.interview} that "
              f"{kept.name} signed at offset {was.offset}{also}: history was rewritten after the "
              "checkpoint")  # fmt: skip
    return Divergence(topic, partition, i, now.offset, was.interview, detail)


def divergences(kept: Iterable[Kept], logs: Logs) -> list[Divergence]:
    """The first divergence of each partition that some kept checkpoint no longer matches."""
    first: dict[tuple[str, int], Divergence] = {}
    for k in kept:
        found = diverges(k, logs.get(k.where))
        if found is None:
            continue
        held = first.get(k.where)
        if (
            held is None
            or (held.index is None and found.index is not None)
            or (found.index is not None and held.index is not None and found.index < held.index)
        ):
            first[k.where] = found
    return [first[key] for key in sorted(first)]


def inconsistent(older: Kept, newer: Kept) -> str | None:
    """Why two kept checkpoints of one origin cannot both be honest (None when the leaves agree).

    Needs the leaves of the larger one; without them nothing can be said offline (None).
    """
    small, large = sorted((older, newer), key=lambda k: k.checkpoint.size)
    if small.checkpoint.size == large.checkpoint.size:
        if small.checkpoint.root != large.checkpoint.root:
            return f"{small.name} and {large.name} sign different roots for the same size: a split view"
        return None
    if large.leaves is None:
        return None
    hashes = [leaf.hash for leaf in large.leaves]
    m, n = small.checkpoint.size, large.checkpoint.size
    proof = merkle.consistency_proof(hashes, m, n)
    if not merkle.verify_consistency(m, n, small.checkpoint.root, large.checkpoint.root, proof):
        return f"{large.name} does not extend {small.name}: the log forked (a split view)"
    return None
