"""Issue 22 on the real broker: a consistently re-chained rewrite after a kept checkpoint is refused, and a
verdict revision is proven offline against the kept checkpoint in about log2(n) hashes.

The checkpoints are made as the service publishes them (ADR 0025): a tree per (topic, partition)
computed from the committed records, each signed as a C2SP checkpoint with a test log key, written to
the compacted ``decision.checkpoints`` topic keyed by origin; the auditor saves them from there.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from typer.testing import CliRunner, Result

from schemas import checkpoint as notes
from schemas.checkpoint import Checkpoint
from schemas.envelope import Event
from schemas.tlog import LOGGED_TOPICS, InclusionProof, default_base, origin
from schemas.topics import DECISION_EVENTS, INTERVIEW_EVENTS, Topics
from services.audit.adapters.checkpoints import CHECKPOINT_TOPIC
from services.audit.adapters.kafka import read_topic
from services.audit.domain.transparency import partition_logs
from services.audit.entrypoints.cli import app
from services.decision.domain.replay import project
from services.platform.broker import Broker
from services.platform.topics import ensure_topics
from testkit.interviews import checklist, interleaved, story_first
from tests.conftest import TEST_PARTITIONS
from tests.integration.audit.conftest import History, publish

pytestmark = pytest.mark.kafka


def rewritten_events() -> list[Event]:
    """The sample history with iv-keen's whole history replaced by another, every hash re-chained."""
    return interleaved(
        story_first("iv-lukewarm-1").events, story_first("iv-keen").events,
        checklist("iv-checklist").events, story_first("iv-lukewarm-2").events,
    )  # fmt: skip


async def cli(history: History, *args: str, kafka_args: bool = True) -> Result:
    where = ["--bootstrap-servers", history.servers, "--topic-prefix", history.prefix] if kafka_args else []
    return await asyncio.to_thread(CliRunner().invoke, app, [*args, *where, "--no-progress"])


async def publish_checkpoints(client: dict[str, Any], topics: Topics, signer: notes.Signer) -> int:
    """What the service does at a transaction boundary: sign each partition's tree, publish it by origin."""
    admin = AIOKafkaAdminClient(**client)
    await admin.start()
    try:
        compact = {"cleanup.policy": "compact"}
        await admin.create_topics([NewTopic(topics.name(CHECKPOINT_TOPIC), 1, 1, topic_configs=compact)])
    except TopicAlreadyExistsError:
        pass  # declared by the service side once merged
    finally:
        await admin.close()
    records = [r for base in LOGGED_TOPICS[:2] for r in await read_topic(client, topics, base)]
    producer = AIOKafkaProducer(acks="all", **client)
    await producer.start()
    try:
        for (topic, partition), log in sorted(partition_logs(records).items()):
            name = origin(default_base(topics.prefix), topic, partition)
            note = notes.sign(Checkpoint(name, len(log.leaves), log.root(len(log.leaves))), signer)
            value = json.dumps({"note": note}).encode()
            await producer.send_and_wait(topics.name(CHECKPOINT_TOPIC), value, key=name.encode())
    finally:
        await producer.stop()
    return len(partition_logs(records))


async def recreate(client: dict[str, Any], topics: Topics) -> None:
    """Delete the audited topics and create them again, empty (what an operator rewriting history does)."""
    names = [topics.name(b) for b in (INTERVIEW_EVENTS, DECISION_EVENTS)]
    admin = AIOKafkaAdminClient(**client)
    await admin.start()
    try:
        await admin.delete_topics(names)
        deadline = time.monotonic() + 60
        while set(names) & set(await admin.list_topics()):
            assert time.monotonic() < deadline, "topics not deleted within 60 s"
            await asyncio.sleep(0.2)
        while not set(names) <= set(await admin.list_topics()):
            assert time.monotonic() < deadline, "topics not recreated within 60 s"
            await ensure_topics(client, topics, TEST_PARTITIONS)  # refused while deletion completes
            await asyncio.sleep(0.2)
    finally:
        await admin.close()


@pytest.fixture
def log_key(tmp_path: Path) -> tuple[notes.Signer, Path]:
    skey, vkey = notes.generate_key("hiring-pipeline.test-log")
    path = tmp_path / "log.pub"
    path.write_text(vkey)
    return notes.parse_signer(skey), path


async def saved(history: History, kafka: Broker, topics: Topics, log_key: Any, kept: Path) -> None:
    published = await publish_checkpoints(kafka.client(), topics, log_key[0])
    result = await cli(history, "checkpoint", "save", "--dir", str(kept), "--key", str(log_key[1]))
    assert result.exit_code == 0, result.output
    leaves = await asyncio.to_thread(lambda: list(kept.glob("*.leaves")))
    assert len(leaves) == published >= 2  # every partition holding records: one tree each


async def test_a_rechained_rewrite_is_refused_naming_the_interview(
    history: History, kafka: Broker, topics: Topics, log_key: Any, tmp_path: Path
) -> None:
    kept = tmp_path / "kept"
    await saved(history, kafka, topics, log_key, kept)
    await recreate(kafka.client(), topics)
    events = rewritten_events()
    await publish(kafka.client(), topics, events, project(events))

    plain = await cli(history, "verify", "--json")
    assert plain.exit_code == 0, plain.output  # every hash re-chained: the chain alone cannot tell
    result = await cli(history, "verify", "--json", "--checkpoints", str(kept), "--key", str(log_key[1]))
    assert result.exit_code == 1, result.output
    found = [d for d in json.loads(result.stdout)["discrepancies"] if d["kind"] == "checkpoint_diverged"]
    assert found
    assert {d["interview"] for d in found} == {"iv-keen"}
    assert INTERVIEW_EVENTS in {d["topic"] for d in found}
    assert all(d["offset"] is not None and d["partition"] is not None for d in found)


async def test_a_verdict_revision_is_proven_offline_from_a_kept_checkpoint(
    history: History, kafka: Broker, topics: Topics, log_key: Any, tmp_path: Path
) -> None:
    kept, proof_file = tmp_path / "kept", tmp_path / "proof.json"
    await saved(history, kafka, topics, log_key, kept)
    revisions = [e for e in history.decisions if e.attributes.subject == "iv-keen"]
    chosen = revisions[-1].data.revision  # type: ignore[attr-defined]
    made = await cli(history, "prove", "--checkpoints", str(kept), "--key", str(log_key[1]), "--interview",
                     "iv-keen", "--revision", str(chosen), "--out", str(proof_file))  # fmt: skip
    assert made.exit_code == 0, made.output
    proof = InclusionProof.model_validate_json(proof_file.read_text())
    assert proof.topic == DECISION_EVENTS
    assert len(proof.hashes) <= math.ceil(math.log2(proof.tree_size))
    assert proof.tree_size == 1 or proof.hashes
    offline = await cli(history, "prove", "--checkpoints", str(kept), "--key", str(log_key[1]),
                        "--proof", str(proof_file), kafka_args=False)  # fmt: skip
    assert offline.exit_code == 0, offline.output
    assert "PROVEN" in offline.output
    other_key = tmp_path / "other.pub"
    other_key.write_text(notes.generate_key("hiring-pipeline.test-log")[1])
    forged = await cli(history, "prove", "--checkpoints", str(kept), "--key", str(other_key),
                       "--proof", str(proof_file), kafka_args=False)  # fmt: skip
    assert forged.exit_code == 2  # the kept checkpoints are not signed by that key
