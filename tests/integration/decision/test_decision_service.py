"""The decision service on the real broker: revisions on decision.events and verdicts over HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from cloudevents.v1.kafka import KafkaMessage, from_binary

from schemas import encode
from schemas.topics import Topics
from services.decision.domain.replay import project
from services.decision.entrypoints.runtime import DecisionRuntime, build_runtime
from services.decision.entrypoints.service import run_decision_service
from services.platform.broker import Broker
from services.platform.log_reader import read_all
from testkit.auth import service_headers
from testkit.interviews import checklist, story_first
from tests.decision_support import by_key, eventually, free_port, produce, settings_for, wait_for_records

pytestmark = pytest.mark.kafka


@pytest.fixture
async def service(kafka: Broker, topics: Topics) -> AsyncIterator[tuple[DecisionRuntime, str]]:
    settings = settings_for(kafka, topics, free_port())
    runtime, stop = build_runtime(settings), asyncio.Event()
    task = asyncio.create_task(run_decision_service(settings, stop, runtime))
    base = f"http://127.0.0.1:{settings.port}"
    yield runtime, base
    stop.set()
    await asyncio.wait_for(task, timeout=10)


async def test_scripted_interviews_give_the_expected_revisions(
    kafka_client: dict[str, Any], topics: Topics, service: tuple[DecisionRuntime, str]
) -> None:
    events = [*story_first("sf-1").events, *checklist("cl-1").events]
    expected = project(events)
    await produce(kafka_client, topics.interview_events, events)
    records = await wait_for_records(kafka_client, topics.decision_events, len(expected))
    got = by_key(records)
    for interview in ("sf-1", "cl-1"):
        want = [encode(e) for e in expected if e.attributes.subject == interview]
        assert [(r.value, list(r.headers)) for r in got[interview]] == [(w.value, w.headers) for w in want]
    last = from_binary(
        KafkaMessage(dict(got["sf-1"][-1].headers), got["sf-1"][-1].key, got["sf-1"][-1].value)
    )
    assert last["type"] == "hiring.decision.verdict_changed.v1"
    assert last["subject"] == "sf-1"
    assert (last.data["mutual"], last.data["final"]) == ("mutual_fit", True)
    checklist_last = got["cl-1"][-1]
    codes = [
        s["code"]
        for s in from_binary(KafkaMessage(dict(checklist_last.headers), None, checklist_last.value)).data[
            "signals"
        ]
    ]
    assert {"story_not_invited", "checklist_interview"} <= set(codes)

    # Same transaction as decision.events, but each partition's commit marker lands on its own:
    # decision.verdicts may become readable a moment later.
    async def both_verdicts() -> bool:
        return {r.key for r in await read_all(kafka_client, topics.verdicts)} == {b"sf-1", b"cl-1"}

    assert await eventually(both_verdicts, timeout=15)


async def test_query_api(
    kafka_client: dict[str, Any], topics: Topics, service: tuple[DecisionRuntime, str]
) -> None:
    _, base = service
    script = story_first("q-1")
    expected = project(script.events)
    # In a transaction, as the interview writer writes: its marker must not count as lag.
    await produce(kafka_client, topics.interview_events, script.events, transactional=True)
    async with httpx.AsyncClient(base_url=base, timeout=5, headers=service_headers()) as http:

        async def settled() -> bool:
            r = await http.get("/interviews/q-1/revisions", params={"limit": 1000})
            return r.status_code == 200 and len(r.json()["items"]) == len(expected)

        assert await eventually(settled)
        current = (await http.get("/interviews/q-1/verdict")).json()
        assert current["verdict"]["mutual"] == "mutual_fit"
        assert current["id"] == expected[-1].attributes.id
        third = expected[2]
        seq = third.data.input_sequence  # type: ignore[attr-defined]
        assert (await http.get("/interviews/q-1/verdict", params={"as_of_sequence": seq})).json()[
            "id"
        ] == third.attributes.id
        at = third.attributes.time.isoformat()
        assert (await http.get("/interviews/q-1/verdict", params={"as_of_time": at})).json()[
            "id"
        ] == third.attributes.id
        early = await http.get("/interviews/q-1/verdict", params={"as_of_time": "2000-01-01T00:00:00Z"})
        assert early.status_code == 404
        assert early.headers["content-type"] == "application/problem+json"
        assert early.json()["code"] == "verdict_not_found"
        both = await http.get("/interviews/q-1/verdict", params={"as_of_time": at, "as_of_sequence": 2})
        assert (both.status_code, both.json()["code"]) == (400, "ambiguous_as_of")
        bad = await http.get("/interviews/q-1/verdict", params={"as_of_sequence": "x"})
        assert (bad.status_code, bad.json()["code"]) == (422, "invalid_request")
        assert (await http.get("/healthz")).status_code == 200
        assert await eventually(lambda: _ok(http, "/readyz"))
        lines = [
            f'decision_events_projected_total{{role="projector"}} {float(len(script.events))}',
            f'decision_revisions_emitted_total{{role="projector"}} {float(len(expected))}',
            'decision_dlq_records_total{role="projector"} 0.0',
            *(f'decision_consumer_lag{{partition="{p}",role="projector"}} 0.0' for p in range(3)),
            'decision_read_model_caught_up{role="query",store="latest"} 1.0',  # serve: every role's metrics
        ]

        async def counted() -> bool:
            text = (await http.get("/metrics")).text
            return all(line in text for line in lines)

        assert await eventually(counted, timeout=10)
        openapi = (await http.get("/openapi.json")).json()
        assert "/interviews/{interview_id}/verdict" in openapi["paths"]
        assert (await http.get("/asyncapi.json")).json()["asyncapi"] == "3.0.0"  # the contract, next to /docs


async def _ok(http: httpx.AsyncClient, path: str) -> bool:
    return (await http.get(path)).status_code == 200
