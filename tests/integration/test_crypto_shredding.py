"""Crypto-shredding on the real broker: erase one candidate, then no clear text of theirs is anywhere.

Both services run as child processes; commands go in through the Kafka intake (the HTTP API is
another way in, see ``_send``). After ``hiring-pipeline privacy erase`` the raw bytes of every topic
(commands, results, events, decision topics, DLQ, changelogs, key topic), the local state files and
an audit export hold none of the erased candidate's text; the audit still verifies and the verdicts
are unchanged; the other candidate's text still opens.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from schemas.topics import Topics
from services.launcher.run import Service, service, wait_ready
from services.platform.broker import Broker
from services.platform.log_reader import read_all
from services.platform.privacy.keystore import KafkaKeyStore
from services.platform.privacy.settings import PrivacySettings
from tests.decision_support import eventually, free_port

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

ERASED_WORD, KEPT_WORD = b"Zanzibarite", b"Quokkalicious"


@pytest.fixture
def stack(
    kafka: Broker, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[tuple[Service, Service, Topics, dict[str, str]]]:
    """Both services as child processes (stopped by pid); ``indirect`` parameters add to their env."""
    topics = Topics(f"shred{uuid.uuid4().hex[:6]}.")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KAFKA_", "INTERVIEW_", "DECISION_"))}
    env |= {
        "KAFKA_BOOTSTRAP_SERVERS": str(kafka.settings.bootstrap_servers),
        "KAFKA_TOPIC_PREFIX": topics.prefix,
        "KAFKA_PARTITIONS": "3",
        "INTERVIEW_STATE_DIR": str(tmp_path / "state"),
        "DECISION_STATE_DIR": str(tmp_path / "state"),
    }
    env |= getattr(request, "param", {})
    ports = free_port(), free_port()
    with ExitStack() as stack:
        interview = stack.enter_context(
            service(
                "interview", "services.interview", env | {"INTERVIEW_PORT": str(ports[0])}, ports[0], tmp_path
            )
        )
        decision = stack.enter_context(
            service(
                "decision", "services.decision", env | {"DECISION_PORT": str(ports[1])}, ports[1], tmp_path
            )
        )
        yield interview, decision, topics, env


def _script(iid: str, cand: str, word: str) -> list[tuple[str, dict[str, Any]]]:
    """(actor, payload) of a short interview whose every text names ``word``."""
    return [
        (
            "ana",
            {
                "type": "open_interview",
                "candidacy_id": f"cy-{cand}",
                "round": "technical",
                "position": "Backend engineer",
                "candidate_id": cand,
                "participants": [
                    {"id": cand, "side": "candidate", "role": "candidate"},
                    {"id": "ana", "side": "company", "role": "interviewer"},
                ],
            },
        ),
        (
            "ana",
            {
                "type": "ask_question",
                "question_id": "q1",
                "kind": "invite_story",
                "text": f"Tell me about {word} at work",
            },
        ),
        (
            cand,
            {
                "type": "tell_story",
                "story_id": "s1",
                "kind": "bug_hunt",
                "in_reply_to": "q1",
                "title": f"{word} outage",
                "summary": f"I fixed the {word} queue at Initech",
            },
        ),
        (
            "ana",
            {
                "type": "ask_question",
                "question_id": "q2",
                "kind": "clarifying",
                "about": "s1",
                "text": f"How did {word} fail?",
            },
        ),
        (cand, {"type": "answer_question", "answer_id": "a1", "question_id": "q2", "text": f"{word} leaked"}),
        (
            "ana",
            {
                "type": "assess_goal",
                "assessment_id": "g1",
                "goal": "company.level",
                "rating": "yes",
                "evidence": ["s1", "a1"],
                "note": f"{word} story was deep",
            },
        ),
        ("ana", {"type": "conclude_interview", "outcome": "completed"}),
    ]


async def _send(
    client: dict[str, Any], topics: Topics, iid: str, steps: list[tuple[str, dict[str, Any]]]
) -> None:
    """Each command through the Kafka intake, waiting for its result (the HTTP API would do the same)."""
    producer = AIOKafkaProducer(**client)
    await producer.start()
    try:
        for version, (actor, payload) in enumerate(steps):
            command_id = str(uuid.uuid4())
            body = {
                "command_id": command_id,
                "idempotency_key": command_id,
                "interview_id": iid,
                "expected_version": version,
                "actor_id": actor,
                "correlation_id": "c",
                "payload": payload,
            }
            await producer.send_and_wait(topics.commands, json.dumps(body).encode(), key=iid.encode())

            async def answered(command_id: str = command_id) -> bool:
                results = [json.loads(r.value) for r in await read_all(client, topics.command_results)]
                return any(r["command_id"] == command_id and r["status"] == "accepted" for r in results)

            assert await eventually(answered, timeout=30), f"{iid} step {version} not accepted"
    finally:
        await producer.stop()


def _cli(env: dict[str, str], *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from services.launcher.cli import main; "
            "from services.audit.entrypoints.cli import main as audit; "
            "sys.argv = sys.argv[1:]; (audit if sys.argv[0] == 'hiring-audit' else main)()",
            *args,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        cwd=cwd,
    )


async def _raw(client: dict[str, Any], topics: Topics) -> dict[str, bytes]:
    out = {}
    for name in topics.all():
        records = await read_all(client, name)
        out[name] = b"".join(
            (r.key or b"") + (r.value or b"") + b"".join(v for _, v in r.headers or ()) for r in records
        )
    return out


async def test_erasure_leaves_no_clear_text_and_the_audit_still_verifies(
    kafka_client: dict[str, Any], stack: tuple[Service, Service, Topics, dict[str, str]], tmp_path: Path
) -> None:
    interview, decision, topics, env = stack
    await wait_ready(interview)
    await wait_ready(decision)
    await _send(kafka_client, topics, "iv-gone", _script("iv-gone", "cand-gone", ERASED_WORD.decode()))
    await _send(kafka_client, topics, "iv-kept", _script("iv-kept", "cand-kept", KEPT_WORD.decode()))
    events = b"".join((r.value or b"") for r in await read_all(kafka_client, topics.interview_events))
    assert ERASED_WORD not in events  # sealed from the start: the history never held the text
    assert KEPT_WORD not in events

    async def verdicts_final() -> bool:
        values = [json.loads(r.value) for r in await read_all(kafka_client, topics.decision_events)]
        return sum(1 for v in values if v["final"]) == 2

    assert await eventually(verdicts_final, timeout=60)
    verdicts_before = [(r.key, r.value) for r in await read_all(kafka_client, topics.decision_events)]

    follower = KafkaKeyStore(kafka_client, topics.privacy_keys, PrivacySettings().load_kek())
    await follower.start()  # a running process that follows the key topic, as the services do
    try:
        [gone_kid] = follower.kids_of("cand-gone")
        assert follower.lookup(gone_kid) is not None
        erased = _cli(env, "hiring-pipeline", "privacy", "erase", "--candidate", "cand-gone")
        assert erased.returncode == 0, erased.stdout + erased.stderr

        async def dropped() -> bool:
            return follower.lookup(gone_kid) is None

        assert await eventually(dropped, timeout=10), "a running cache kept the erased key"
        assert follower.kids_of("cand-kept")  # the other candidate's key stays
    finally:
        await follower.stop()
    assert "erased candidate cand-gone" in erased.stdout
    again = _cli(env, "hiring-pipeline", "privacy", "erase", "--candidate", "cand-gone")
    assert again.returncode == 1, again.stdout  # nothing left to erase

    raw = await _raw(kafka_client, topics)
    assert set(raw) >= {
        topics.commands,
        topics.dlq,
        topics.writer_state,
        topics.decision_state,
        topics.privacy_keys,
    }
    for name, data in raw.items():
        assert ERASED_WORD not in data, f"{name} still holds the erased candidate's text"
        assert KEPT_WORD not in data, f"{name} holds clear text"
    for path in (tmp_path / "state").rglob("*"):
        if path.is_file():
            assert ERASED_WORD not in path.read_bytes(), f"{path} holds the erased candidate's text"

    export = tmp_path / "export"
    exported = _cli(env, "hiring-audit", "export", str(export), "--no-progress")
    assert exported.returncode == 0, exported.stdout + exported.stderr
    assert all(ERASED_WORD not in p.read_bytes() for p in export.rglob("*") if p.is_file())

    html = tmp_path / "audit.html"
    verified = _cli(
        env, "hiring-audit", "verify", "--json", "--no-progress", "--html", str(html), "--reveal-text"
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert json.loads(verified.stdout)["ok"] is True
    page = html.read_text(encoding="utf-8")
    assert ERASED_WORD.decode() not in page
    assert "[erased]" in page  # the erased candidate's story, questions and answer
    assert f"{KEPT_WORD.decode()} outage" in page  # the other candidate's text still opens

    assert [(r.key, r.value) for r in await read_all(kafka_client, topics.decision_events)] == verdicts_before


@pytest.mark.parametrize("stack", [{"INTERVIEW_COMMANDS_KEEP_S": "1"}], indirect=True)
async def test_the_writer_deletes_consumed_commands_after_their_keep_time(
    kafka_client: dict[str, Any], stack: tuple[Service, Service, Topics, dict[str, str]]
) -> None:
    interview, _, topics, _ = stack
    await wait_ready(interview)
    steps = _script("iv-purge", "cand-purge", KEPT_WORD.decode())[:3]
    await _send(kafka_client, topics, "iv-purge", steps)

    async def purged() -> bool:
        return not await read_all(kafka_client, topics.commands)

    assert await eventually(purged, timeout=30), "consumed commands still on interview.commands"
    results = await read_all(kafka_client, topics.command_results)
    assert len(results) == len(steps)  # the results (no text) stay: retries are still answered
