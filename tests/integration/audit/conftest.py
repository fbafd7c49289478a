"""A clean history on the real broker: interview events and the revisions the decision service publishes."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from typer.testing import CliRunner, Result

from schemas.codec import encode
from schemas.envelope import Event
from schemas.topics import Topics
from services.audit.entrypoints.cli import app
from services.decision.domain.replay import project
from services.platform.broker import Broker
from testkit.interviews import checklist, interleaved, story_first
from tests.unit.audit.history import enthusiastic


@dataclass(frozen=True)
class History:
    """What was written, and where."""

    servers: str
    prefix: str
    events: list[Event]
    decisions: list[Event]


def sample_events() -> list[Event]:
    """Two lukewarm and one keen story-first interview, and a checklist one."""
    return interleaved(
        story_first("iv-lukewarm-1").events, enthusiastic("iv-keen"),
        checklist("iv-checklist").events, story_first("iv-lukewarm-2").events,
    )  # fmt: skip


async def publish(
    client: dict[str, Any], topics: Topics, events: list[Event], decisions: list[Event]
) -> None:
    """Write events to interview.events and revisions to decision.events, keyed by interview."""
    producer = AIOKafkaProducer(enable_idempotence=True, acks="all", **client)
    await producer.start()
    try:
        for topic, batch in ((topics.interview_events, events), (topics.decision_events, decisions)):
            for event in batch:
                r = encode(event)
                await producer.send(topic, r.value, key=r.key, headers=r.headers)
        await producer.flush()
    finally:
        await producer.stop()


@pytest.fixture
async def history(kafka: Broker, topics: Topics) -> History:
    """A clean history under this test's topic prefix."""
    events = sample_events()
    decisions = project(events)
    await publish(kafka.client(), topics, events, decisions)
    return History(str(kafka.settings.bootstrap_servers), topics.prefix, events, decisions)


Invoke = Callable[..., Any]


@pytest.fixture
def audit(history: History) -> Invoke:
    """Run ``hiring-audit`` in a worker thread (it runs its own event loop), against the test broker."""

    async def run(*args: str, prefix: str | None = None) -> Result:
        where = ["--bootstrap-servers", history.servers, "--topic-prefix", prefix or history.prefix]
        kafka_args = where if args[0] in ("verify", "export", "import", "as-of", "what-if") else []
        full = [*args, *([] if "--from" in args else kafka_args), "--no-progress"]
        return await asyncio.to_thread(CliRunner().invoke, app, full)

    return run


def fresh_prefix() -> str:
    """A topic prefix no other test uses."""
    return f"t{uuid.uuid4().hex[:10]}."


def export_dir(tmp_path: Path, name: str = "export") -> Path:
    """A directory for an export."""
    return tmp_path / name
