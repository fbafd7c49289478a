"""What a transparency-log leaf is: the record's chain hash, or the hash of bytes that are not JSON."""

from __future__ import annotations

import hashlib

import pytest

from schemas import encode, merkle, tlog
from schemas.chain import record_hash
from schemas.codec import headers_to_attributes
from tests.contract.samples import INTERVIEW_EVENTS


def test_a_leaf_is_the_records_chain_hash() -> None:
    wire = encode(INTERVIEW_EVENTS[0])
    attributes = headers_to_attributes(wire.headers)
    data = tlog.record_leaf(attributes, wire.value)
    assert data.hex() == record_hash(attributes, wire.value) == INTERVIEW_EVENTS[1].attributes.prevhash
    assert len(merkle.leaf_hash(data)) == 32


def test_a_changed_attribute_changes_the_leaf() -> None:
    wire = encode(INTERVIEW_EVENTS[0])
    attributes = headers_to_attributes(wire.headers)
    edited = {**attributes, "time": "2030-01-01T00:00:00Z"}
    assert tlog.record_leaf(edited, wire.value) != tlog.record_leaf(attributes, wire.value)


@pytest.mark.parametrize("value", [None, b"\xff\xfe", b"not json", b"{"])
def test_a_value_that_is_not_json_is_hashed_as_bytes(value: bytes | None) -> None:
    assert tlog.record_leaf({"id": "x"}, value) == hashlib.sha256(value or b"").digest()


def test_origins() -> None:
    assert tlog.default_base("") == "hiring-pipeline.local/default"
    assert tlog.default_base("t1.") == "hiring-pipeline.local/t1."
    made = tlog.origin(tlog.default_base(), "decision.events", 2)
    assert made == "hiring-pipeline.local/default/decision.events/2"
    assert tlog.parse_origin(made) == ("hiring-pipeline.local/default", "decision.events", 2)
    with pytest.raises(ValueError, match="logged topic"):
        tlog.parse_origin("hiring-pipeline.local/default/decision.verdicts/2")


def test_proof_documents_round_trip_as_json() -> None:
    proof = tlog.InclusionProof(origin="o/interview.events/0", topic="interview.events", partition=0,
                                offset=7, leaf_index=5, tree_size=9, leaf_hash="ab" * 32,
                                hashes=["cd" * 32], checkpoint="note\n")  # fmt: skip
    assert tlog.InclusionProof.model_validate_json(proof.model_dump_json()) == proof
    consistency = tlog.ConsistencyProof(origin="o", old_size=1, new_size=2, hashes=[], checkpoint="n\n")
    assert tlog.ConsistencyProof.model_validate_json(consistency.model_dump_json()) == consistency
