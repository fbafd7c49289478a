"""3 bad records among good ones: 3 DLQ records with reasons, the parked interviews wait, others complete."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from schemas import encode
from schemas.envelope import Event
from schemas.topics import Topics
from services.decision.domain.replay import project
from services.decision.entrypoints.cli import parked_entries, release
from services.decision.entrypoints.runtime import build_runtime
from services.decision.entrypoints.service import run_decision_service
from services.platform.broker import Broker
from services.platform.log_reader import read_all
from testkit.interviews import story_first
from tests.decision_support import (
    by_key,
    eventually,
    free_port,
    parked_count,
    produce,
    produce_raw,
    settings_for,
)

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


@pytest.fixture
async def base_url(kafka: Broker, topics: Topics) -> AsyncIterator[str]:
    settings = settings_for(kafka, topics, free_port())
    stop = asyncio.Event()
    task = asyncio.create_task(run_decision_service(settings, stop, build_runtime(settings)))
    yield f"http://127.0.0.1:{settings.port}"
    stop.set()
    await asyncio.wait_for(task, timeout=10)


def headers_of(event: Event, **changes: str) -> list[tuple[str, bytes]]:
    headers = dict(encode(event).headers)
    headers.update({f"ce_{k}": v.encode() for k, v in changes.items()})
    return list(headers.items())


async def revisions(client: dict[str, Any], topics: Topics) -> dict[str, list[Any]]:
    return by_key(await read_all(client, topics.decision_events))


def wire(events: list[Event]) -> list[bytes]:
    return [encode(e).value for e in project(events)]


async def test_poison_records_park_their_interview_only(
    kafka_client: dict[str, Any], topics: Topics, base_url: str
) -> None:
    a, b, c, d, e = (story_first(name) for name in ("pa", "pb", "pc", "pd", "pe"))
    topic = topics.interview_events
    await produce(kafka_client, topic, [*a.events[:5], *b.events[:6], *c.events[:12], *d.events[:9]])
    # a: its 6th event arrives as undecodable JSON; b: an unknown event type; c: a schema-invalid rating
    await produce_raw(kafka_client, topic, b"pa", b'{"story_id": "s', headers_of(a.events[5]))
    await produce_raw(
        kafka_client, topic, b"pb", b"{}", headers_of(b.events[6], type="hiring.interview.mood.v1")
    )
    bad = {**a.events[12].data_json(), "rating": "maybe"}
    await produce_raw(kafka_client, topic, b"pc", json.dumps(bad).encode(), headers_of(c.events[12]))
    await produce(
        kafka_client, topic, [*a.events[6:], *b.events[6:-1], *c.events[13:], *d.events[9:], *e.events]
    )

    dlq = await _wait_dlq(kafka_client, topics, 3)
    reasons = {r.key: {k: v.decode() for k, v in r.headers if k.startswith("dlq_")} for r in dlq}
    assert {k: v["dlq_code"] for k, v in reasons.items()} == {
        b"pa": "malformed_json",
        b"pb": "unknown_type",
        b"pc": "invalid_data",
    }
    assert all(v["dlq_interview"] == k.decode() and v["dlq_offset"].isdigit() for k, v in reasons.items())
    assert "rating" in reasons[b"pc"]["dlq_reason"]
    assert [r.value for r in dlq if r.key == b"pa"] == [b'{"story_id": "s']  # original bytes kept

    async def others_complete() -> bool:
        got = await revisions(kafka_client, topics)
        return [r.value for r in got.get("pd", [])] == wire(d.events) and [
            r.value for r in got.get("pe", [])] == wire(e.events)  # fmt: skip

    assert await eventually(others_complete, timeout=30)
    got = await revisions(kafka_client, topics)
    assert [r.value for r in got["pa"]] == wire(a.events[:5])  # waits behind its bad record
    assert [r.value for r in got["pb"]] == wire(b.events[:6])
    assert [r.value for r in got["pc"]] == wire(c.events[:12])
    async with httpx.AsyncClient(base_url=base_url) as http:
        ready = (await http.get("/readyz")).json()
        assert ready["parked"] == 3  # a count: anonymous probes see no interview id
        assert 'decision_dlq_records_total{role="projector"} 3.0' in (await http.get("/metrics")).text

    # b's extra record is not an interview fact: the operator skips it; b resumes with its next event.
    assert [x.interview_id for x in await release(kafka_client, topics, "pb", skip=True)] == ["pb"]
    assert {x.interview_id for x in await parked_entries(kafka_client, topics)} == {"pa", "pc"}

    async def release_applied() -> bool:  # the partition rebuilt: b no longer parked
        return await parked_count(base_url) == 2

    assert await eventually(release_applied, timeout=30)
    await produce(kafka_client, topic, b.events[-1:])

    async def b_complete() -> bool:
        return [r.value for r in (await revisions(kafka_client, topics)).get("pb", [])] == wire(b.events)

    assert await eventually(b_complete, timeout=30)
    assert len(await read_all(kafka_client, topics.dlq)) == 4  # 3 poison + 1 release, nothing re-parked


async def _wait_dlq(client: dict[str, Any], topics: Topics, n: int) -> list[Any]:
    async def enough() -> bool:
        return len(await read_all(client, topics.dlq)) >= n

    assert await eventually(enough, timeout=30)
    return await read_all(client, topics.dlq)
