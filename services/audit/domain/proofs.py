"""Inclusion proofs on the auditor's side: made from history against a kept checkpoint, checked offline.

An inclusion proof holds the leaf, its audit path (about log2(n) hashes) and the signed checkpoint it
was computed against. Checked offline it needs only the log's verifier key and the checkpoints the
auditor kept: the proof's checkpoint must be one of them, or provably extend (or be a prefix of) one.
"""

from __future__ import annotations

from collections.abc import Sequence

from schemas import merkle, tlog
from schemas.checkpoint import Checkpoint, NoteError, Verifier, open_note, parse_body, split
from services.audit.domain.report import Discrepancy, Kind, VerifyReport
from services.audit.domain.transparency import Divergence, Kept, PartitionLog


def inclusion(log: PartitionLog, index: int, kept: Kept) -> tlog.InclusionProof:
    """The proof of leaf ``index`` of ``log`` in the tree ``kept`` signs (the history must match it)."""
    size = kept.checkpoint.size
    hashes = log.hashes(size)
    proof = merkle.inclusion_proof(hashes, index, size)
    topic, partition = kept.where
    return tlog.InclusionProof(
        origin=kept.checkpoint.origin, topic=topic, partition=partition, offset=log.leaves[index].offset,
        leaf_index=index, tree_size=size, leaf_hash=hashes[index].hex(), hashes=[h.hex() for h in proof],
        checkpoint=kept.note,
    )  # fmt: skip


def against(kept: Sequence[Kept], log: PartitionLog, index: int) -> Kept | None:
    """The smallest kept checkpoint of the log's partition that covers leaf ``index`` and matches history."""
    mine = [k for k in kept if k.where == (log.topic, log.partition) and k.checkpoint.size > index]
    for k in sorted(mine, key=lambda k: k.checkpoint.size):
        size = k.checkpoint.size
        if len(log.leaves) >= size and log.root(size) == k.checkpoint.root:
            return k
    return None


def check_inclusion(
    proof: tlog.InclusionProof,
    verifiers: Sequence[Verifier],
    kept: Sequence[Kept],
    consistency: tlog.ConsistencyProof | None = None,
    record_hash: str | None = None,
) -> list[str]:
    """Every reason the proof fails offline (empty: it proves the record is in a log the auditor kept)."""
    try:
        point = open_note(proof.checkpoint, verifiers)
    except NoteError as exc:
        return [f"the proof's checkpoint: {exc}"]
    problems = []
    if (point.origin, point.size) != (proof.origin, proof.tree_size):
        problems.append(f"the proof is for {proof.origin} size {proof.tree_size}, its checkpoint for "
                        f"{point.origin} size {point.size}")  # fmt: skip
    hashes = [bytes.fromhex(h) for h in proof.hashes]
    leaf = bytes.fromhex(proof.leaf_hash)
    if not merkle.verify_inclusion(leaf, proof.leaf_index, proof.tree_size, hashes, point.root):
        problems.append(f"leaf {proof.leaf_index} is not in a tree of size {proof.tree_size} and that root")
    if record_hash is not None and merkle.leaf_hash(bytes.fromhex(record_hash)) != leaf:
        problems.append(f"the proven leaf is not the record whose chain hash is {record_hash}")
    tie = tied(point, kept, verifiers, consistency)
    return problems + ([tie] if tie else [])


def tied(
    point: Checkpoint,
    kept: Sequence[Kept],
    verifiers: Sequence[Verifier],
    consistency: tlog.ConsistencyProof | None,
) -> str | None:
    """Why ``point`` is not tied to a kept checkpoint (None when it is one, or provably consistent)."""
    mine = [k for k in kept if k.checkpoint.origin == point.origin]
    for k in mine:
        if k.checkpoint.size == point.size:
            same = k.checkpoint.root == point.root
            return None if same else f"{k.name} signs another root for size {point.size}: a split view"
        if k.leaves is not None and k.checkpoint.size > point.size:
            hashes = [leaf.hash for leaf in k.leaves]
            if merkle.root(hashes[: point.size]) == point.root:
                return None
            return f"{k.name} does not extend the proof's checkpoint: the log forked (a split view)"
    if consistency is not None:
        return _by_consistency(point, mine, verifiers, consistency)
    return (f"no kept checkpoint of {point.origin} is size {point.size} or covers it; pass the "
            "consistency proof from a kept size (--consistency)")  # fmt: skip


def _by_consistency(
    point: Checkpoint, mine: Sequence[Kept], verifiers: Sequence[Verifier], proof: tlog.ConsistencyProof
) -> str | None:
    try:
        newer = open_note(proof.checkpoint, verifiers) if proof.checkpoint else point
    except NoteError as exc:
        return f"the consistency proof's checkpoint: {exc}"
    old = next((k for k in mine if k.checkpoint.size == proof.old_size), None)
    if old is None or newer != point or proof.new_size != point.size:
        return "the consistency proof does not run from a kept checkpoint to the proof's checkpoint"
    hashes = [bytes.fromhex(h) for h in proof.hashes]
    if merkle.verify_consistency(old.checkpoint.size, point.size, old.checkpoint.root, point.root, hashes):
        return None
    return f"the proof's checkpoint does not extend {old.name}: the log forked (a split view)"


def note_checkpoint(note: str) -> Checkpoint:
    """What a note states, unverified (for display)."""
    return parse_body(split(note)[0])


def as_discrepancy(found: Divergence) -> Discrepancy:
    """A divergence as a ``verify`` finding."""
    return Discrepancy(kind=Kind.CHECKPOINT_DIVERGED, interview=found.interview, topic=found.topic,
                       partition=found.partition, offset=found.offset, detail=found.detail)  # fmt: skip


def with_findings(report: VerifyReport, found: Sequence[Discrepancy]) -> VerifyReport:
    """The report with the checkpoint findings first (they say the history itself was replaced)."""
    if not found:
        return report
    by_kind = {str(Kind.CHECKPOINT_DIVERGED): len(found), **report.by_kind}
    return report.model_copy(
        update={"ok": False, "discrepancies": (*found, *report.discrepancies), "by_kind": by_kind}
    )
