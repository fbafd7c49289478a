"""The transparency routes over a proof store, no broker (ADR 0026): key sets during a rotation, and a
checkpoint that is not signed by a configured key, or not of the stored tree, is never served."""

from __future__ import annotations

from pathlib import Path

from aiokafka import ConsumerRecord
from fastapi.testclient import TestClient

from schemas import merkle
from schemas.checkpoint import Checkpoint, generate_key, open_note, parse_signer, parse_verifier
from services.decision.adapters.proof_store import ProofStore
from services.decision.adapters.tlog_keys import KeySet, sign_all
from services.decision.adapters.tlog_records import CheckpointRecord, leaf_of
from tests.fuzz.inprocess import fuzz_decision_app

ORIGIN = "example.test/log/interview.events/0"


def records(n: int) -> list[ConsumerRecord[bytes, bytes]]:
    return [
        ConsumerRecord("interview.events", 0, i, 0, 0, b"k", f"v{i}".encode(), None, 1, 2, ())
        for i in range(n)
    ]


def store_with(tmp_path: Path, n: int, signers: list[str], root: bytes | None = None) -> ProofStore:
    """A proof store holding ``n`` leaves and a checkpoint of them signed by ``signers`` (or of ``root``)."""
    store = ProofStore(tmp_path / "proofs.sqlite")
    store.add_records(records(n))
    signed_root = root or merkle.root([leaf_of(r) for r in records(n)])
    note = sign_all(Checkpoint(ORIGIN, n, signed_root), [parse_signer(s) for s in signers])
    value = CheckpointRecord(ORIGIN, "interview.events", 0, n, signed_root, note, n,
                             merkle.CompactRange()).encode()  # fmt: skip
    store.add_records(
        [ConsumerRecord("decision.checkpoints", 0, 0, 0, 0, ORIGIN.encode(), value, None, 1, 1, ())]
    )
    return store


def client(store: ProofStore, *vkeys: str) -> TestClient:
    return TestClient(fuzz_decision_app([], store, KeySet(tuple(parse_verifier(v) for v in vkeys))))


def test_during_a_rotation_either_verifier_key_serves_the_checkpoints(tmp_path: Path) -> None:
    (old_s, old_v), (new_s, new_v) = generate_key("notary-old"), generate_key("notary-new")
    store = store_with(tmp_path, 9, [old_s, new_s])
    for keys in ([old_v], [new_v], [old_v, new_v]):
        http = client(store, *keys)
        assert http.get("/transparency/key").json() == {"keys": keys}
        (found,) = http.get("/transparency/checkpoints").json()["checkpoints"]
        assert open_note(found["note"], [parse_verifier(k) for k in keys]).size == 9
        proof = http.get("/transparency/consistency", params={"origin": ORIGIN, "old": 4, "new": 9}).json()
        hashes = [bytes.fromhex(h) for h in proof["hashes"]]
        leaves = [leaf_of(r) for r in records(9)]
        assert merkle.verify_consistency(4, 9, merkle.root(leaves[:4]), merkle.root(leaves), hashes)


def test_a_checkpoint_no_configured_key_signed_is_refused(tmp_path: Path) -> None:
    (skey, _), (_, other) = generate_key("notary"), generate_key("notary")
    answer = client(store_with(tmp_path, 5, [skey]), other).get("/transparency/checkpoints")
    assert answer.status_code == 500
    assert answer.json()["code"] == "checkpoint_unverified"


def test_a_checkpoint_of_another_tree_gives_no_proof(tmp_path: Path) -> None:
    skey, vkey = generate_key("notary")
    store = store_with(tmp_path, 5, [skey], root=bytes(32))  # signed, but not the root of what is stored
    answer = client(store, vkey).get(
        "/transparency/consistency", params={"origin": ORIGIN, "old": 1, "new": 5}
    )
    assert answer.status_code == 500
    assert answer.json()["code"] == "tree_mismatch"


def test_proofs_wait_for_the_tree_to_reach_the_checkpoint(tmp_path: Path) -> None:
    skey, vkey = generate_key("notary")
    store = store_with(tmp_path, 5, [skey])
    store.add_records(records(8)[5:])  # more leaves than the checkpoint: fine
    sizes = {"origin": ORIGIN, "old": 2, "new": 5}
    ahead = client(store, vkey).get("/transparency/consistency", params=sizes)
    assert ahead.status_code == 200
    behind = ProofStore(tmp_path / "behind.sqlite")
    behind.add_records(records(3))
    note_record = store._db.execute("SELECT * FROM checkpoint").fetchone()
    behind._db.execute("INSERT INTO checkpoint VALUES (?, ?, ?, ?, ?, ?)", note_record)
    answer = client(behind, vkey).get(
        "/transparency/consistency", params={"origin": ORIGIN, "old": 1, "new": 5}
    )
    assert answer.status_code == 503
    assert answer.json()["code"] == "catching_up"
