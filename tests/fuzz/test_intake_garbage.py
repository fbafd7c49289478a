"""Generated garbage at both Kafka intakes, on the real broker: each record is answered exactly once.

``interview.commands``: random bytes, JSON of every shape, JSON nested 50,000 deep, integers of 5,000
digits, unpaired surrogates, valid commands with one field turned into garbage, 30,000-item lists,
wrong or missing keys and headers. Every record gets exactly one result, and valid commands sent after
them on every partition are accepted. ``interview.events``: the same garbage under CloudEvents headers
(or none), one interview per record: each gets exactly one dead-letter entry, and an interview
produced after them projects to the verdicts policy v1 gives.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from schemas import encode
from schemas.topics import Topics
from services.decision.adapters.records import dlq_entry
from services.decision.domain.replay import project
from services.decision.entrypoints.runtime import build_runtime
from services.decision.entrypoints.service import run_decision_service
from services.interview.adapters.wire import owner_partition, parse_result
from services.platform.broker import Broker
from services.platform.log_reader import partitions_of, read_all
from testkit.interviews import story_first
from tests.decision_support import by_key, free_port, settings_for, wait_for_records
from tests.integration.interview.conftest import envelope, start_replica, stop_replica, wait_until

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

RECORDS = 120
"""Garbage records per intake (drawn by hypothesis, deterministically)."""


@dataclass(frozen=True)
class Garbage:
    """One record as any Kafka client could produce it."""

    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...]


def _command(**over: Any) -> dict[str, Any]:
    body = {
        "command_id": str(uuid.uuid4()),
        "interview_id": "iv-g",
        "expected_version": 0,
        "actor_id": "ana",
        "correlation_id": "c",
        "payload": {"type": "conclude_interview", "outcome": "completed"},
    }
    return body | over


JUNK = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=30),
    st.just("2"), st.just(259.0), st.just(2**64), st.just("\ud800"), st.just("a\x00\u202eb"),
    st.lists(st.integers(), max_size=5), st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)  # fmt: skip
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


def _dumps(value: Any) -> bytes:
    return json.dumps(value).encode()  # ensure_ascii: unpaired surrogates travel as \\ud800


VALUES = st.one_of(
    st.binary(max_size=300),
    JSON.map(_dumps),
    st.integers(1_000, 50_000).map(lambda n: b"[" * n + b"]" * n),
    st.just(b'{"expected_version": ' + b"9" * 5000 + b"}"),
    st.builds(lambda f, v: _dumps(_command(**{f: v})), st.sampled_from(sorted(_command())), JUNK),
    st.builds(
        lambda n: _dumps(
            _command(
                payload={
                    "type": "tell_story",
                    "story_id": "s",
                    "kind": "other",
                    "title": "t",
                    "summary": "s",
                    "skills": ["BAD SKILL"] * n,
                }
            )
        ),
        st.integers(1, 30_000),
    ),
    st.builds(lambda n: _dumps({f"field{i}": i for i in range(n)}), st.integers(1, 20_000)),
    st.just(b""),
    st.none(),
)
KEYS = st.one_of(st.none(), st.binary(max_size=40), st.just(b"\x01" * 5000), st.just(b"iv-g"))
HEADERS = st.lists(
    st.tuples(
        st.sampled_from(["content-type", "ce_type", "ce_id", "x", "ce_sequence", "dlq_kind"]),
        st.binary(max_size=30),
    ),
    max_size=3,
).map(tuple)
GARBAGE = st.builds(Garbage, KEYS, VALUES, HEADERS).filter(lambda g: g.key is not None or g.value is not None)
"""(A record with neither key nor value cannot be produced.)"""


def draw(strategy: st.SearchStrategy[Any], n: int) -> list[Any]:
    """``n`` examples of ``strategy``, the same on every run."""
    drawn: list[Any] = []

    @settings(
        max_examples=n, database=None, derandomize=True, phases=[Phase.generate],
        suppress_health_check=list(HealthCheck), deadline=None,
    )  # fmt: skip
    @given(strategy)
    def collect(item: Any) -> None:
        drawn.append(item)

    collect()
    return drawn


async def produce_all(
    client: dict[str, Any], topic: str, records: list[Garbage], key: Callable[[int, Garbage], bytes | None]
) -> list[tuple[int, int]]:
    """Produce each record (keyed by ``key``); their (partition, offset), in order."""
    producer = AIOKafkaProducer(acks="all", enable_idempotence=True, max_request_size=2**20, **client)
    await producer.start()
    try:
        placed = []
        for n, record in enumerate(records):
            meta = await producer.send_and_wait(
                topic, record.value, key=key(n, record), headers=list(record.headers)
            )
            placed.append((meta.partition, meta.offset))
        return placed
    finally:
        await producer.stop()


async def test_every_garbage_command_gets_exactly_one_result_and_valid_commands_still_pass(
    kafka_client: dict[str, Any], topics: Topics
) -> None:
    garbage = draw(GARBAGE, RECORDS)
    replica = await start_replica(kafka_client, topics)
    try:
        await wait_until(lambda: replica[0].ready, what="replica ready")
        await produce_all(kafka_client, topics.commands, garbage, lambda _, g: g.key)
        partitions = await partitions_of(kafka_client, topics.commands)
        valid = [_valid_open(p, len(partitions)) for p in partitions]
        for command in valid:
            await replica[1].post(  # through the HTTP front, after the garbage on every partition
                f"/interviews/{command.interview_id}/open",
                json={"actor_id": "ana", "expected_version": 0, **command.payload.model_dump(mode="json")},
            )
        results = await _results(kafka_client, topics, len(garbage) + len(valid))
        commands = await read_all(kafka_client, topics.commands)
    finally:
        await stop_replica(replica)
    # Each result goes to the command's partition number in the command's transaction, so exactly one
    # result per record means: per partition, as many results as command records.
    assert Counter(p for p, _ in results) == Counter(r.partition for r in commands)
    assert len(commands) == len(garbage) + len(valid)
    answers = [parse_result(value) for _, value in results]
    accepted = {r.interview_id for r in answers if r.status == "accepted"}
    assert accepted == {c.interview_id for c in valid}, "only the valid commands, each accepted"
    assert max(len(value) for _, value in results) < 10_000  # answers stay small, whatever came in


def _valid_open(partition: int, partitions: int) -> Any:
    """A valid open_interview for an interview owned by ``partition``."""
    n = 0
    while owner_partition(f"after-{partition}-{n}", partitions) != partition:
        n += 1
    payload = {
        "type": "open_interview", "candidacy_id": "cy", "round": "technical", "position": "p",
        "candidate_id": "cand", "participants": [
            {"id": "cand", "side": "candidate", "role": "candidate"},
            {"id": "ana", "side": "company", "role": "interviewer"},
        ],
    }  # fmt: skip
    return envelope(f"after-{partition}-{n}", 0, "ana", payload)


async def _results(client: dict[str, Any], topics: Topics, want: int) -> list[tuple[int, bytes]]:
    """(partition, value) of every committed result, once ``want`` are there (and 2 s more)."""
    await wait_for_records(client, topics.command_results, want, timeout=90)
    await asyncio.sleep(2)  # anything beyond ``want`` (a duplicate) would show up by now
    return [(r.partition, r.value) for r in await read_all(client, topics.command_results)]


async def test_every_garbage_event_is_dead_lettered_once_and_others_still_project(
    kafka: Broker, kafka_client: dict[str, Any], topics: Topics
) -> None:
    garbage = draw(GARBAGE, RECORDS)
    settings_ = settings_for(kafka, topics, free_port())
    stop = asyncio.Event()
    task = asyncio.create_task(run_decision_service(settings_, stop, build_runtime(settings_)))
    try:
        # one interview per garbage record: a parked interview holds back only its own later events
        placed = await produce_all(
            kafka_client, topics.interview_events, garbage, lambda n, _: f"g{n}".encode()
        )
        good = story_first("after-garbage").events
        producer_records = [encode(e) for e in good]
        await produce_all(
            kafka_client, topics.interview_events,
            [Garbage(r.key, r.value, tuple(r.headers)) for r in producer_records], lambda _, g: g.key,
        )  # fmt: skip
        expected = project(good)
        revisions = await wait_for_records(kafka_client, topics.decision_events, len(expected), timeout=90)
        dlq = await wait_for_records(kafka_client, topics.dlq, len(garbage), timeout=90)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=15)
    entries = [e for e in map(dlq_entry, dlq) if e is not None]
    sources = Counter((e.partition, e.offset) for e in entries)
    assert len(entries) == len(garbage)
    assert set(sources) == set(placed)
    assert all(count == 1 for count in sources.values())
    got = [r.value for r in by_key(revisions)["after-garbage"]]
    assert got == [encode(e).value for e in expected]
