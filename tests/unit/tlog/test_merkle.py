"""RFC 6962 Merkle trees against the published reference vectors, then as properties.

The vectors are RFC 6962's eight-leaf example as the Certificate Transparency and transparency-dev
(github.com/transparency-dev/merkle, proof/verify_test.go) test suites publish them: the leaf data,
the root of every prefix, and inclusion and consistency proofs between them.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas import merkle
from schemas.merkle import (
    CompactRange,
    consistency_proof,
    inclusion_proof,
    verify_consistency,
    verify_inclusion,
)

Data = st.DataObject
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def h(text: str) -> bytes:
    return bytes.fromhex(text)


LEAVES = [h(x) for x in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                         "606162636465666768696a6b6c6d6e6f")]  # fmt: skip
LEAF_HASHES = [merkle.leaf_hash(x) for x in LEAVES]
ROOTS = [h(x) for x in (
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
)]  # fmt: skip
# (leaf number counted from 1, tree size, proof), as the reference suite lists them.
INCLUSION = [
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (3, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (2, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    (1, 1, []),
]  # fmt: skip
CONSISTENCY = [
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    (6, 7, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
]  # fmt: skip


def test_empty_tree_root_is_the_hash_of_nothing() -> None:
    assert merkle.root([]) == h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    assert CompactRange().root() == merkle.EMPTY_ROOT


@pytest.mark.parametrize("size", range(1, 9))
def test_roots_match_the_reference(size: int) -> None:
    assert merkle.root(LEAF_HASHES[:size]) == ROOTS[size - 1]
    compact = CompactRange()
    for leaf in LEAF_HASHES[:size]:
        compact.append(leaf)
    assert compact.root() == ROOTS[size - 1]


@pytest.mark.parametrize(("leaf", "size", "proof"), INCLUSION)
def test_inclusion_proofs_match_the_reference(leaf: int, size: int, proof: list[str]) -> None:
    expected = [h(p) for p in proof]
    assert inclusion_proof(LEAF_HASHES, leaf - 1, size) == expected
    assert verify_inclusion(LEAF_HASHES[leaf - 1], leaf - 1, size, expected, ROOTS[size - 1])


@pytest.mark.parametrize(("m", "n", "proof"), CONSISTENCY)
def test_consistency_proofs_match_the_reference(m: int, n: int, proof: list[str]) -> None:
    expected = [h(p) for p in proof]
    assert consistency_proof(LEAF_HASHES, m, n) == expected
    assert verify_consistency(m, n, ROOTS[m - 1], ROOTS[n - 1], expected)


def _inclusion_probes(index: int, size: int, proof: list[bytes], root: bytes) -> list[tuple]:  # type: ignore[type-arg]
    leaf = LEAF_HASHES[index]
    some = h("abacaba000000000000000000000000000000000000000000060061e00123456")
    probes = [
        (leaf, index - 1, size, proof, root), (leaf, index + 1, size, proof, root),
        (leaf, index ^ 2, size, proof, root), (leaf, index, size * 2, proof, root),
        (leaf, index, size // 2, proof, root), (b"WrongLeaf", index, size, proof, root),
        (leaf, index, size, proof, merkle.EMPTY_ROOT), (leaf, index, size, proof, some),
        (leaf, index, size, [*proof, b""], root), (leaf, index, size, [*proof, root], root),
        (leaf, index, size, [b"", *proof], root), (leaf, index, size, [root, *proof], root),
    ]  # fmt: skip
    for i in range(len(proof)):
        flipped = [*proof]
        flipped[i] = bytes([flipped[i][0] ^ 8]) + flipped[i][1:]
        probes.append((leaf, index, size, flipped, root))
    if proof:
        probes.append((leaf, index, size, proof[:-1], root))
    return probes


@pytest.mark.parametrize(("leaf", "size", "proof"), INCLUSION[:4])
def test_corrupted_inclusion_proofs_fail(leaf: int, size: int, proof: list[str]) -> None:
    for probe in _inclusion_probes(leaf - 1, size, [h(p) for p in proof], ROOTS[size - 1]):
        assert not verify_inclusion(*probe), probe


@pytest.mark.parametrize(("m", "n", "proof"), CONSISTENCY[1:])
def test_corrupted_consistency_proofs_fail(m: int, n: int, proof: list[str]) -> None:
    p, r1, r2 = [h(x) for x in proof], ROOTS[m - 1], ROOTS[n - 1]
    probes = [
        (m - 1, n, r1, r2, p), (m + 1, n, r1, r2, p), (m ^ 2, n, r1, r2, p), (m, n * 2, r1, r2, p),
        (m, n // 2, r1, r2, p), (m, n, b"WrongRoot", r2, p), (m, n, r1, b"WrongRoot", p),
        (m, n, r2, r1, p), (m, n, r1, r2, []), (m, n, r1, r2, [*p, b""]), (m, n, r1, r2, [*p, r1]),
        (m, n, r1, r2, [*p, r2]), (m, n, r1, r2, [b"", *p]), (m, n, r1, r2, [r1, *p]),
        (m, n, r1, r2, [r2, *p]), (m, n, r1, r2, [p[0], *p]), (m, n, r1, r2, p[:-1]),
    ]  # fmt: skip
    for i in range(len(p)):
        flipped = [*p]
        flipped[i] = bytes([flipped[i][0] ^ 16]) + flipped[i][1:]
        probes.append((m, n, r1, r2, flipped))
    for probe in probes:
        assert not verify_consistency(*probe), probe


def test_trivial_consistency() -> None:
    assert verify_consistency(0, 5, b"x", ROOTS[4], [])
    assert verify_consistency(3, 3, ROOTS[2], ROOTS[2], [])
    assert not verify_consistency(3, 3, ROOTS[2], ROOTS[3], [])
    assert not verify_consistency(4, 3, ROOTS[3], ROOTS[2], [])
    assert not verify_consistency(0, 1, merkle.EMPTY_ROOT, ROOTS[0], [merkle.EMPTY_ROOT])


def test_out_of_range_proofs_are_refused() -> None:
    with pytest.raises(ValueError, match="no leaf"):
        inclusion_proof(LEAF_HASHES, 8, 8)
    with pytest.raises(ValueError, match="no consistency proof"):
        consistency_proof(LEAF_HASHES, 3, 9)


trees = st.lists(st.binary(max_size=8), min_size=1, max_size=70).map(
    lambda data: [merkle.leaf_hash(d + bytes([i % 256])) for i, d in enumerate(data)]
)


@SETTINGS
@given(trees, st.data())
def test_every_inclusion_proof_verifies_in_about_log2_hashes(leaves: list[bytes], data: Data) -> None:
    size = data.draw(st.integers(1, len(leaves)))
    index = data.draw(st.integers(0, size - 1))
    proof = inclusion_proof(leaves, index, size)
    assert verify_inclusion(leaves[index], index, size, proof, merkle.root(leaves[:size]))
    assert len(proof) <= math.ceil(math.log2(size))
    if index < 1 << (size.bit_length() - 1):  # in the largest perfect subtree: the full depth
        assert len(proof) >= math.floor(math.log2(size))


@SETTINGS
@given(trees, st.data())
def test_every_consistency_proof_verifies(leaves: list[bytes], data: st.DataObject) -> None:
    n = data.draw(st.integers(1, len(leaves)))
    m = data.draw(st.integers(0, n))
    proof = consistency_proof(leaves, m, n)
    assert verify_consistency(m, n, merkle.root(leaves[:m]), merkle.root(leaves[:n]), proof)
    assert len(proof) <= math.ceil(math.log2(n)) + 1


@SETTINGS
@given(trees, st.data())
def test_tampering_any_hash_fails(leaves: list[bytes], data: st.DataObject) -> None:
    size = len(leaves)
    index = data.draw(st.integers(0, size - 1))
    proof, top = inclusion_proof(leaves, index, size), merkle.root(leaves)
    bit = data.draw(st.integers(0, 255))

    def flip(x: bytes) -> bytes:
        return bytes([x[0] ^ (1 << (bit % 8))]) + x[1:]

    assert not verify_inclusion(flip(leaves[index]), index, size, proof, top)
    assert not verify_inclusion(leaves[index], index, size, proof, flip(top))
    if proof:
        at = data.draw(st.integers(0, len(proof) - 1))
        assert not verify_inclusion(leaves[index], index, size, [*proof[:at], flip(proof[at]),
                                                                 *proof[at + 1:]], top)  # fmt: skip
    m = data.draw(st.integers(1, size))
    cproof, old = consistency_proof(leaves, m, size), merkle.root(leaves[:m])
    if m < size:
        assert not verify_consistency(m, size, flip(old), top, cproof)
        assert not verify_consistency(m, size, old, flip(top), cproof)
        at = data.draw(st.integers(0, len(cproof) - 1))
        assert not verify_consistency(m, size, old, top, [*cproof[:at], flip(cproof[at]), *cproof[at + 1 :]])


@SETTINGS
@given(trees, st.data())
def test_a_changed_leaf_breaks_consistency_with_the_old_root(leaves: list[bytes], data: Data) -> None:
    m = data.draw(st.integers(1, len(leaves)))
    at = data.draw(st.integers(0, m - 1))
    rewritten = [*leaves]
    rewritten[at] = merkle.leaf_hash(b"rewritten" + leaves[at])
    proof = consistency_proof(rewritten, m, len(rewritten))
    assert not verify_consistency(m, len(leaves), merkle.root(leaves[:m]), merkle.root(rewritten), proof)


@SETTINGS
@given(trees)
def test_compact_range_matches_the_root_and_round_trips(leaves: list[bytes]) -> None:
    compact = CompactRange()
    for i, leaf in enumerate(leaves, 1):
        compact.append(leaf)
        assert compact.size == i
        assert len(compact.hashes) == i.bit_count()
        assert compact.root() == merkle.root(leaves[:i])
    again = CompactRange.from_json(compact.to_json())
    assert again == compact
    again.append(leaves[0])
    assert again.root() == merkle.root([*leaves, leaves[0]])


def test_compact_range_refuses_a_malformed_state() -> None:
    with pytest.raises(ValueError, match="compact range of size 3"):
        CompactRange.from_json({"size": 3, "hashes": ["00" * 32]})
    with pytest.raises(ValueError, match="not a compact range"):
        CompactRange.from_json({"hashes": []})
    with pytest.raises(ValueError, match="32 bytes"):
        CompactRange().append(b"short")
