"""Shared fixtures: one real Kafka broker per test session, unique topics per test."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from schemas.topics import Topics
from services.platform.broker import Broker, kafka_broker
from services.platform.devkeys import dev_issuer
from services.platform.topics import ensure_topics

TEST_PARTITIONS = 3

# Every service a test starts (apps built at collection included, children inherit it) trusts the
# test issuer, whose tokens testkit.auth mints: a key made for this session, removed at exit.
_AUTH_DIR = Path(tempfile.mkdtemp(prefix="hp-test-auth-"))
os.environ.update(dev_issuer(_AUTH_DIR).env())
atexit.register(shutil.rmtree, _AUTH_DIR, True)


@pytest.fixture(scope="session", autouse=True)
def state_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Services started by tests (in process or as children) keep their local stores in the session's tmp."""
    home = tmp_path_factory.mktemp("state-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_STATE_HOME", str(home))
        yield home


@pytest.fixture(scope="session")
def kafka() -> Iterator[Broker]:
    """The real broker: KAFKA_BOOTSTRAP_SERVERS, else Docker (testcontainers), else local jars."""
    with kafka_broker() as broker:
        yield broker


@pytest.fixture
def kafka_client(kafka: Broker) -> dict[str, Any]:
    """aiokafka keyword arguments for the session broker."""
    return kafka.client()


@pytest.fixture
async def topics(kafka: Broker) -> AsyncIterator[Topics]:
    """All product topics under a prefix unique to this test."""
    names = Topics(prefix=f"t{uuid.uuid4().hex[:10]}.")
    await ensure_topics(kafka.client(), names, partitions=TEST_PARTITIONS)
    return names
