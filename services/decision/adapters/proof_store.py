"""The proof store (ADR 0026): every transparency-log tree's complete subtrees in SQLite, for O(log n) proofs.

A tree per partition of ``interview.events``, ``decision.events`` and ``decision.candidacies``: leaf i is
the i-th committed record of the partition (``schemas.tlog.record_leaf``). For every aligned complete
subtree (level l, index j: leaves ``[j·2^l, (j+1)·2^l)``) the store keeps its hash, about 2n rows for n
leaves, so the hash of any range is a fold of at most 2·log2(n) stored nodes and an inclusion or
consistency proof (RFC 9162 §2.1.3, §2.1.4) is computed with O(log² n) primary-key lookups at worst and
no leaf re-read. A read model like the others (ADR 0015): fed by tailing the topics, positions per
partition, a new disk reads from offset 0. It also keeps the latest checkpoint of each origin, read from
``decision.checkpoints``, and, for ``decision.events``, which record holds each verdict revision.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from schemas import merkle
from schemas.codec import headers_to_attributes
from services.decision.adapters.tlog_records import CheckpointRecord, leaf_of
from services.decision.adapters.verdict_store import SqliteFedStore
from services.platform.sqlite import transaction
from services.platform.state import exclusive_file

LOGGED = ("interview.events", "decision.events", "decision.candidacies")
"""The topics (base names) whose partitions each have a tree, in tree-id order."""

CHECKPOINTS = "decision.checkpoints"
_TREES_PER_TOPIC = 1 << 20  # tree id = topic number * this + partition


def tree_id(topic: str, partition: int) -> int:
    """The integer naming a (topic, partition) tree in the file."""
    return LOGGED.index(topic) * _TREES_PER_TOPIC + partition


def split(n: int) -> int:
    """The largest power of two below ``n`` (n ≥ 2): RFC 9162's k."""
    return 1 << ((n - 1).bit_length() - 1)


@dataclass
class _Edge:
    """A tree's right edge: the roots of its maximal complete subtrees, left to right, and what it holds."""

    size: int = 0
    last_offset: int = -1
    nodes: list[tuple[int, int, bytes]] = field(default_factory=list)  # (level, index, hash)


@dataclass(frozen=True)
class Checkpoint:
    """The latest published checkpoint of one tree, as the notary wrote it."""

    origin: str
    topic: str
    partition: int
    size: int
    root: bytes
    note: str


class ProofStore(SqliteFedStore):
    """Subtree nodes of every tree, every leaf's offset, revisions' records, the latest checkpoints."""

    FORMAT = "tlog-proofs/1"
    TABLES = {
        "node": "tree INTEGER, level INTEGER, idx INTEGER, hash BLOB, PRIMARY KEY (tree, level, idx)",
        "leaf": "tree INTEGER, offset INTEGER, idx INTEGER, PRIMARY KEY (tree, offset)",
        "edge": "tree INTEGER PRIMARY KEY, size INTEGER, last_offset INTEGER",
        "rev": "interview TEXT, revision INTEGER, partition INTEGER, offset INTEGER, "
        "PRIMARY KEY (interview, revision)",
        "checkpoint": "origin TEXT PRIMARY KEY, topic TEXT, partition INTEGER, size INTEGER, root BLOB, "
        "note TEXT",
    }

    def __init__(self, path: Path, prefix: str = "") -> None:
        super().__init__(path)
        self.prefix = prefix
        self._edges: dict[int, _Edge] = {}

    def add_records(self, records: list[Any]) -> None:
        """Append records of one partition of a logged topic (or keep checkpoints); one held is skipped."""
        base = records[0].topic[len(self.prefix) :]
        if base == CHECKPOINTS:
            self._keep_checkpoints(records)
            return
        tree = tree_id(base, records[0].partition)
        edge = self._edge(tree)
        fresh = [r for r in records if r.offset > edge.last_offset]  # a batch re-read after a crash
        if not fresh:
            return
        nodes, leaves = self._append(edge, tree, fresh)
        revisions = [_revision(r) for r in fresh] if base == "decision.events" else []
        with transaction(self._db):
            self._db.executemany("INSERT OR REPLACE INTO node VALUES (?, ?, ?, ?)", nodes)
            self._db.executemany("INSERT OR REPLACE INTO leaf VALUES (?, ?, ?)", leaves)
            self._db.executemany("INSERT OR IGNORE INTO rev VALUES (?, ?, ?, ?)", filter(None, revisions))
            self._db.execute(
                "INSERT OR REPLACE INTO edge VALUES (?, ?, ?)", (tree, edge.size, edge.last_offset)
            )

    def _append(
        self, edge: _Edge, tree: int, records: list[Any]
    ) -> tuple[list[tuple[int, int, int, bytes]], list[tuple[int, int, int]]]:
        """Grow the right edge by each record's leaf; the nodes completed and the leaves' rows."""
        nodes, leaves = [], []
        for record in records:
            index, hashed = edge.size, leaf_of(record)
            edge.nodes.append((0, index, hashed))
            nodes.append((tree, 0, index, hashed))
            while len(edge.nodes) > 1 and edge.nodes[-1][0] == edge.nodes[-2][0]:
                (level, left_index, left), (_, _, right) = edge.nodes[-2], edge.nodes[-1]
                merged = (level + 1, left_index >> 1, merkle.node_hash(left, right))
                edge.nodes[-2:] = [merged]
                nodes.append((tree, *merged))
            leaves.append((tree, record.offset, index))
            edge.size, edge.last_offset = index + 1, record.offset
        return nodes, leaves

    def _edge(self, tree: int) -> _Edge:
        """The tree's right edge, read from the file the first time (the decomposition of its size)."""
        edge = self._edges.get(tree)
        if edge is None:
            row = self._db.execute("SELECT size, last_offset FROM edge WHERE tree = ?", (tree,)).fetchone()
            edge = _Edge(*row) if row else _Edge()
            start = 0
            for level in range(edge.size.bit_length() - 1, -1, -1):
                if edge.size >> level & 1:
                    edge.nodes.append((level, start >> level, self._node(tree, level, start >> level)))
                    start += 1 << level
            self._edges[tree] = edge
        return edge

    def _forget(self) -> None:
        super()._forget()
        self._edges = {}

    def forget_if_ahead(self, ends: dict[int, int], source: str = "") -> bool:
        """Empty what came from ``source`` only (not every tree) when its topic was recreated."""
        if all(self.position(p, source) <= end for p, end in ends.items()):
            return False
        with transaction(self._db):
            if source == CHECKPOINTS:
                self._db.execute("DELETE FROM checkpoint")
            else:
                self._forget_trees(source)
            self._db.execute("DELETE FROM meta WHERE name LIKE ?", (f"offset.{source}.%",))
        return True

    def _forget_trees(self, topic: str) -> None:
        low, high = tree_id(topic, 0), tree_id(topic, 0) + _TREES_PER_TOPIC
        for table in ("node", "leaf", "edge"):
            self._db.execute(f"DELETE FROM {table} WHERE tree >= ? AND tree < ?", (low, high))
        if topic == "decision.events":
            self._db.execute("DELETE FROM rev")
        self._edges = {tree: edge for tree, edge in self._edges.items() if not low <= tree < high}

    def _keep_checkpoints(self, records: Iterable[Any]) -> None:
        rows = []
        for record in records:
            if record.value is None:
                continue
            found = CheckpointRecord.decode(record.value)
            rows.append((found.origin, found.topic, found.partition, found.size, found.root, found.note))
        with transaction(self._db):
            self._db.executemany("INSERT OR REPLACE INTO checkpoint VALUES (?, ?, ?, ?, ?, ?)", rows)

    # Reads.

    def size(self, topic: str, partition: int) -> int:
        """Leaves held of the tree."""
        return self._edge(tree_id(topic, partition)).size

    def leaf_index(self, topic: str, partition: int, offset: int) -> int | None:
        """The leaf index of the record at ``offset`` (None: not a record held)."""
        row = self._db.execute(
            "SELECT idx FROM leaf WHERE tree = ? AND offset = ?", (tree_id(topic, partition), offset)
        ).fetchone()
        return None if row is None else int(row[0])

    def revision_record(self, interview_id: str, revision: int) -> tuple[int, int] | None:
        """(partition, offset) of a verdict revision's record on ``decision.events``."""
        row = self._db.execute(
            "SELECT partition, offset FROM rev WHERE interview = ? AND revision = ?", (interview_id, revision)
        ).fetchone()
        return None if row is None else (int(row[0]), int(row[1]))

    def checkpoints(self) -> list[Checkpoint]:
        """The latest checkpoint of every origin, by origin."""
        rows = self._db.execute(
            "SELECT origin, topic, partition, size, root, note FROM checkpoint ORDER BY origin"
        )
        return [Checkpoint(*row) for row in rows.fetchall()]

    def checkpoint(self, topic: str, partition: int) -> Checkpoint | None:
        """The latest checkpoint of the tree of ``topic``/``partition``."""
        found = [c for c in self.checkpoints() if (c.topic, c.partition) == (topic, partition)]
        return found[0] if found else None

    def leaf(self, topic: str, partition: int, index: int) -> bytes:
        """The leaf hash at ``index``."""
        return self._node(tree_id(topic, partition), 0, index)

    def range_root(self, topic: str, partition: int, start: int, end: int) -> bytes:
        """MTH of leaves ``[start, end)`` from stored subtrees (RFC 9162 §2.1.1)."""
        return _Tree(self, tree_id(topic, partition)).mth(start, end)

    def inclusion(self, topic: str, partition: int, index: int, size: int) -> list[bytes]:
        """The audit path of leaf ``index`` in the tree of ``size`` leaves (RFC 9162 §2.1.3.1)."""
        if not 0 <= index < size <= self.size(topic, partition):
            raise ValueError(f"leaf {index} of a tree of {size}: not held")
        return _Tree(self, tree_id(topic, partition)).path(index, 0, size)

    def consistency(self, topic: str, partition: int, old: int, new: int) -> list[bytes]:
        """The consistency proof from size ``old`` to ``new`` (RFC 9162 §2.1.4.1)."""
        if not 0 < old <= new <= self.size(topic, partition):
            raise ValueError(f"sizes {old} and {new}: not 0 < old <= new <= {self.size(topic, partition)}")
        return [] if old == new else _Tree(self, tree_id(topic, partition)).subproof(old, 0, new, True)

    def _node(self, tree: int, level: int, index: int) -> bytes:
        row = self._db.execute(
            "SELECT hash FROM node WHERE tree = ? AND level = ? AND idx = ?", (tree, level, index)
        ).fetchone()
        if row is None:
            raise KeyError(f"tree {tree}: no node at level {level}, index {index}")
        return bytes(row[0])


@dataclass
class _Tree:
    """RFC 9162's recursions over stored complete subtrees (a cache for one proof's repeated ranges)."""

    store: ProofStore
    tree: int
    seen: dict[tuple[int, int], bytes] = field(default_factory=dict)

    def mth(self, start: int, end: int) -> bytes:
        n = end - start
        if n == 0:
            return merkle.root([])
        if (start, end) not in self.seen:
            if n & (n - 1) == 0 and start % n == 0:  # an aligned complete subtree: stored
                level = n.bit_length() - 1
                self.seen[start, end] = self.store._node(self.tree, level, start >> level)
            else:
                k = split(n)
                self.seen[start, end] = merkle.node_hash(self.mth(start, start + k), self.mth(start + k, end))
        return self.seen[start, end]

    def path(self, m: int, start: int, end: int) -> list[bytes]:
        if end - start == 1:
            return []
        k = split(end - start)
        if m < start + k:
            return [*self.path(m, start, start + k), self.mth(start + k, end)]
        return [*self.path(m, start + k, end), self.mth(start, start + k)]

    def subproof(self, m: int, start: int, end: int, complete: bool) -> list[bytes]:
        n = end - start
        if m == n:
            return [] if complete else [self.mth(start, end)]
        k = split(n)
        if m <= k:
            return [*self.subproof(m, start, start + k, complete), self.mth(start + k, end)]
        return [*self.subproof(m - k, start + k, end, False), self.mth(start, start + k)]


def _revision(record: Any) -> tuple[str, int, int, int] | None:
    """(interview, revision, partition, offset) of a ``decision.events`` record, when it names them."""
    attrs = headers_to_attributes(list(record.headers or []))
    if "subject" not in attrs or not attrs.get("sequence", "").isdigit():
        return None
    return attrs["subject"], int(attrs["sequence"]), record.partition, record.offset


def open_proof_store(directory: Path, prefix: str) -> ProofStore:
    """The proof store in ``directory`` (a private file when another process holds it)."""
    return ProofStore(exclusive_file(directory, f"{prefix}transparency-proofs.sqlite"), prefix)
