"""The candidacy repartition record and state value (ADR 0018): format 2 written, format 1 still read."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from schemas.codec import decode, encode
from schemas.decision import VerdictChanged
from schemas.envelope import Event
from schemas.topics import Topics
from services.decision.adapters import candidacy as candidacy_adapter
from services.decision.adapters.candidacy import CandidacyHandler, round_input
from services.decision.adapters.candidacy_state import (
    LEGACY,
    load_legacy,
    state_from_rounds,
    state_values,
)
from services.decision.adapters.records import round_record
from services.decision.adapters.round_format import MalformedRoundError
from services.decision.domain.candidacy.revisions import CandidacyState, step
from services.decision.domain.policy import Policies
from services.decision.domain.revisions import InterviewState
from services.decision.domain.revisions import step as interview_step
from services.platform.eos import OutRecord
from services.platform.state import PartitionStore, Restored
from testkit.candidacies import SCENARIOS, candidacy_revisions, round_inputs
from testkit.interviews import interleaved

TOPICS = Topics()


@dataclass
class Rec:
    """A consumed record as the handler sees it."""

    value: bytes | None
    headers: list[tuple[str, bytes]]
    offset: int = 0
    topic: str = "decision.candidacy-rounds"
    partition: int = 0


def _events() -> list[Event]:
    return interleaved(*(s(f"cy-{i}", f"p{i}").events() for i, s in enumerate(SCENARIOS)))


def _written(events: list[Event]) -> list[tuple[Rec, Rec]]:
    """Each verdict revision's round record as written now (format 2) and before ADR 0018 (format 1)."""
    policies, states, out = Policies(), dict[str, InterviewState](), []
    for event in events:
        key = event.attributes.subject
        states[key], revision, _ = interview_step(states.get(key, InterviewState()), event, policies)
        if revision is None:
            continue
        (new,) = round_record(revision, states[key].projection, TOPICS)
        assert new.key == revision.data.candidacy_id.encode()  # type: ignore[union-attr]
        full, p = encode(revision), states[key].projection
        assert p is not None
        old = [*full.headers, ("cy_round", p.round.encode()),
               ("cy_outcome", (p.outcome.value if p.outcome else "").encode())]  # fmt: skip
        out.append((Rec(new.value, new.headers), Rec(full.value, old)))
    return out


def _fold(items: list[Any]) -> list[bytes]:
    return [encode(e).value for e in candidacy_revisions(items)]


def test_format_2_and_format_1_read_as_the_same_round_and_publish_the_same_bytes() -> None:
    written = _written(_events())
    new = [round_input(n) for n, _ in written]
    old = [round_input(o) for _, o in written]
    assert new == old
    assert new == round_inputs(_events())  # what the domain builds from the published revisions
    mixed = [round_input(o if i % 2 else n) for i, (n, o) in enumerate(written)]  # an upgraded topic
    assert _fold(mixed) == _fold(old)
    assert {n.headers[0] for n, _ in written} == {("cy_format", b"2")}


def test_format_2_is_smaller_and_carries_the_stored_hash() -> None:
    written = _written(_events())
    assert sum(len(n.value or b"") for n, _ in written) < 0.9 * sum(len(o.value or b"") for _, o in written)
    for n, o in written:
        doc = json.loads(n.value or b"")
        assert doc[1] == round_input(o).chain_hash  # the hash of the record on decision.events


@pytest.mark.parametrize(
    ("value", "headers"),
    [
        (b"not json", [("cy_format", b"2")]),
        (b'["too", "short"]', [("cy_format", b"2")]),
        (None, [("cy_format", b"2")]),
        (b"[]", [("cy_format", b"9")]),
        (b"{}", []),
    ],
)
def test_a_malformed_round_record_fails_loudly(value: bytes | None, headers: list[tuple[str, bytes]]) -> None:
    with pytest.raises(MalformedRoundError, match=r"decision.candidacy-rounds\[0\]@7"):
        round_input(Rec(value, headers, offset=7))


def test_a_round_with_a_wrong_value_fails_loudly() -> None:
    good, _ = _written(_events())[0]
    doc = json.loads(good.value or b"")
    wrongs = ((11, "nonsense"), (8, "3"), (10, 1), (1, "abc"), (12, ["proceed", [], [["x"]]]),
              (2, "2025-01-06T11:00:19"), (6, "maybe"), (14, [["code"]]))  # fmt: skip
    for index, wrong in wrongs:
        bad = list(doc)
        bad[index] = wrong
        with pytest.raises(MalformedRoundError):
            round_input(Rec(json.dumps(bad).encode(), good.headers))


def _v1_value(state: CandidacyState, verdicts: list[VerdictChanged]) -> bytes:
    """A state value as written before ADR 0018: each round's full revision and the last verdict."""
    doc: dict[str, Any] = {"r": [
        [r.interview_id, r.round, r.outcome.value if r.outcome else None, r.event_id, r.chain_hash,
         r.time.isoformat(), r.correlationid, v.model_dump(mode="json")]
        for r, v in zip(state.rounds, verdicts, strict=True)]}  # fmt: skip
    if (p := state.published) is not None:
        v = p.verdict
        doc["t"] = p.time.isoformat() if p.time else None
        doc["p"] = [p.revision, p.chain_hash, {
            "rounds": [x.model_dump(mode="json") for x in v.rounds], "status": v.status.value,
            "company": v.company.model_dump(mode="json"), "candidate": v.candidate.model_dump(mode="json"),
            "mutual": v.mutual.value, "signals": [s.model_dump(mode="json") for s in v.signals],
        }]  # fmt: skip
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()


def _stepped() -> tuple[dict[str, CandidacyState], dict[str, list[bytes]], list[tuple[str, bytes]]]:
    """Every candidacy's state; version-2 writes per change; the version-1 value written per change."""
    states: dict[str, CandidacyState] = {}
    full: dict[tuple[str, int], VerdictChanged] = {}
    v2: dict[str, list[bytes]] = {}
    v1: list[tuple[str, bytes]] = []
    for n, o in _written(_events()):
        item = round_input(n)
        data = decode(o.value, [h for h in o.headers if not h[0].startswith("cy_")]).data
        assert isinstance(data, VerdictChanged)
        full[(item.interview_id, item.revision)] = data
        key = item.candidacy_id
        states[key], _ = step(states.get(key, CandidacyState()), item)
        v2.setdefault(key, []).extend(state_values(states[key], {item.interview_id}, {}).values())
        verdicts = [full[(r.interview_id, r.revision)] for r in states[key].rounds]
        v1.append((key, _v1_value(states[key], verdicts)))
    return states, v2, v1


def test_state_is_the_rounds_changed_and_reads_back_from_them() -> None:
    states, v2, v1 = _stepped()
    for key, state in states.items():
        latest = {json.loads(v)[3][4]: v for v in v2[key]}  # per interview, as the compacted changelog
        assert state_from_rounds(reversed(list(latest.values()))) == state
        everything = state_values(state, {r.interview_id for r in state.rounds}, {})
        def rounds(values: Iterable[bytes]) -> list[Any]:  # position and round (published may be older)
            return sorted((d[1], d[3]) for d in map(json.loads, values))

        assert rounds(everything.values()) == rounds(latest.values())
    assert sum(map(len, (v for vs in v2.values() for v in vs))) < sum(len(v) for _, v in v1) / 3


def test_version_1_state_values_read_as_the_same_state() -> None:
    states, _, v1 = _stepped()
    last = dict(v1)
    for key, state in states.items():
        assert load_legacy(last[key]) == state


async def _handled(
    tmp_path: Path, records: list[Rec], batch: int
) -> tuple[list[OutRecord], CandidacyHandler]:
    handler = CandidacyHandler({}, TOPICS, "unit", tmp_path)
    handler.stores[0] = PartitionStore(tmp_path, TOPICS.candidacy_state, 0, "unit")
    out: list[OutRecord] = []
    for i in range(0, len(records), batch):
        out += await handler.handle(0, records[i : i + batch])
        handler.committed(0, {})
    return out, handler


def _published(out: list[OutRecord]) -> list[tuple[bytes | None, list[tuple[str, bytes]]]]:
    return [(o.value, list(o.headers)) for o in out if o.topic == TOPICS.candidacies]


async def test_the_handler_loads_each_state_once_and_publishes_what_the_domain_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    records = [Rec(n.value, n.headers, offset=i) for i, (n, _) in enumerate(_written(_events()))]
    want = [(e.value, e.headers) for e in map(encode, candidacy_revisions(round_inputs(_events())))]
    loads: list[Any] = []
    real = candidacy_adapter.state_from_rounds
    monkeypatch.setattr(candidacy_adapter, "state_from_rounds", lambda v: loads.append(v) or real(v))
    cached, handler = await _handled(tmp_path / "cached", records, 1)
    assert _published(cached) == want
    assert loads == []  # every state came from the cache after its first (empty) start
    handler.revoked(0)
    monkeypatch.setattr(candidacy_adapter, "CACHED_CANDIDACIES", 0)
    uncached, _ = await _handled(tmp_path / "uncached", records, 1)
    assert _published(uncached) == want
    assert len(loads) == len(records) - len(SCENARIOS)  # every round but each candidacy's first
    batched, handler = await _handled(tmp_path / "batched", records, 7)
    assert _published(batched) == want
    assert await handler.handle(0, records[:5]) == []  # rounds seen before: no revision, no state write


async def test_a_version_1_candidacy_is_rewritten_as_rounds_at_its_next_change(tmp_path: Path) -> None:
    states, _, v1 = _stepped()
    key = "cy-0"  # three rounds
    records = [Rec(n.value, n.headers, offset=i) for i, (n, _) in enumerate(_written(_events()))]
    mine = [r for r in records if round_input(r).candidacy_id == key]
    before = [r for r in v1 if r[0] == key]
    store = PartitionStore(tmp_path, TOPICS.candidacy_state, 0, "unit")
    store.put(LEGACY + key, before[-2][1])  # stored by the old release before the last round arrived
    store.commit(None)
    handler = CandidacyHandler({}, TOPICS, "unit", tmp_path)
    handler.stores[0] = store
    out = await handler.handle(0, mine[-1:])
    handler.committed(0, {})
    revisions = candidacy_revisions(round_inputs(_events()))
    want = encode([e for e in revisions if e.attributes.subject == key][-1])
    assert [o.value for o in out if o.topic == TOPICS.candidacies] == [want.value]
    writes = {o.key: o.value for o in out if o.topic == TOPICS.candidacy_state}
    assert writes.pop(f"{LEGACY}{key}".encode()) is None  # the version-1 key goes
    assert len(writes) == len(states[key].rounds)  # and every round is written as version 2
    assert store.get(LEGACY + key) is None
    assert state_from_rounds(v for _, v in store.items(f"r:{key}/")) == states[key]


async def test_a_partition_refolded_from_its_inputs_continues_as_if_it_had_never_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    records = [Rec(n.value, n.headers, offset=i) for i, (n, _) in enumerate(_written(_events()))]
    consumed = len(records) // 2  # the group's committed offset; the changelog is lost

    async def empty_restore(self: PartitionStore, client: Any) -> Restored:
        return Restored(records=0, seconds=0.0, from_offset=0, keys=0)

    async def committed(client: Any, group: str, topic: str, partition: int) -> int:
        return consumed

    async def read(client: Any, topic: str, partition: int, start: int, end: int) -> AsyncIterator[Rec]:
        for record in records[start:end]:
            yield record

    monkeypatch.setattr(PartitionStore, "restore", empty_restore)
    monkeypatch.setattr(candidacy_adapter, "committed_offset", committed)
    monkeypatch.setattr(candidacy_adapter, "read_partition", read)
    handler = CandidacyHandler({}, TOPICS, "unit", tmp_path)
    await handler.assigned(0)
    assert handler.owes(0)  # the refolded state waits for a transaction
    out = await handler.handle(0, records[consumed:])
    handler.committed(0, {})
    inputs = round_inputs(_events())
    already = {(e.attributes.subject, e.attributes.sequence) for e in candidacy_revisions(inputs[:consumed])}
    want = [encode(e).value for e in candidacy_revisions(inputs)
            if (e.attributes.subject, e.attributes.sequence) not in already]  # fmt: skip
    assert [o.value for o in out if o.topic == TOPICS.candidacies] == want
    assert not handler.owes(0)
    store = handler.stores[0]
    for key in {i.candidacy_id for i in inputs}:
        state = state_from_rounds(v for _, v in store.items(f"r:{key}/"))
        assert state == candidacy_state_of(inputs, key)
    handler.revoked(0)


def candidacy_state_of(inputs: list[Any], key: str) -> CandidacyState:
    state = CandidacyState()
    for item in inputs:
        if item.candidacy_id == key:
            state, _ = step(state, item)
    return state
