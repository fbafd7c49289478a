"""Broker selection, the same for tests and the run command.

``KAFKA_BOOTSTRAP_SERVERS`` set -> that cluster; else a reachable Docker engine -> testcontainers
Kafka; else the local Apache Kafka broker from Maven Central jars.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from services.platform import local_kafka
from services.platform.settings import KafkaSettings


@dataclass
class Broker:
    """A Kafka cluster to talk to, and how it was obtained."""

    kind: str  # "external" | "testcontainers" | "local"
    settings: KafkaSettings
    started_in: float = 0.0
    local: local_kafka.BrokerInfo | None = None

    def client(self) -> dict[str, Any]:
        """Keyword arguments for aiokafka clients."""
        return self.settings.client_kwargs()


def docker_available() -> bool:
    """True when a Docker engine answers (the client alone is not enough)."""
    if not shutil.which("docker"):
        return False
    try:
        done = subprocess.run(
            ["docker", "info", "--format", "{{.ServerVersion}}"], capture_output=True, timeout=5, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0 and bool(done.stdout.strip())


@contextlib.contextmanager
def kafka_broker(data_dir: Path | None = None, port: int | None = None) -> Iterator[Broker]:
    """Yield a ready broker chosen as described above; stop it afterwards if we started it."""
    settings = KafkaSettings()
    if settings.bootstrap_servers:
        yield Broker("external", settings)
    elif docker_available():
        yield from _testcontainers(settings)
    else:
        yield from _local(settings, data_dir, port)


def _testcontainers(settings: KafkaSettings) -> Iterator[Broker]:
    from testcontainers.kafka import KafkaContainer

    with KafkaContainer().with_kraft() as container:
        servers = container.get_bootstrap_server()
        yield Broker("testcontainers", settings.model_copy(update={"bootstrap_servers": servers}))


def _local(settings: KafkaSettings, data_dir: Path | None, port: int | None) -> Iterator[Broker]:
    info = local_kafka.start_broker(data_dir, port)
    try:
        took = local_kafka.wait_ready(info)
        servers = info.bootstrap_servers
        yield Broker("local", settings.model_copy(update={"bootstrap_servers": servers}), took, info)
    finally:
        local_kafka.stop_broker(info)
        if data_dir is None:  # a broker for this run only: its log must not outlive it (GBs after a big test)
            shutil.rmtree(info.data_dir, ignore_errors=True)
