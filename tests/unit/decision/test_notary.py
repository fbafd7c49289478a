"""The notary's trees and checkpoints without a broker: interval, restore, signatures, rotation (ADR 0026)."""

from __future__ import annotations

import stat
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiokafka import ConsumerRecord

from schemas import merkle
from schemas.checkpoint import NoteError, generate_key, open_note, parse_signer, parse_verifier
from schemas.topics import Topics
from services.decision.adapters import notary as notary_module
from services.decision.adapters.notary import NotaryHandler
from services.decision.adapters.tlog_keys import (
    DEV_KEY_NAME,
    PUBLIC_DEV_KEY_NAME,
    dev_signer,
    load_signers,
    notary_signers,
    public_dev_signer,
    verifier_of,
)
from services.decision.adapters.tlog_records import CheckpointRecord, leaf_of

TOPICS = Topics("p.")


def records(start: int, end: int) -> list[ConsumerRecord[bytes, bytes]]:
    """Records of interview.events/0 at offsets 2·i (transaction markers between them)."""
    return [ConsumerRecord("p.interview.events", 0, 2 * i, 0, 0, b"k", f"v{i}".encode(), None, 1, 2, ())
            for i in range(start, end)]  # fmt: skip


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def handler(
    clock: Clock, signers: list[Any], latest: CheckpointRecord | None = None, committed: int = 0
) -> Any:
    made = NotaryHandler({}, TOPICS, "interview.events", group="g", origin_base="example.test/log",
                         signers=signers, interval_s=10, clock=clock)  # fmt: skip

    async def _latest(origin: str) -> CheckpointRecord | None:
        return latest

    async def _committed(partition: int) -> int:
        return committed

    made._latest, made._committed = _latest, _committed
    return made


@pytest.fixture
def tail(monkeypatch: pytest.MonkeyPatch) -> list[ConsumerRecord[bytes, bytes]]:
    """What the restore re-reads after the last checkpoint (read_partition replaced)."""
    held: list[ConsumerRecord[bytes, bytes]] = []

    async def read(client: Any, topic: str, partition: int, start: int = 0, end: int | None = None
                   ) -> AsyncIterator[ConsumerRecord[bytes, bytes]]:  # fmt: skip
        for r in held:
            if start <= r.offset < (end if end is not None else 1 << 62):
                yield r

    monkeypatch.setattr(notary_module, "read_partition", read)
    return held


def published(outs: list[Any]) -> CheckpointRecord:
    assert len(outs) == 1
    assert outs[0].topic == "p.decision.checkpoints"
    found = CheckpointRecord.decode(outs[0].value)
    assert outs[0].key == found.origin.encode() == b"example.test/log/interview.events/0"
    return found


async def test_checkpoints_at_the_interval_and_their_state(tail: list[Any]) -> None:
    clock, key = Clock(), parse_signer(generate_key("notary")[0])
    notary = handler(clock, [key])
    await notary.assigned(0)
    first = published(await notary.handle(0, records(0, 5)))  # the first batch: due at once
    notary.committed(0, {})
    assert (first.size, first.next_offset) == (5, 9)
    leaves = [leaf_of(r) for r in records(0, 12)]
    assert first.root == merkle.root(leaves[:5]) == first.range.root()
    opened = open_note(first.note, [verifier_of(key)])
    assert (opened.origin, opened.size, opened.root) == (first.origin, 5, first.root)
    clock.now = 5
    assert await notary.handle(0, records(5, 10)) == []  # within the interval: no checkpoint
    assert notary.owes(0)
    assert notary.due() == set()
    clock.now = 15
    assert notary.due() == {0}
    second = published(await notary.handle(0, []))  # the poke's transaction: no new input
    notary.committed(0, {})
    assert (second.size, second.root) == (10, merkle.root(leaves[:10]))
    proof = merkle.consistency_proof(leaves, 5, 10)
    assert merkle.verify_consistency(5, 10, first.root, second.root, proof)
    assert not notary.owes(0)
    assert notary.due() == set()


async def test_a_restore_resumes_from_the_checkpoint_and_the_committed_tail(tail: list[Any]) -> None:
    clock, key = Clock(), parse_signer(generate_key("notary")[0])
    notary = handler(clock, [key])
    await notary.assigned(0)
    last = published(await notary.handle(0, records(0, 8)))
    notary.committed(0, {})
    assert await notary.handle(0, records(8, 12)) == []  # committed offsets, but no checkpoint yet
    # Crash. The next owner: the last checkpoint plus the records committed after it (offset < 24).
    tail.extend(records(0, 14))
    again = handler(clock, [key], latest=last, committed=24)
    await again.assigned(0)
    assert again.owes(0)
    # The engine feeds from the committed offset; a batch from before it (offsets reset) is skipped.
    resumed = published(await again.handle(0, records(10, 14)))
    leaves = [leaf_of(r) for r in records(0, 14)]
    assert (resumed.size, resumed.root) == (14, merkle.root(leaves))
    assert merkle.verify_consistency(8, 14, last.root, resumed.root, merkle.consistency_proof(leaves, 8, 14))


async def test_a_rotation_signs_with_both_keys(tail: list[Any]) -> None:
    (old_s, old_v), (new_s, new_v) = generate_key("notary-2026"), generate_key("notary-2027")
    notary = handler(Clock(), [parse_signer(old_s), parse_signer(new_s)])
    await notary.assigned(0)
    note = published(await notary.handle(0, records(0, 3))).note
    old, new = parse_verifier(old_v), parse_verifier(new_v)
    assert open_note(note, [old]).size == open_note(note, [new]).size == 3  # a verifier of either key
    assert open_note(note, [old, new], require_all=True).size == 3
    other = parse_verifier(generate_key("notary-2026")[1])
    with pytest.raises(NoteError):
        open_note(note, [other])  # same name, another key: refused


def test_key_file_lines_and_errors_never_show_key_material(tmp_path: Path) -> None:
    (one, _), (two, _) = generate_key("a"), generate_key("b")
    path = tmp_path / "keys"
    path.write_text(f"# rotation overlap\n{one}\n\n{two}\n")
    assert [s.name for s in load_signers(path)] == ["a", "b"]
    broken = one[:-6] + ("AAAAAA" if not one.endswith("AAAAAA") else "BBBBBB")
    path.write_text(broken + "\n")
    with pytest.raises(NoteError) as error:
        load_signers(path)
    assert broken.split("+")[-1] not in str(error.value)
    assert "line 1" in str(error.value)
    path.write_text("# nothing\n")
    with pytest.raises(NoteError):
        load_signers(path)


def test_the_development_key_is_loudly_named_and_private(tmp_path: Path) -> None:
    signer = dev_signer(tmp_path)
    assert signer.name == DEV_KEY_NAME
    assert "DEVELOPMENT" in signer.name
    assert dev_signer(tmp_path).key_id == signer.key_id  # created once
    files = list(tmp_path.iterdir())
    assert len(files) == 1
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    public = public_dev_signer()  # the chart's development flag: the same key in every pod
    assert public.name == PUBLIC_DEV_KEY_NAME
    assert public_dev_signer().key_id == public.key_id != signer.key_id
    assert notary_signers(None, insecure_dev_key=True)[0].key_id == public.key_id
