"""One writer per interview with two replicas: optimistic concurrency and idempotent retries."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import pytest
from prometheus_client import REGISTRY

from schemas.commands import CommandAccepted, CommandRejected
from schemas.topics import Topics
from tests.integration.interview.conftest import (
    KafkaIntake,
    Replica,
    envelope,
    events_of,
    start_replica,
    stop_replica,
    wait_until,
)
from tests.integration.interview.script import http_request
from tests.unit.interview.given import ALICE, BOB, CANDIDATE, open_payload, question, story

pytestmark = pytest.mark.kafka
WRITERS, ROUNDS = 8, 6


@pytest.fixture
async def replicas(kafka_client: dict[str, Any], topics: Topics) -> AsyncIterator[list[Replica]]:
    """Two replicas in one consumer group, every partition owned by exactly one of them."""
    pair = [await start_replica(kafka_client, topics) for _ in range(2)]

    def settled() -> bool:
        owned = [
            p for service, _ in pair for p in (service.processor.assigned if service.processor else set())
        ]
        return all(s.ready for s, _ in pair) and sorted(owned) == [0, 1, 2]

    await wait_until(settled, timeout=60, what="two replicas sharing the 3 partitions")
    yield pair
    for one in pair:
        await stop_replica(one)


async def _open(replica: Replica, interview_id: str) -> None:
    path, body = http_request(interview_id, 0, ALICE, open_payload())
    assert (await replica[1].post(path, json=body)).status_code == 201


async def test_eight_concurrent_writers_one_winner_per_version(
    replicas: list[Replica], kafka_client: dict[str, Any], topics: Topics
) -> None:
    await _open(replicas[0], "iv-race")
    for version in range(1, ROUNDS + 1):
        requests = [
            http_request("iv-race", version, BOB, question(f"q{version}-{w}", "scripted"))
            for w in range(WRITERS)
        ]
        # Writers alternate between the replicas: only the partition owner decides.
        sent = [replicas[w % 2][1].post(path, json=body) for w, (path, body) in enumerate(requests)]
        responses = await asyncio.gather(*sent)
        statuses = Counter(r.status_code for r in responses)
        assert statuses == {201: 1, 409: WRITERS - 1}, [r.text for r in responses]
        assert {r.json()["code"] for r in responses if r.status_code == 409} == {"version_conflict"}
        assert next(r for r in responses if r.status_code == 201).json()["version"] == version + 1
    events = await events_of(kafka_client, topics, "iv-race")
    assert [e.attributes.sequence for e in events] == list(range(1, ROUNDS + 2))


async def test_a_retried_idempotency_key_appends_once(
    replicas: list[Replica], kafka_client: dict[str, Any], topics: Topics
) -> None:
    early_path, early_body = http_request("iv-retry", 0, ALICE, question("q0", "invite_story"))
    early = await replicas[0][1].post(early_path, json=early_body, headers={"Idempotency-Key": "early"})
    assert early.json()["code"] == "not_opened"
    await _open(replicas[0], "iv-retry")
    # A rejection is a first result too: its retry repeats it even though the interview is open now.
    again = await replicas[1][1].post(early_path, json=early_body, headers={"Idempotency-Key": "early"})
    assert again.status_code == 404, again.text
    assert again.json()["code"] == "not_opened"
    assert again.json()["replay_of"] == early.json()["command_id"]
    path, body = http_request("iv-retry", 1, ALICE, question("q1", "invite_story"))
    headers = {"Idempotency-Key": "ask-q1"}
    first = await replicas[0][1].post(path, json=body, headers=headers)
    replayed_before = _commands_counted("replayed")
    accepted_before = _commands_counted("accepted")
    retries = await asyncio.gather(
        *(replicas[i % 2][1].post(path, json=body, headers=headers) for i in range(5))
    )
    assert first.status_code == 201
    assert not first.json()["replayed"]
    assert first.json()["replay_of"] is None
    for retry in retries:
        assert retry.status_code == 201, retry.text
        assert retry.json()["replayed"] is True
        assert retry.json()["event_ids"] == first.json()["event_ids"]
        assert retry.json()["version"] == 2
        assert retry.json()["command_id"] == retry.json()["replay_of"] == first.json()["command_id"]
    # Counted after each commit, in this process's registry (both replicas run here).
    await wait_until(lambda: _commands_counted("replayed") == replayed_before + 5, what="5 replays counted")
    assert _commands_counted("accepted") == accepted_before
    reused = await replicas[1][1].post(path, json=body | {"text": "Another?"}, headers=headers)
    assert reused.status_code == 422
    assert reused.json()["code"] == "idempotency_key_reused"
    events = await events_of(kafka_client, topics, "iv-retry")
    assert [e.attributes.sequence for e in events] == [1, 2]
    assert events[1].attributes.causationid == first.json()["command_id"]


def _commands_counted(status: str) -> float:
    """``interview_commands_total`` of ask_question commands with ``status`` (process-wide registry)."""
    value = REGISTRY.get_sample_value(
        "interview_commands_total", {"status": status, "code": "", "type": "ask_question"}
    )
    return value or 0.0


async def test_a_retry_after_a_restart_still_appends_once(
    kafka_client: dict[str, Any], topics: Topics, intake: KafkaIntake
) -> None:
    """The idempotency index is rebuilt from interview.command-results when a partition is assigned."""
    first = await start_replica(kafka_client, topics)
    await wait_until(lambda: first[0].ready, what="first replica")
    early = envelope("iv-restart", 0, CANDIDATE, story("s0"), idempotency_key="k-early")
    opened = envelope("iv-restart", 0, ALICE, open_payload(), idempotency_key="k-open")
    told = envelope("iv-restart", 1, CANDIDATE, story("s1"), idempotency_key="k-story")
    for command in (early, opened, told):
        await intake.send(command)
    await intake.results(3)
    await stop_replica(first)
    second = await start_replica(kafka_client, topics)
    try:
        await wait_until(lambda: second[0].ready, what="second replica")
        retry = told.model_copy(update={"command_id": "00000000-0000-4000-8000-000000000001"})
        early_retry = early.model_copy(update={"command_id": "00000000-0000-4000-8000-000000000002"})
        await intake.send(retry)
        await intake.send(early_retry)
        results = await intake.results(5)
    finally:
        await stop_replica(second)
    rejected = results[early_retry.command_id]  # the rejection was indexed from the results topic
    assert isinstance(rejected, CommandRejected)
    assert (rejected.code, rejected.replay_of) == ("not_opened", early.command_id)
    replay = results[retry.command_id]
    assert isinstance(replay, CommandAccepted)
    assert replay.replay_of == told.command_id
    assert replay.event_ids == results[told.command_id].event_ids  # type: ignore[union-attr]
    assert len(await events_of(kafka_client, topics, "iv-restart")) == 2
