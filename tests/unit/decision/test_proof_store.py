"""The proof store's O(log n) proofs equal ``schemas.merkle``'s reference proofs and verify (ADR 0026)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from aiokafka import ConsumerRecord

from schemas import merkle
from services.decision.adapters.proof_store import ProofStore
from services.decision.adapters.tlog_records import leaf_of


def record(topic: str, partition: int, offset: int, value: bytes) -> ConsumerRecord[bytes, bytes]:
    """A stored record (not JSON: its leaf is SHA-256 of the value)."""
    return ConsumerRecord(topic, partition, offset, 0, 0, b"k", value, None, len(b"k"), len(value), ())


def fill(store: ProofStore, n: int, batch: int = 7, gap: int = 2) -> list[bytes]:
    """``n`` records of decision.events/0 in batches, offsets skipping markers; their leaf hashes."""
    records = [record("p.decision.events", 0, i * gap, f"v{i}".encode()) for i in range(n)]
    for start in range(0, n, batch):
        store.add_records(records[start : start + batch])
    return [leaf_of(r) for r in records]


@pytest.fixture
def store(tmp_path: Path) -> ProofStore:
    return ProofStore(tmp_path / "proofs.sqlite", prefix="p.")


def test_leaf_of_a_value_that_is_not_json_is_its_sha256() -> None:
    want = merkle.leaf_hash(hashlib.sha256(b"v0").digest())
    assert leaf_of(record("t", 0, 0, b"v0")) == want


@pytest.mark.parametrize("n", [1, 2, 3, 7, 8, 9, 33, 100])
def test_roots_and_proofs_equal_the_reference(store: ProofStore, n: int) -> None:
    leaves = fill(store, n)
    assert store.size("decision.events", 0) == n
    for size in range(1, n + 1):
        root = merkle.root(leaves[:size])
        assert store.range_root("decision.events", 0, 0, size) == root
        for index in range(size):
            path = store.inclusion("decision.events", 0, index, size)
            assert path == merkle.inclusion_proof(leaves, index, size)
            assert merkle.verify_inclusion(leaves[index], index, size, path, root)
        for old in range(1, size + 1):
            proof = store.consistency("decision.events", 0, old, size)
            assert proof == merkle.consistency_proof(leaves, old, size)
            assert merkle.verify_consistency(old, size, merkle.root(leaves[:old]), root, proof)


def test_offsets_map_to_leaf_indexes(store: ProofStore) -> None:
    fill(store, 10, gap=3)
    assert store.leaf_index("decision.events", 0, 9) == 3
    assert store.leaf_index("decision.events", 0, 10) is None  # a transaction marker's offset: no record


def test_a_batch_read_again_is_not_appended_twice(tmp_path: Path) -> None:
    path = tmp_path / "proofs.sqlite"
    first = ProofStore(path, prefix="p.")
    leaves = fill(first, 20)
    first.close()
    again = ProofStore(path, prefix="p.")  # a restart: the right edge comes from the file
    again.add_records([record("p.decision.events", 0, i * 2, f"v{i}".encode()) for i in range(15, 25)])
    leaves += [leaf_of(record("t", 0, 0, f"v{i}".encode())) for i in range(20, 25)]
    assert again.size("decision.events", 0) == 25
    assert again.range_root("decision.events", 0, 0, 25) == merkle.root(leaves)


def test_a_proof_beyond_what_is_held_is_refused(store: ProofStore) -> None:
    fill(store, 5)
    with pytest.raises(ValueError, match="not held"):
        store.inclusion("decision.events", 0, 5, 6)
    with pytest.raises(ValueError, match="old <= new"):
        store.consistency("decision.events", 0, 3, 6)


def test_trees_are_per_topic_and_partition(store: ProofStore) -> None:
    fill(store, 4)
    store.add_records([record("p.interview.events", 1, 0, b"x")])
    assert store.size("interview.events", 1) == 1
    assert store.size("interview.events", 0) == 0
    assert store.size("decision.events", 0) == 4


def test_revisions_are_indexed_by_interview_and_revision(store: ProofStore) -> None:
    headers: Any = (("ce_subject", b"iv-1"), ("ce_sequence", b"00000000000000000002"))
    rec = ConsumerRecord("p.decision.events", 2, 40, 0, 0, b"iv-1", b"{}", None, 4, 2, headers)
    store.add_records([rec])
    assert store.revision_record("iv-1", 2) == (2, 40)
    assert store.revision_record("iv-1", 1) is None


def test_a_recreated_topic_empties_its_trees_only(store: ProofStore) -> None:
    fill(store, 6)
    store.read_to(0, 12, "decision.events")
    store.add_records([record("p.interview.events", 0, 0, b"x")])
    store.read_to(0, 1, "interview.events")
    assert not store.forget_if_ahead({0: 12}, "decision.events")
    assert store.forget_if_ahead({0: 3}, "decision.events")  # holds less than was read: recreated
    assert store.size("decision.events", 0) == 0
    assert store.position(0, "decision.events") == 0
    assert store.size("interview.events", 0) == 1  # another topic's tree is untouched
    assert store.position(0, "interview.events") == 1
    fill(store, 3)
    assert store.range_root("decision.events", 0, 0, 3) == merkle.root(
        [leaf_of(record("t", 0, 0, f"v{i}".encode())) for i in range(3)]
    )
