"""The query side may take a revision built in-process only when decoding its bytes gives the same event."""

from __future__ import annotations

from dataclasses import dataclass

from schemas import decode, encode
from schemas.envelope import Event
from services.decision.adapters.verdict_store import Handoff
from services.decision.domain.replay import project
from testkit.interviews import stream


@dataclass
class FakeRecord:
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]


def _as_the_service_reads_them(prefix: str, interviews: int) -> list[Event]:
    """Interview events decoded from their records, as the service gets them from Kafka."""
    return [decode(r.value, r.headers, r.key) for r in map(encode, stream(interviews, prefix=prefix))]


def test_a_handed_off_revision_equals_its_decoded_bytes() -> None:
    handoff = Handoff()
    revisions = project(_as_the_service_reads_them("h", 20))
    taken = 0
    for event in revisions:
        record = encode(event)
        handoff.offer(event, record.key, record.value, record.headers)
        got = handoff.take(FakeRecord(record.key, record.value, list(record.headers)))
        decoded = decode(record.value, record.headers, record.key)
        if got is not None:
            taken += 1
            assert got == decoded
            assert repr(got) == repr(decoded)
            assert got.model_dump_json() == decoded.model_dump_json()
    assert taken > len(revisions) // 2  # the fast path is really used


def test_a_record_that_differs_is_decoded_instead() -> None:
    handoff = Handoff()
    event = project(_as_the_service_reads_them("h", 1))[0]
    record = encode(event)
    right = FakeRecord(record.key, record.value, list(record.headers))
    handoff.offer(event, record.key, record.value, record.headers)
    assert handoff.take(right) == event  # offered: the fast path applies to this one
    assert handoff.take(right) is None  # taken once
    handoff.offer(event, record.key, record.value, record.headers)
    assert handoff.take(FakeRecord(b"other-key", record.value, list(record.headers))) is None
    handoff.offer(event, record.key, record.value, record.headers)
    assert handoff.take(FakeRecord(record.key, record.value, [*record.headers, ("x", b"1")])) is None
