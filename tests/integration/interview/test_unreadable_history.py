"""An unreadable record in the writer's own history parks its interview, not its partition; an operator
releases it by deploying a build that reads it and resetting the partition's state (``reset-state``).
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from schemas import encode
from schemas.common import QuestionKind
from schemas.topics import Topics
from schemas.upcast import UPCASTERS
from services.interview.adapters.state_reset import active_members, reset_partitions
from services.interview.entrypoints.settings import InterviewSettings, writer_group
from services.platform.log_reader import partitions_of
from testkit.interviews import Script
from tests.integration.interview.conftest import Replica, start_replica, stop_replica, wait_until

pytestmark = pytest.mark.kafka


def story_v0_to_v1(attrs: dict[str, str], data: dict[str, Any]) -> dict[str, Any]:
    """The fix an operator deploys: v0 stories (no kind, skills as one string) read as v1."""
    skills = [s.strip() for s in data.pop("skills", "").split(",") if s.strip()]
    return {**data, "kind": "other", "skills": skills}


def as_v0(record: Any) -> tuple[bytes, list[tuple[str, bytes]]]:
    """A story record as a long-gone writer stored it: type v0, no kind, skills as one string."""
    data = json.loads(record.value)
    data.pop("kind")
    data["skills"] = ", ".join(data["skills"])
    data |= {f: data[f]["plain"] for f in ("title", "summary")}  # text in the clear, as before sealing
    renamed = ("ce_type", "ce_dataschema")
    headers = [(k, v.replace(b".v2", b".v0") if k in renamed else v) for k, v in record.headers]
    return json.dumps(data).encode(), headers


async def produce_history(client: dict[str, Any], topics: Topics) -> int:
    """iv-bad: opened, a question, and a v0 story nothing reads; iv-ok: opened. The version of iv-bad."""
    bad = Script("iv-bad").opened().ask("q1", QuestionKind.INVITE_STORY).story("s1", in_reply_to="q1")
    ok = Script("iv-ok").opened()
    producer = AIOKafkaProducer(enable_idempotence=True, **client)
    await producer.start()
    try:
        for event in [*bad.events[:-1], *ok.events]:
            r = encode(event)
            await producer.send_and_wait(topics.interview_events, r.value, key=r.key, headers=r.headers)
        value, headers = as_v0(encode(bad.events[-1]))
        await producer.send_and_wait(topics.interview_events, value, key=b"iv-bad", headers=headers)
    finally:
        await producer.stop()
    return len(bad.events)


async def ask(http: httpx.AsyncClient, iid: str, version: int, qid: str) -> httpx.Response:
    body = {"actor_id": "int1", "expected_version": version, "question_id": qid, "kind": "scripted",
            "text": "How would you shard it?"}  # fmt: skip
    return await http.post(f"/interviews/{iid}/questions", json=body)


async def ready_replica(client: dict[str, Any], topics: Topics) -> Replica:
    replica = await start_replica(client, topics)
    await wait_until(lambda: replica[0].ready, what="writer ready")
    return replica


async def test_unreadable_record_parks_one_interview_until_released(
    kafka_client: dict[str, Any], topics: Topics, monkeypatch: pytest.MonkeyPatch
) -> None:
    version = await produce_history(kafka_client, topics)
    service, http = await ready_replica(kafka_client, topics)
    try:
        parked = await ask(http, "iv-bad", version, "q2")
        assert parked.status_code == 409, parked.text
        assert parked.json()["code"] == "history_unreadable"
        assert "does not decode (unknown_type" in parked.json()["detail"]
        assert f"{topics.interview_events}[" in parked.json()["detail"]  # names where the record is
        assert (await ask(http, "iv-ok", 1, "q1")).status_code == 201  # its neighbours go on
    finally:
        await stop_replica((service, http))

    monkeypatch.setitem(UPCASTERS, ("hiring.interview.story_told", 0), story_v0_to_v1)  # the fix, deployed
    group = writer_group(InterviewSettings(), topics)
    assert await active_members(kafka_client, group) == 0  # reset-state refuses while writers run
    partitions = await partitions_of(kafka_client, topics.writer_state)
    forgotten = await reset_partitions(kafka_client, topics.writer_state, partitions)
    assert sum(forgotten.values()) >= 2  # both interviews' states (and the keys of the commands)

    service, http = await ready_replica(kafka_client, topics)
    try:
        released = await ask(http, "iv-bad", version, "q2")
        assert released.status_code == 201, released.text
        assert (await ask(http, "iv-ok", 2, "q2")).status_code == 201  # rebuilt from history, not lost
    finally:
        await stop_replica((service, http))
