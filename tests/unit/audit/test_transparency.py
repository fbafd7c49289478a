"""The auditor's side of the transparency log on synthetic exports: keep, verify, prove, witness."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from schemas import checkpoint as notes
from schemas.checkpoint import Checkpoint
from schemas.tlog import InclusionProof, origin
from schemas.topics import DECISION_EVENTS, INTERVIEW_EVENTS
from services.audit.adapters.checkpoints import kept_of, read_kept
from services.audit.adapters.jsonl import Manifest, file_for, write_manifest, write_records
from services.audit.domain.records import records_of
from services.audit.domain.transparency import divergences, inconsistent, partition_logs
from services.audit.entrypoints.cli import app
from services.decision.domain.replay import project
from testkit.interviews import checklist, interleaved, story_first
from tests.unit.audit.history import enthusiastic

Keys = tuple[Path, str]


def history(rewritten: bool = False) -> list:  # type: ignore[type-arg]
    """Three interviews; ``rewritten``: iv-c's whole history replaced by another, consistently chained."""
    third = enthusiastic("iv-c") if rewritten else story_first("iv-c").events
    return interleaved(story_first("iv-a").events, checklist("iv-b").events, third)


def export(directory: Path, rewritten: bool = False) -> Path:
    events = history(rewritten)
    directory.mkdir(parents=True, exist_ok=True)
    write_records(file_for(directory, INTERVIEW_EVENTS), records_of(events))
    write_records(file_for(directory, DECISION_EVENTS), records_of(project(events)))
    write_manifest(directory, Manifest({INTERVIEW_EVENTS: 3, DECISION_EVENTS: 3}, {}))
    return directory


def run(*args: str) -> Result:
    return CliRunner().invoke(app, [*args, "--no-progress"] if args[0] != "checkpoint" else list(args))


@pytest.fixture
def keys(tmp_path: Path) -> tuple[Path, str]:
    skey, vkey = notes.generate_key("log.test")
    path = tmp_path / "log.key"
    path.write_text(skey)
    return path, vkey


@pytest.fixture
def kept(tmp_path: Path, keys: Keys) -> Path:
    """Checkpoints of the clean history, signed with the test key and kept with their leaves."""
    source, kept = export(tmp_path / "clean"), tmp_path / "kept"
    result = run("checkpoint", "save", "--dir", str(kept), "--sign-key", str(keys[0]), "--from", str(source),
                 "--no-progress")  # fmt: skip
    assert result.exit_code == 0, result.output
    return kept


def test_the_rewrite_keeps_the_chain_but_not_the_leaves() -> None:
    clean, rewritten = records_of(history()), records_of(history(rewritten=True))
    assert len(clean) == len(rewritten)
    changed = {r.subject() for r, s in zip(clean, rewritten, strict=True) if r.value != s.value}
    assert changed == {"iv-c"}


def test_kept_checkpoints_hold_every_partition_with_leaves(kept: Path, keys: Keys) -> None:
    found = read_kept(kept)
    assert {k.where for k in found} == {(t, p) for t in (INTERVIEW_EVENTS, DECISION_EVENTS) for p in range(3)}
    assert all(k.leaves is not None and len(k.leaves) == k.checkpoint.size for k in found)
    assert run("checkpoint", "verify", "--dir", str(kept), "--key", keys[1]).exit_code == 0


def test_verify_against_kept_checkpoints_passes_on_the_same_history(
    tmp_path: Path, kept: Path, keys: Keys
) -> None:
    result = run(
        "verify", "--from", str(export(tmp_path / "again")), "--checkpoints", str(kept), "--key", keys[1]
    )
    assert result.exit_code == 0, result.output


def test_a_rechained_rewrite_is_refused_naming_the_interview(tmp_path: Path, kept: Path, keys: Keys) -> None:
    forged = export(tmp_path / "forged", rewritten=True)
    assert run("verify", "--from", str(forged), "--json").exit_code == 0  # the chain alone cannot tell
    result = run("verify", "--from", str(forged), "--checkpoints", str(kept), "--key", keys[1], "--json")
    assert result.exit_code == 1, result.output
    found = [d for d in json.loads(result.stdout)["discrepancies"] if d["kind"] == "checkpoint_diverged"]
    assert {d["interview"] for d in found} == {"iv-c"}
    assert {d["topic"] for d in found} == {INTERVIEW_EVENTS, DECISION_EVENTS}
    first = next(d for d in found if d["topic"] == INTERVIEW_EVENTS)
    rows = [json.loads(line) for line in file_for(forged, INTERVIEW_EVENTS).read_text().splitlines()]
    clean = [
        json.loads(line) for line in file_for(tmp_path / "clean", INTERVIEW_EVENTS).read_text().splitlines()
    ]
    altered = [(r["partition"], r["offset"]) for r, c in zip(rows, clean, strict=True) if r != c]
    assert (first["partition"], first["offset"]) == min(altered)


def test_without_kept_leaves_the_partition_is_still_refused() -> None:
    clean, forged = records_of(history()), records_of(history(rewritten=True))
    logs, forged_logs = partition_logs(clean), partition_logs(forged)
    skey, _ = notes.generate_key("log")
    signer = notes.parse_signer(skey)
    bare = []
    for (topic, partition), log in logs.items():
        point = Checkpoint(origin("b", topic, partition), len(log.leaves), log.root(len(log.leaves)))
        bare.append(kept_of(notes.sign(point, signer), "bare"))
    found = divergences(bare, forged_logs)
    assert found
    assert all(d.index is None and d.interview is None for d in found)
    assert not divergences(bare, logs)


def test_a_truncated_history_names_the_missing_record() -> None:
    records = records_of(history())
    logs = partition_logs(records)
    (topic, partition), log = next(iter(sorted(logs.items())))
    skey, _ = notes.generate_key("log")
    point = Checkpoint(origin("b", topic, partition), len(log.leaves), log.root(len(log.leaves)))
    kept = kept_of(notes.sign(point, notes.parse_signer(skey)), "k", log.leaves)
    shorter = partition_logs(
        [r for r in records if (r.topic, r.partition, r.offset) != (topic, partition, 2)]
    )
    [found] = divergences([kept], shorter)
    assert (found.index, found.interview) == (2, log.leaves[2].interview)


def test_two_roots_for_one_size_are_a_split_view() -> None:
    skey, _ = notes.generate_key("log")
    signer = notes.parse_signer(skey)
    a = kept_of(notes.sign(Checkpoint("b/interview.events/0", 3, b"a" * 32), signer), "a")
    b = kept_of(notes.sign(Checkpoint("b/interview.events/0", 3, b"b" * 32), signer), "b")
    assert "split view" in (inconsistent(a, b) or "")


def test_a_verdict_revision_is_proven_offline_in_about_log2_hashes(
    tmp_path: Path, kept: Path, keys: Keys
) -> None:
    proof_file = tmp_path / "proof.json"
    made = run("prove", "--checkpoints", str(kept), "--key", keys[1], "--interview", "iv-a",
               "--revision", "1", "--from", str(tmp_path / "clean"), "--out", str(proof_file))  # fmt: skip
    assert made.exit_code == 0, made.output
    proof = InclusionProof.model_validate_json(proof_file.read_text())
    assert proof.topic == DECISION_EVENTS
    assert len(proof.hashes) <= math.ceil(math.log2(proof.tree_size))
    offline = run("prove", "--checkpoints", str(kept), "--key", keys[1], "--proof", str(proof_file))
    assert offline.exit_code == 0, offline.output
    assert "PROVEN" in offline.output
    first = proof.hashes[0]
    flipped = ("0" if first[0] != "0" else "1") + first[1:]
    bad = proof.model_copy(update={"hashes": [flipped, *proof.hashes[1:]]})
    proof_file.write_text(bad.model_dump_json())
    tampered = run("prove", "--checkpoints", str(kept), "--key", keys[1], "--proof", str(proof_file))
    assert tampered.exit_code == 1
    assert "is not in a tree of size" in tampered.output


def test_a_witness_cosigns_and_refuses_a_split_view(tmp_path: Path, kept: Path, keys: Keys) -> None:
    witness_key = tmp_path / "witness.key"
    made = run("checkpoint", "keygen", "witness.example", "--out", str(witness_key))
    witness_vkey = made.stdout.strip()
    cosigned = run(
        "checkpoint", "cosign", "--dir", str(kept), "--key", keys[1], "--witness-key", str(witness_key)
    )
    assert cosigned.exit_code == 0, cosigned.output
    check = ["checkpoint", "verify", "--dir", str(kept), "--key", keys[1]]
    assert run(*check, "--witness", witness_vkey).exit_code == 0
    assert run(*check, "--witness", notes.generate_key("someone")[1]).exit_code == 1  # not cosigned by them
    # The log now shows the witness checkpoints of a rewritten history (same origins and sizes, other
    # roots), which the witness saves beside what it cosigned: it must refuse every one of them.
    honest = {k.checkpoint.root for k in read_kept(kept)}
    saved = run("checkpoint", "save", "--dir", str(kept), "--sign-key", str(keys[0]),
                "--from", str(export(tmp_path / "forged", rewritten=True)), "--no-progress")  # fmt: skip
    assert saved.exit_code == 0, saved.output
    split = [k for k in read_kept(kept) if k.checkpoint.root not in honest]
    assert split
    refused = run(
        "checkpoint", "cosign", "--dir", str(kept), "--key", keys[1], "--witness-key", str(witness_key)
    )
    assert refused.exit_code == 1
    assert refused.output.count("split view") == len(split)
    assert all(witness_vkey.split("+")[0] not in k.note for k in read_kept(kept) if k in split)
    forks = run(*check)  # the two signed notes are the portable evidence: anyone sees the fork
    assert forks.exit_code == 1
    assert forks.output.count("split view") == len(split)
