"""Offline inclusion proofs tied to kept checkpoints, key rotation, and where checkpoints come from."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from schemas import checkpoint as notes
from schemas import merkle
from schemas.checkpoint import Checkpoint
from schemas.tlog import ConsistencyProof, InclusionProof
from services.audit.adapters.checkpoints import (
    StoreError,
    fetch_notes,
    kept_of,
    note_of_value,
    read_kept,
    write_kept,
)
from services.audit.domain.proofs import check_inclusion
from services.audit.domain.transparency import Kept, Leaf
from services.audit.entrypoints.cli import app

ORIGIN = "hiring-pipeline.local/default/decision.events/1"
LEAVES = [merkle.leaf_hash(bytes([i])) for i in range(40)]
SKEY, VKEY = notes.generate_key("log.test")
SIGNER, VERIFIER = notes.parse_signer(SKEY), notes.parse_verifier(VKEY)


def note(size: int, signer: notes.Signer = SIGNER) -> str:
    return notes.sign(Checkpoint(ORIGIN, size, merkle.root(LEAVES[:size])), signer)


def kept(size: int, with_leaves: bool = False) -> Kept:
    leaves = [Leaf(i, h, "iv") for i, h in enumerate(LEAVES[:size])] if with_leaves else None
    return kept_of(note(size), f"kept@{size}", leaves)


def proof(index: int, size: int) -> InclusionProof:
    return InclusionProof(origin=ORIGIN, topic="decision.events", partition=1, offset=index, leaf_index=index,
                          tree_size=size, leaf_hash=LEAVES[index].hex(), checkpoint=note(size),
                          hashes=[h.hex() for h in merkle.inclusion_proof(LEAVES, index, size)])  # fmt: skip


def test_a_proof_against_a_kept_checkpoint_holds() -> None:
    assert check_inclusion(proof(7, 20), [VERIFIER], [kept(20)]) == []


def test_a_proof_against_a_prefix_of_a_checkpoint_kept_with_leaves_holds() -> None:
    assert check_inclusion(proof(7, 12), [VERIFIER], [kept(20, with_leaves=True)]) == []
    found = check_inclusion(proof(7, 12), [VERIFIER], [kept(20)])
    assert any("--consistency" in p for p in found)


def test_a_proof_against_a_newer_checkpoint_needs_a_consistency_proof() -> None:
    newer = proof(30, 40)
    hashes = [h.hex() for h in merkle.consistency_proof(LEAVES, 20, 40)]
    good = ConsistencyProof(origin=ORIGIN, old_size=20, new_size=40, hashes=hashes, checkpoint=note(40))
    assert check_inclusion(newer, [VERIFIER], [kept(20)], good) == []
    forked = notes.sign(Checkpoint(ORIGIN, 20, merkle.root([merkle.leaf_hash(b"x"), *LEAVES[1:20]])), SIGNER)
    found = check_inclusion(newer, [VERIFIER], [kept_of(forked, "forked@20")], good)
    assert any("split view" in p for p in found)


def test_a_wrong_leaf_key_or_record_fails() -> None:
    moved = proof(7, 20).model_copy(update={"leaf_index": 8})
    assert any("is not in a tree" in p for p in check_inclusion(moved, [VERIFIER], [kept(20)]))
    other = notes.parse_verifier(notes.generate_key("log.test")[1])
    assert any("not signed" in p for p in check_inclusion(proof(7, 20), [other], [kept(20)]))
    wrong = check_inclusion(proof(7, 20), [VERIFIER], [kept(20)], record_hash="00" * 32)
    assert any("chain hash" in p for p in wrong)


def test_a_rotated_key_verifies_with_both_keys_given(tmp_path: Path) -> None:
    new_skey, new_vkey = notes.generate_key("log.test")
    write_kept(tmp_path, kept_of(note(10), "old"))
    write_kept(tmp_path, kept_of(note(20, notes.parse_signer(new_skey)), "new"))
    verify = ["checkpoint", "verify", "--dir", str(tmp_path)]
    assert CliRunner().invoke(app, [*verify, "--key", VKEY, "--key", new_vkey]).exit_code == 0
    only_new = CliRunner().invoke(app, [*verify, "--key", new_vkey])
    assert only_new.exit_code == 2
    assert "@10-" in only_new.output


def test_saving_a_kept_note_again_keeps_its_cosignature(tmp_path: Path) -> None:
    witness = notes.parse_signer(notes.generate_key("witness")[0])
    write_kept(tmp_path, kept_of(notes.cosign(note(10), witness), "a"))
    path = write_kept(tmp_path, kept_of(note(10), "again"))
    assert path.read_text().count("\u2014 ") == 2
    assert [k.checkpoint.size for k in read_kept(tmp_path)] == [10]


def test_kept_leaves_that_do_not_make_the_root_are_refused(tmp_path: Path) -> None:
    write_kept(tmp_path, kept_of(note(5), "k", [Leaf(i, LEAVES[i + 1], "iv") for i in range(5)]))
    with pytest.raises(StoreError, match="do not make the root"):
        read_kept(tmp_path)


def test_checkpoints_are_fetched_from_the_service() -> None:
    def serve(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/transparency/checkpoints"
        assert request.headers["authorization"] == "Bearer t0k"
        body = {"checkpoints": [{"origin": ORIGIN, "topic": "decision.events", "partition": 1, "size": 3,
                                 "note": note(3)}]}  # fmt: skip
        return httpx.Response(200, json=body)

    client = httpx.Client(transport=httpx.MockTransport(serve))
    assert fetch_notes("http://decision.test/", "t0k", client) == [note(3)]
    failing = httpx.Client(transport=httpx.MockTransport(lambda _: httpx.Response(503)))
    with pytest.raises(StoreError, match="cannot read checkpoints"):
        fetch_notes("http://decision.test", None, failing)


def test_a_checkpoint_record_is_a_note_or_a_json_object_holding_one() -> None:
    assert note_of_value(note(3).encode()) == note(3)
    assert note_of_value(json.dumps({"note": note(3), "range": {"size": 3}}).encode()) == note(3)
