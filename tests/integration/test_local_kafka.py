"""The embedded broker launcher: start, ready, stop by pid; clear errors without Java or Maven."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from services.platform import local_kafka
from services.platform.broker import Broker

pytestmark = pytest.mark.kafka


def test_two_fresh_brokers_start_and_stop_leaving_no_process(tmp_path: Path) -> None:
    first = local_kafka.start_broker(tmp_path / "a")
    second = local_kafka.start_broker(tmp_path / "b")
    try:
        assert local_kafka.wait_ready(first) < 60
        assert local_kafka.wait_ready(second) < 60
        assert first.bootstrap_servers != second.bootstrap_servers
        assert local_kafka.metadata_ok_sync(first.bootstrap_servers)
    finally:
        local_kafka.stop_broker(first)
        local_kafka.stop_broker(second)
    assert not local_kafka.pid_alive(first.pid)
    assert not local_kafka.pid_alive(second.pid)
    assert not local_kafka.metadata_ok_sync(first.bootstrap_servers)


def test_cli_up_status_down(tmp_path: Path) -> None:
    cli = [sys.executable, "-m", "services.launcher.cli", "kafka"]
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path)}
    up = subprocess.run([*cli, "up"], env=env, capture_output=True, text=True, timeout=120, check=False)
    info = local_kafka.BrokerInfo.load(tmp_path / "hiring-pipeline" / "kafka")
    assert info is not None, up.stdout + up.stderr
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        assert "interview.events" in up.stdout
        status = subprocess.run(
            [*cli, "status"], env=env, capture_output=True, text=True, timeout=60, check=False
        )
        assert status.returncode == 0
        assert "decision.verdicts" in status.stdout
        assert "compact" in status.stdout
    finally:
        down = subprocess.run(
            [*cli, "down"], env=env, capture_output=True, text=True, timeout=60, check=False
        )
        local_kafka.stop_broker(info)
    assert f"stopped pid {info.pid}" in down.stdout
    assert not local_kafka.pid_alive(info.pid)


def test_cli_up_on_a_taken_port_fails_and_provisions_nothing(kafka: Broker, tmp_path: Path) -> None:
    """The session broker holds its port: ``up --port`` on it refuses, instead of using that broker."""
    taken = int(str(kafka.settings.bootstrap_servers).rpartition(":")[2])
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path), "KAFKA_TOPIC_PREFIX": "taken."}
    up = subprocess.run(
        [sys.executable, "-m", "services.launcher.cli", "kafka", "up", "--port", str(taken)],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    info = local_kafka.BrokerInfo.load(tmp_path / "hiring-pipeline" / "kafka")
    if info is not None:
        local_kafka.stop_broker(info)  # nothing to stop unless this test fails
    assert up.returncode != 0
    assert f"127.0.0.1:{taken} is already in use" in up.stdout + up.stderr
    assert "KAFKA_BOOTSTRAP_SERVERS=" not in up.stdout  # what the success line prints
    assert info is None  # no broker was started
    topics = asyncio.run(listed_topics(str(kafka.settings.bootstrap_servers)))
    assert not [t for t in topics if t.startswith("taken.")]  # nothing provisioned on the other broker


async def listed_topics(bootstrap: str) -> list[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return list(await admin.list_topics())
    finally:
        await admin.close()


def test_missing_java_names_it_and_the_alternatives(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("JAVA_HOME", raising=False)
    with pytest.raises(local_kafka.MissingPrerequisiteError) as caught:
        local_kafka.require_java()
    message = str(caught.value)
    assert "Java 17+" in message
    assert "KAFKA_BOOTSTRAP_SERVERS" in message
    assert "Docker" in message


def test_missing_maven_names_it_and_the_alternatives(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # no cached jars
    with pytest.raises(local_kafka.MissingPrerequisiteError) as caught:
        local_kafka.ensure_jars()
    message = str(caught.value)
    assert "Maven" in message
    assert "KAFKA_BOOTSTRAP_SERVERS" in message
    assert "Docker" in message


def test_old_java_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake = tmp_path / "bin" / "java"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho 'openjdk version \"11.0.2\" 2019-01-15' >&2\n")
    fake.chmod(0o755)
    monkeypatch.setenv("JAVA_HOME", str(tmp_path))
    with pytest.raises(local_kafka.MissingPrerequisiteError, match="is Java 11"):
        local_kafka.require_java()
