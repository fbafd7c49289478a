"""Signed notes and checkpoints against the Go reference (golang.org/x/mod/sumdb/note) and the C2SP spec.

Ed25519 is deterministic, so signing the reference text with the reference key must give the
reference signature byte for byte; the C2SP signed-note example is checked as published.
"""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas import checkpoint as cp
from schemas.checkpoint import Checkpoint, NoteError

GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT + "\n\u2014 PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)
C2SP_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
C2SP_NOTE = (
    "This is an example message.\n\n\u2014 example.com/foo "
    "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
)
ROOT = bytes(range(32))
POINT = Checkpoint("hiring-pipeline.local/default/interview.events/0", 42, ROOT)


def test_signing_the_go_reference_note_gives_its_signature() -> None:
    signer = cp.parse_signer(GO_SKEY)
    assert signer.key_id.hex() == "c74f20a3"
    assert cp.sign_text(GO_TEXT, signer) == GO_NOTE
    assert cp.parse_verifier(GO_VKEY).text() == GO_VKEY


def test_the_reference_notes_verify() -> None:
    assert [v.name for v in cp.signed_by(GO_NOTE, [cp.parse_verifier(GO_VKEY)])] == ["PeterNeumann"]
    assert [v.name for v in cp.signed_by(C2SP_NOTE, [cp.parse_verifier(C2SP_VKEY)])] == ["example.com/foo"]


def test_a_changed_text_or_signature_fails() -> None:
    verifier = cp.parse_verifier(GO_VKEY)
    with pytest.raises(NoteError, match="does not verify"):
        cp.signed_by(GO_NOTE.replace("problem,", "problem;"), [verifier])
    blob = bytearray(base64.b64decode(GO_NOTE.split(" ")[-1]))
    blob[10] ^= 1
    forged = GO_NOTE.rsplit(" ", 1)[0] + " " + base64.b64encode(bytes(blob)).decode() + "\n"
    with pytest.raises(NoteError, match="does not verify"):
        cp.signed_by(forged, [verifier])


def test_a_key_with_a_wrong_id_is_refused() -> None:
    with pytest.raises(NoteError, match="key id does not match"):
        cp.parse_verifier(GO_VKEY.replace("c74f20a3", "c74f20a4"))
    with pytest.raises(NoteError, match="key id does not match"):
        cp.parse_signer(GO_SKEY.replace("PeterNeumann", "PaulNeumann"))
    with pytest.raises(NoteError, match="PRIVATE"):
        cp.parse_signer(GO_VKEY)


def test_checkpoint_round_trip_and_body_format() -> None:
    skey, vkey = cp.generate_key("hiring-pipeline.test")
    note = cp.sign(POINT, cp.parse_signer(skey))
    body = f"{POINT.origin}\n42\n{base64.b64encode(ROOT).decode()}\n"
    assert note.startswith(f"{body}\n\u2014 hiring-pipeline.test ")
    assert cp.open_note(note, [cp.parse_verifier(vkey)]) == POINT


def test_open_note_names_the_missing_key() -> None:
    skey, _ = cp.generate_key("log")
    _, other = cp.generate_key("someone-else")
    note = cp.sign(POINT, cp.parse_signer(skey))
    with pytest.raises(NoteError, match=r"not signed by any of: someone-else\+"):
        cp.open_note(note, [cp.parse_verifier(other)])


def test_cosignature_adds_a_witness_that_verifies_with_the_log_key() -> None:
    log_s, log_v = cp.generate_key("log")
    wit_s, wit_v = cp.generate_key("witness.example")
    note = cp.sign(POINT, cp.parse_signer(log_s))
    both = cp.cosign(note, cp.parse_signer(wit_s))
    assert both.startswith(note)
    assert cp.cosign(both, cp.parse_signer(wit_s)).count("witness.example") == 1  # replaced, not repeated
    keys = [cp.parse_verifier(log_v), cp.parse_verifier(wit_v)]
    assert cp.open_note(both, keys, require_all=True) == POINT
    with pytest.raises(NoteError, match=r"every of: witness\.example\+"):
        cp.open_note(note, keys, require_all=True)


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("origin\n042\n" + base64.b64encode(ROOT).decode() + "\n", "leading zeros"),
        ("origin\n-1\n" + base64.b64encode(ROOT).decode() + "\n", "leading zeros"),
        ("origin\n1\n" + base64.b64encode(ROOT[:31]).decode() + "\n", "32 bytes"),
        ("origin\n1\n", "each ending in a newline"),
        ("\n1\n" + base64.b64encode(ROOT).decode() + "\n", "each ending in a newline"),
    ],
)
def test_malformed_bodies_are_refused(body: str, problem: str) -> None:
    with pytest.raises(NoteError, match=problem):
        cp.parse_body(body)


def test_extension_lines_are_ignored() -> None:
    assert cp.parse_body(POINT.body() + "extension line\n") == POINT


@pytest.mark.parametrize(
    "note", ["text\n", "text\n\n\u2014 name\n", "text\n\nname abc\n", "te\x01xt\n\n\u2014 a AAAAAAAA\n"]
)
def test_malformed_notes_are_refused(note: str) -> None:
    with pytest.raises(NoteError):
        cp.split(note)


@settings(max_examples=40, deadline=None)
@given(
    st.text(st.characters(categories=["L", "N", "P", "S"], exclude_characters="+"), min_size=1, max_size=20),
    st.integers(0, 2**63),
    st.binary(min_size=32, max_size=32),
)
def test_any_checkpoint_round_trips(name: str, size: int, root: bytes) -> None:
    skey, vkey = cp.generate_key(name)
    point = Checkpoint(f"{name}/decision.events/3", size, root)
    assert cp.open_note(cp.sign(point, cp.parse_signer(skey)), [cp.parse_verifier(vkey)]) == point
