"""RFC 6962 / RFC 9162 Merkle trees: hashing, roots, inclusion and consistency proofs, compact ranges.

Leaves and nodes are domain-separated (0x00 and 0x01 prefixes), so no leaf can pose as a node. The
proof algorithms are RFC 9162 section 2.1.3 (inclusion) and 2.1.4 (consistency); the generators are
the recursive definitions (PATH and SUBPROOF), which is what an auditor holding the leaves needs. A
maintainer keeps a ``CompactRange``: O(log n) state that grows a tree one leaf at a time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
"""The root of the empty tree."""


def leaf_hash(data: bytes) -> bytes:
    """SHA-256(0x00 || data): the hash of a leaf."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right): the hash of an interior node."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (n > 1): where RFC 6962 splits a tree."""
    return 1 << ((n - 1).bit_length() - 1)


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """The Merkle tree hash of the leaves (already leaf-hashed); SHA-256(b"") for none."""
    if not leaf_hashes:
        return EMPTY_ROOT
    level = CompactRange()
    for h in leaf_hashes:
        level.append(h)
    return level.root()


def inclusion_proof(leaf_hashes: Sequence[bytes], index: int, size: int) -> list[bytes]:
    """The audit path of leaf ``index`` in the tree of the first ``size`` leaves (RFC 6962 PATH)."""
    if not 0 <= index < size <= len(leaf_hashes):
        raise ValueError(f"no leaf {index} in a tree of size {size} ({len(leaf_hashes)} leaves known)")
    return _path(index, leaf_hashes[:size])


def _path(m: int, leaves: Sequence[bytes]) -> list[bytes]:
    n = len(leaves)
    if n == 1:
        return []
    k = _split(n)
    if m < k:
        return [*_path(m, leaves[:k]), root(leaves[k:])]
    return [*_path(m - k, leaves[k:]), root(leaves[:k])]


def consistency_proof(leaf_hashes: Sequence[bytes], m: int, n: int) -> list[bytes]:
    """The proof that the tree of the first ``m`` leaves is a prefix of that of the first ``n``."""
    if not 0 <= m <= n <= len(leaf_hashes):
        raise ValueError(f"no consistency proof from size {m} to {n} ({len(leaf_hashes)} leaves known)")
    if m in (0, n):
        return []
    return _subproof(m, leaf_hashes[:n], True)


def _subproof(m: int, leaves: Sequence[bytes], complete: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if complete else [root(leaves)]
    k = _split(n)
    if m <= k:
        return [*_subproof(m, leaves[:k], complete), root(leaves[k:])]
    return [*_subproof(m - k, leaves[k:], False), root(leaves[:k])]


def _sized(*hashes: bytes) -> bool:
    return all(len(h) == HASH_SIZE for h in hashes)


def verify_inclusion(leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> bool:
    """Whether ``proof`` puts ``leaf_hash`` at ``index`` of the tree of ``size`` whose root is ``root``."""
    if not (0 <= index < size and _sized(leaf_hash, root, *proof)):
        return False
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(m: int, n: int, root_m: bytes, root_n: bytes, proof: Sequence[bytes]) -> bool:
    """Whether ``proof`` shows the tree of size ``m`` (``root_m``) is a prefix of the one of ``n``."""
    if not (0 <= m <= n and _sized(*proof)):
        return False
    if m == n:
        return not proof and root_m == root_n
    if m == 0:
        return not proof  # the empty tree is a prefix of every tree
    if not proof or not _sized(root_m, root_n):
        return False
    path = [root_m, *proof] if m & (m - 1) == 0 else list(proof)
    fn, sn = m - 1, n - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == root_m and sr == root_n


class CompactRange:
    """The roots of the perfect subtrees covering leaves [0, size): a tree's O(log n) growing state."""

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        if size < 0 or len(hashes) != size.bit_count() or not _sized(*hashes):
            raise ValueError(f"a compact range of size {size} holds {size.bit_count()} 32-byte hashes")
        self.size = size
        self.hashes = list(hashes)

    def append(self, leaf: bytes) -> None:
        """Add the next leaf hash, merging the complete subtrees it closes."""
        if len(leaf) != HASH_SIZE:
            raise ValueError("a leaf hash is 32 bytes")
        self.hashes.append(leaf)
        n = self.size
        while n & 1:
            right = self.hashes.pop()
            self.hashes[-1] = node_hash(self.hashes[-1], right)
            n >>= 1
        self.size += 1

    def root(self) -> bytes:
        """The Merkle tree hash of the leaves appended so far."""
        if not self.hashes:
            return EMPTY_ROOT
        r = self.hashes[-1]
        for h in reversed(self.hashes[:-1]):
            r = node_hash(h, r)
        return r

    def to_json(self) -> dict[str, Any]:
        """``{"size": n, "hashes": [hex, ...]}``, left to right."""
        return {"size": self.size, "hashes": [h.hex() for h in self.hashes]}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> CompactRange:
        """The range ``to_json`` wrote; ``ValueError`` when malformed."""
        try:
            return cls(int(raw["size"]), [bytes.fromhex(str(h)) for h in raw["hashes"]])
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not a compact range: {exc}") from None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CompactRange) and (self.size, self.hashes) == (other.size, other.hashes)

    __hash__ = None  # type: ignore[assignment]  # mutable
