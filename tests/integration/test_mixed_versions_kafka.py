"""On the real broker: an interview whose history a v1 writer began and the current writer continues.

The interview service rebuilds from the mixed history and appends v2 events chained over the stored
records; the decision service publishes exactly the revisions ``project`` gives for what consumers read;
``hiring-audit verify`` proves them.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from typer.testing import CliRunner

from schemas import decode, encode
from schemas.common import GoalId, QuestionKind, Rating
from schemas.interview import GoalAssessed
from schemas.topics import Topics
from services.audit.entrypoints.cli import app as audit_app
from services.decision.domain.replay import project
from services.decision.entrypoints.service import run_decision_service
from services.interview.domain.state import fold
from services.platform.broker import Broker
from services.platform.log_reader import read_all
from testkit.interviews import Script, as_stored_by_v1_writer
from testkit.kafka import produce
from tests.decision_support import by_key, free_port, settings_for, wait_for_records
from tests.integration.interview.conftest import start_replica, stop_replica, wait_until

pytestmark = pytest.mark.kafka
IID = "iv-mixed"


def begun_by_the_v1_writer() -> list[Any]:
    """Opened, a story, a clarifying round and two company assessments, stored as v1."""
    s = Script(IID).opened().ask("q1", QuestionKind.INVITE_STORY).story("s1", in_reply_to="q1")
    s.ask("q2", QuestionKind.CLARIFYING, about="s1").answer("a2", "q2")
    s.ask("q3", QuestionKind.ABOUT_COMPANY, asker="cand").answer("a3", "q3", answerer="int1")
    s.assess("c1", GoalId.COMPANY_LEVEL, Rating.STRONG_YES, evidence=("s1", "a2"))
    s.assess("c2", GoalId.COMPANY_APPLICATION, Rating.YES, evidence=("a2",))
    return as_stored_by_v1_writer(s.events, lambda _, e: isinstance(e.data, GoalAssessed))


CONTINUED = [  # (route, actor, body) sent by the current writer's clients over HTTP
    ("assessments", "int1", {"assessment_id": "c3", "goal": "candidate.present", "rating": "yes",
                             "confidence": "high", "evidence": ["s1"]}),
    ("assessments", "int2", {"assessment_id": "c1b", "goal": "company.level", "rating": "yes",
                             "confidence": "low", "evidence": ["a2"]}),
    ("assessments", "cand", {"assessment_id": "k1", "goal": "candidate.offer", "rating": "yes",
                             "evidence": ["a3"]}),
    ("assessments", "cand", {"assessment_id": "k2", "goal": "candidate.opportunity", "rating": "yes",
                             "confidence": "medium", "evidence": ["a3"]}),
    ("assessments", "cand", {"assessment_id": "k3", "goal": "company.attract", "rating": "strong_yes",
                             "confidence": "high", "evidence": ["a3"]}),
    ("conclusion", "int1", {"outcome": "completed"}),
]  # fmt: skip


async def test_a_mixed_history_replays_projects_and_verifies(
    kafka: Broker, kafka_client: dict[str, Any], topics: Topics
) -> None:
    old = begun_by_the_v1_writer()
    await produce(kafka_client, topics.interview_events, old)

    service, http = await start_replica(kafka_client, topics)
    try:
        await wait_until(lambda: service.ready, what="interview service ready")
        for version, (route, actor, body) in enumerate(CONTINUED, start=len(old)):
            answer = await http.post(
                f"/interviews/{IID}/{route}", json={**body, "actor_id": actor, "expected_version": version}
            )
            assert answer.status_code == 201, answer.text
    finally:
        await stop_replica((service, http))

    records = [r for r in await read_all(kafka_client, topics.interview_events) if r.key == IID.encode()]
    stored_types = [dict(r.headers)["ce_type"].decode() for r in records]
    assert stored_types.count("hiring.interview.goal_assessed.v1") == 2
    assert stored_types.count("hiring.interview.goal_assessed.v3") == 5  # the current version (ADR 0011)
    assert [r.value for r in records[: len(old)]] == [encode(e).value for e in old]  # never rewritten
    history = [decode(r.value, r.headers, r.key) for r in records]
    assert fold(IID, history).version == len(records)  # the chain holds over the stored records
    assert [e.data.confidence for e in history if isinstance(e.data, GoalAssessed)] == [
        None, None, "high", "low", None, "medium", "high"
    ]  # fmt: skip

    expected = project(history)
    assert expected[-1].data.mutual == "mutual_fit"  # type: ignore[attr-defined]
    settings = settings_for(kafka, topics, free_port())
    stop = asyncio.Event()
    task = asyncio.create_task(run_decision_service(settings, stop))
    try:
        published = await wait_for_records(kafka_client, topics.decision_events, len(expected))
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=30)
    got = by_key(published)[IID]
    want = [encode(e) for e in expected]
    assert [(r.value, list(r.headers)) for r in got] == [(w.value, w.headers) for w in want]

    where = ["--bootstrap-servers", str(kafka.settings.bootstrap_servers), "--topic-prefix", topics.prefix]
    result = await asyncio.to_thread(CliRunner().invoke, audit_app, ["verify", *where, "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "ok" in result.output.lower()
