"""Interview service + decision service on the real broker: HTTP commands in, expected revisions out."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from cloudevents.v1.kafka import KafkaMessage, from_binary

from schemas import decode, encode
from schemas.topics import Topics
from services.decision.domain.replay import project
from services.launcher.run import Service, service, wait_ready
from services.launcher.samples import CHECKLIST, STORY_FIRST, feed
from services.platform.broker import Broker
from services.platform.log_reader import read_all
from testkit.auth import service_headers
from tests.decision_support import by_key, eventually, free_port

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


@pytest.fixture
def stack(kafka: Broker, tmp_path: Path) -> Iterator[tuple[Service, Service, Topics]]:
    """Both services as processes, each decision role its own (ADR 0016), stopped by pid when the test
    ends: the interview service, the decision query service and the topics."""
    topics = Topics(f"e2e{uuid.uuid4().hex[:6]}.")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KAFKA_", "INTERVIEW_", "DECISION_"))}
    env |= {"KAFKA_BOOTSTRAP_SERVERS": str(kafka.settings.bootstrap_servers),
            "KAFKA_TOPIC_PREFIX": topics.prefix, "KAFKA_PARTITIONS": "3"}  # fmt: skip
    port = free_port()
    with ExitStack() as stack:
        interview = stack.enter_context(
            service("interview", "services.interview", env | {"INTERVIEW_PORT": str(port)}, port, tmp_path)
        )
        roles: dict[str, Service] = {}
        for role in ("projector", "candidacy", "query"):
            port = free_port()
            own = env | {"DECISION_PORT": str(port), "DECISION_STATE_DIR": str(tmp_path / "state")}
            roles[role] = stack.enter_context(
                service(f"decision-{role}", "services.decision", own, port, tmp_path, (role,))
            )
        yield interview, roles["query"], topics


async def test_scripted_interviews_through_both_services(
    kafka_client: dict[str, Any], stack: tuple[Service, Service, Topics]
) -> None:
    interview, decision, topics = stack
    await wait_ready(interview)
    await wait_ready(decision)
    async with httpx.AsyncClient(base_url=interview.url, timeout=10, headers=service_headers()) as http:
        await feed(http, "e2e-story", STORY_FIRST)
        await feed(http, "e2e-checklist", CHECKLIST)
    history = [
        decode(r.value, r.headers, r.key) for r in await read_all(kafka_client, topics.interview_events)
    ]
    expected = project(history)

    async def published() -> bool:
        return len(await read_all(kafka_client, topics.decision_events)) >= len(expected)

    assert await eventually(published, timeout=60)
    got = by_key(await read_all(kafka_client, topics.decision_events))
    for interview_id in ("e2e-story", "e2e-checklist"):
        want = [encode(e) for e in expected if e.attributes.subject == interview_id]
        assert [(r.value, list(r.headers)) for r in got[interview_id]] == [(w.value, w.headers) for w in want]
    story = [from_binary(KafkaMessage(dict(r.headers), r.key, r.value)) for r in got["e2e-story"]]
    assert [e["sequence"] for e in story] == [str(n).zfill(20) for n in range(1, len(story) + 1)]
    final = story[-1].data
    assert (final["mutual"], final["final"], final["company"]["decision"]) == ("mutual_fit", True, "proceed")
    assert all(r["assessments"][0]["evidence_events"] for r in final["company"]["reasons"])
    checklist = from_binary(
        KafkaMessage(dict(got["e2e-checklist"][-1].headers), None, got["e2e-checklist"][-1].value)
    )
    codes = {s["code"] for s in checklist.data["signals"]}
    assert {"story_not_invited", "checklist_interview", "no_story", "no_candidate_questions"} <= codes
    async with httpx.AsyncClient(base_url=decision.url, timeout=5, headers=service_headers()) as http:
        current = (await http.get("/interviews/e2e-story/verdict")).json()
        assert current["id"] == story[-1]["id"]
