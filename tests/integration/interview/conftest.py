"""Fixtures: interview-service replicas in this process, an HTTP client per replica, Kafka helpers."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from schemas.codec import decode
from schemas.commands import CommandEnvelope, CommandResult
from schemas.envelope import Event
from schemas.topics import Topics
from services.interview.adapters.wire import parse_result
from services.interview.entrypoints.http import create_app
from services.interview.entrypoints.service import InterviewService
from services.interview.entrypoints.settings import InterviewSettings
from services.platform.log_reader import read_all
from testkit.auth import service_headers

Replica = tuple[InterviewService, httpx.AsyncClient]


async def wait_until(check: Callable[[], bool], timeout: float = 30.0, what: str = "condition") -> None:
    """Poll ``check`` until true or fail with ``what``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.05)


async def start_replica(client: dict[str, Any], topics: Topics, **settings: Any) -> Replica:
    """One started service (writer + gateway) and an HTTP client on its app."""
    service = InterviewService(client, topics, InterviewSettings(create_topics=False, **settings))
    await service.start()
    transport = httpx.ASGITransport(app=create_app(service))
    return service, httpx.AsyncClient(
        transport=transport, base_url="http://interview", timeout=30, headers=service_headers()
    )


async def stop_replica(replica: Replica) -> None:
    """Stop a replica and its client."""
    await replica[1].aclose()
    await replica[0].stop()


@pytest.fixture
async def replica(kafka_client: dict[str, Any], topics: Topics) -> AsyncIterator[Replica]:
    """A single ready replica owning every partition."""
    started = await start_replica(kafka_client, topics)
    await wait_until(lambda: started[0].ready, what="replica ready")
    yield started
    await stop_replica(started)


class KafkaIntake:
    """Produces command records as any Kafka client would, and reads back committed results."""

    def __init__(self, client: dict[str, Any], topics: Topics) -> None:
        self.client, self.topics = client, topics
        self.producer = AIOKafkaProducer(acks="all", enable_idempotence=True, **client)

    async def send(
        self, command: CommandEnvelope | bytes, key: bytes | None = None, partition: int | None = None
    ) -> None:
        """Produce one command record (raw bytes allowed, for bad input)."""
        if isinstance(command, CommandEnvelope):
            key = command.interview_id.encode()
            command = command.model_dump_json().encode()
        await self.producer.send_and_wait(self.topics.commands, command, key=key, partition=partition)

    async def results(self, want: int, timeout: float = 30.0) -> dict[str, CommandResult]:
        """Committed results by command id, once at least ``want`` are there."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            records = await read_all(self.client, self.topics.command_results)
            found = {
                dict(r.headers)["command_id"].decode(): parse_result(r.value) for r in records if r.value
            }
            if len(found) >= want or loop.time() > deadline:
                return found
            await asyncio.sleep(0.2)


@pytest.fixture
async def intake(kafka_client: dict[str, Any], topics: Topics) -> AsyncIterator[KafkaIntake]:
    """A Kafka command producer for this test's topics."""
    made = KafkaIntake(kafka_client, topics)
    await made.producer.start()
    yield made
    await made.producer.stop()


async def events_of(client: dict[str, Any], topics: Topics, interview_id: str | None = None) -> list[Event]:
    """Committed events (read_committed), optionally of one interview, in log order."""
    events = [decode(r.value, r.headers, r.key) for r in await read_all(client, topics.interview_events)]
    return [e for e in events if interview_id is None or e.attributes.subject == interview_id]


def envelope(
    interview_id: str, version: int, actor: str, payload: dict[str, Any], **extra: Any
) -> CommandEnvelope:
    """A Kafka command envelope."""
    body = {
        "command_id": str(uuid.uuid4()),
        "interview_id": interview_id,
        "expected_version": version,
        "actor_id": actor,
        "correlation_id": f"corr-{interview_id}",
        "payload": payload,
        **extra,
    }
    return CommandEnvelope.model_validate(body)
