"""Start-up against a cluster whose topics the services do not own (issue 19): verify, wait, exit clearly."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewPartitions
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from schemas.topics import BY_NAME, PRIVACY_KEYS, Topics
from services.interview.entrypoints.service import TOPICS_USED
from services.platform.broker import Broker
from services.platform.topics import TopicsError, ensure_topics, verify_topics
from tests.decision_support import eventually, free_port

pytestmark = pytest.mark.kafka


async def test_declared_topics_pass(kafka_client: dict[str, Any], topics: Topics) -> None:
    await verify_topics(kafka_client, topics, None)
    await verify_topics(kafka_client, topics, None, list(TOPICS_USED))


async def test_every_missing_or_wrong_topic_is_named(kafka_client: dict[str, Any]) -> None:
    topics = Topics(f"v{uuid.uuid4().hex[:10]}.")
    await ensure_topics(kafka_client, topics, partitions=2)
    admin = AIOKafkaAdminClient(**kafka_client)
    await admin.start()
    try:
        await admin.delete_topics([topics.command_results])
        await admin.create_partitions({topics.decision_events: NewPartitions(3)})
        config = {**BY_NAME[PRIVACY_KEYS].config, "min.cleanable.dirty.ratio": "0.5"}  # replaces them all
        await admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, topics.privacy_keys, config)])
    finally:
        await admin.close()
    want = sorted([
        f"{topics.decision_events} has 3 partitions, wants 2",
        f"{topics.privacy_keys} min.cleanable.dirty.ratio=0.5, wants 0.01",
    ])  # fmt: skip
    found: list[TopicsError] = []

    async def named() -> bool:  # the changes reach the metadata the broker answers with in a moment
        try:
            await verify_topics(kafka_client, topics, None)
        except TopicsError as exc:
            found[:] = [exc]
            return sorted(exc.wrong) == want and exc.missing == [topics.command_results]
        return False

    assert await eventually(named, timeout=20), found
    assert topics.command_results in str(found[0])


def _run(module: str, args: list[str], env: dict[str, str], tmp_path: Path) -> tuple[int, str]:
    done = subprocess.run(
        [sys.executable, "-m", module, *args], env={**os.environ, **env}, capture_output=True, text=True,
        timeout=90, check=False, cwd=tmp_path,
    )  # fmt: skip
    return done.returncode, done.stdout + done.stderr


def test_a_service_without_topic_creation_waits_then_names_the_missing_topics(
    kafka: Broker, tmp_path: Path
) -> None:
    prefix = f"absent{uuid.uuid4().hex[:8]}."
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": str(kafka.settings.bootstrap_servers), "KAFKA_TOPIC_PREFIX": prefix,
        "KAFKA_STARTUP_WAIT_S": "2", "DECISION_CREATE_TOPICS": "false", "DECISION_PORT": str(free_port()),
        "DECISION_STATE_DIR": str(tmp_path / "state"), "DECISION_LOG_JSON": "false",
    }  # fmt: skip
    code, log = _run("services.decision", ["projector"], env, tmp_path)
    assert code == 1, log
    assert "topics missing; waiting for them to be created" in log
    assert f"missing: {prefix}interview.commands" in log
    assert f"{prefix}privacy.keys" in log
    assert "Traceback" not in log
    assert "Create" not in log  # it never tried to create them


def test_a_service_retries_an_unreachable_kafka_for_the_bound_then_exits(tmp_path: Path) -> None:
    bootstrap = f"127.0.0.1:{free_port()}"
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap, "KAFKA_STARTUP_WAIT_S": "3", "INTERVIEW_PORT": str(free_port()),
        "INTERVIEW_STATE_DIR": str(tmp_path / "state"), "INTERVIEW_LOG_JSON": "false",
    }  # fmt: skip
    code, log = _run("services.interview", [], env, tmp_path)
    assert code == 1, log
    retries = log.count("kafka not reachable yet; retrying")
    assert 1 <= retries <= 4, log  # one line per 2 s attempt interval, not a flood
    assert f"Kafka at {bootstrap} not reachable after {retries + 1} attempts" in log
    assert "Traceback" not in log
