"""HTTP and Kafka intake on the real broker: same handler, same events, clear refusals."""

from __future__ import annotations

from typing import Any

import pytest

from schemas.chain import GENESIS_HASH
from schemas.commands import CommandAccepted, CommandRejected
from schemas.envelope import Event
from schemas.topics import Topics
from services.interview.adapters.wire import owner_partition
from services.platform.privacy.erase import key_snapshot
from services.platform.privacy.sealing import Lookup, reveal, text_fields
from services.platform.privacy.settings import PrivacySettings
from tests.integration.interview.conftest import KafkaIntake, Replica, envelope, events_of
from tests.integration.interview.script import STORY_FIRST, http_request
from tests.unit.interview.given import ALICE, MALLORY, open_payload

pytestmark = pytest.mark.kafka


def _shape(event: Event, keys: Lookup) -> tuple[Any, ...]:
    """What must not depend on the intake: everything but ids, time, subject and hashes (text opened:
    sealed text differs by nonce and by the event it is bound to, ADR 0011)."""
    attrs = event.attributes
    data = event.data_json() | {f: reveal(event, f, keys) for f in text_fields(event)}
    assert all(f not in event.data_json() or "ct" in event.data_json()[f] for f in text_fields(event))
    return (attrs.type, attrs.sequence, attrs.actorid, attrs.actorside, attrs.source, data)


def _chain_ok(events: list[Event]) -> bool:
    expected = [GENESIS_HASH, *(e.chain_hash for e in events[:-1])]
    return [e.attributes.prevhash for e in events] == expected


async def test_http_and_kafka_intake_append_the_same_events(
    replica: Replica, intake: KafkaIntake, kafka_client: dict[str, Any], topics: Topics
) -> None:
    _, http = replica
    for version, (actor, payload) in enumerate(STORY_FIRST):
        path, body = http_request("iv-http", version, actor, payload)
        response = await http.post(path, json=body)
        assert response.status_code == 201, response.text
        assert response.json()["version"] == version + 1
    commands = [envelope("iv-kafka", v, actor, payload) for v, (actor, payload) in enumerate(STORY_FIRST)]
    for command in commands:
        await intake.send(command)
    results = await intake.results(len(STORY_FIRST) * 2)
    assert all(isinstance(results[c.command_id], CommandAccepted) for c in commands)
    via_http = await events_of(kafka_client, topics, "iv-http")
    via_kafka = await events_of(kafka_client, topics, "iv-kafka")
    keys = (await key_snapshot(kafka_client, topics, PrivacySettings().load_kek())).get
    assert [_shape(e, keys) for e in via_http] == [_shape(e, keys) for e in via_kafka]
    assert len(via_kafka) == len(STORY_FIRST)
    assert _chain_ok(via_http)
    assert _chain_ok(via_kafka)
    assert [e.attributes.causationid for e in via_kafka] == [c.command_id for c in commands]


async def test_http_refusals_are_problem_json_with_a_code(replica: Replica) -> None:
    _, http = replica
    path, body = http_request("iv-bad", 0, ALICE, open_payload())
    assert (await http.post(path, json=body)).status_code == 201
    cases = [
        (body, 409, "already_opened"),
        (body | {"expected_version": 0, "actor_id": MALLORY}, 409, "already_opened"),
        ({"actor_id": ALICE, "expected_version": 0, "outcome": "completed"}, 409, "version_conflict"),
        ({"actor_id": MALLORY, "expected_version": 1, "outcome": "completed"}, 403, "not_a_participant"),
        ({"actor_id": ALICE, "expected_version": 1, "outcome": "finished"}, 422, "invalid_command"),
    ]
    for case_body, status, code in cases:
        route = path if "candidacy_id" in case_body else "/interviews/iv-bad/conclusion"
        response = await http.post(route, json=case_body)
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["code"] == code
        assert problem["type"].endswith(code)
        assert problem["detail"]
    response = await http.post(
        "/interviews/iv-bad/conclusion", json={"actor_id": ALICE, "expected_version": 0}
    )
    assert response.json()["field"] == "outcome"
    assert "outcome: is required" in response.json()["detail"]
    assert (await http.post("/interviews/nope/stories", json={})).json()["code"] == "invalid_command"
    cut_short = b'{"actor_id": "ana",'
    malformed = await http.post(
        "/interviews/iv-bad/conclusion", content=cut_short, headers={"content-type": "application/json"}
    )
    assert malformed.status_code == 422
    assert malformed.json().get("field") is None  # no field is at fault, and a character position is not one
    assert malformed.json()["detail"].startswith("(body): is not valid JSON at character 19: ")


async def test_operations_endpoints(replica: Replica) -> None:
    _, http = replica
    assert (await http.get("/healthz")).json() == {"status": "ok"}
    assert (await http.get("/readyz")).status_code == 200
    spec = (await http.get("/openapi.json")).json()
    assert "/interviews/{interview_id}/assessments" in spec["paths"]
    assert "409" in spec["paths"]["/interviews/{interview_id}/stories"]["post"]["responses"]
    assert (await http.get("/asyncapi.json")).json()["asyncapi"] == "3.0.0"  # the contract, next to /docs
    path, body = http_request("iv-metrics", 0, ALICE, open_payload())
    await http.post(path, json=body)
    text = (await http.get("/metrics")).text
    assert 'interview_commands_total{code="",status="accepted",type="open_interview"}' in text
    assert "interview_append_seconds_bucket" in text


async def test_bad_kafka_records_get_a_rejection_and_the_writer_goes_on(
    replica: Replica, intake: KafkaIntake, kafka_client: dict[str, Any], topics: Topics
) -> None:
    await intake.send(b"{not json", key=b"iv-junk")
    await intake.send(b'{"command_id": "c-1", "interview_id": "iv-junk"}', key=b"iv-junk")
    good = envelope("iv-after", 0, ALICE, open_payload())
    wrong = (owner_partition("iv-moved", 3) + 1) % 3
    misrouted = envelope("iv-moved", 0, ALICE, open_payload())
    await intake.send(misrouted.model_dump_json().encode(), key=b"iv-moved", partition=wrong)
    await intake.send(good)
    results = await intake.results(4)
    junk = [r for r in results.values() if r.interview_id == "iv-junk"]
    assert [r.code for r in junk if isinstance(r, CommandRejected)] == ["invalid_command"] * 2
    assert any(r.field == "value" for r in junk if isinstance(r, CommandRejected))
    assert "payload: is required" in results["c-1"].message  # type: ignore[union-attr]
    moved = results[misrouted.command_id]
    assert isinstance(moved, CommandRejected)
    assert moved.code == "wrong_partition"
    assert isinstance(results[good.command_id], CommandAccepted)
    assert [e.attributes.subject for e in await events_of(kafka_client, topics)] == ["iv-after"]
