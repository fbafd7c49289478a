"""kill -9 the verdict projector 3 times while 20,000 interview events stream through: exactly once.

The decision roles run as separate processes, as deployed (ADR 0016): the projector is killed while the
candidacy projector and the query service keep running.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiokafka import TopicPartition

from schemas import encode
from schemas.envelope import Event
from schemas.topics import Topics
from services.decision.domain.replay import project
from services.decision.entrypoints.settings import DecisionSettings
from services.platform.broker import Broker
from services.platform.log_reader import partitions_of, read_all, reader
from services.platform.serving import HTTP_DRAIN_S
from testkit.interviews import stream
from tests.decision_support import all_consumed, by_key, env_for, free_port, produce, wait_for_records

pytestmark = [pytest.mark.kafka, pytest.mark.slow, pytest.mark.timeout(300)]

EVENTS = 20_000
KILLS = 3


ROLES = ("projector", "candidacy", "query")


def spawn(env: dict[str, str], log: Path, role: str = "serve") -> subprocess.Popen[bytes]:
    """``python -m services.decision <role>`` with its output appended to ``log``."""
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "services.decision", role],
            env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip


@dataclass
class Roles:
    """Decision role processes, each with its own port and log; every process started is kept (to reap)."""

    env: dict[str, str]
    logs: Path
    procs: dict[str, list[subprocess.Popen[bytes]]] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)
    extra: dict[str, dict[str, str]] = field(default_factory=dict)

    def start(self, name: str, **extra: str) -> subprocess.Popen[bytes]:
        """Start (or restart: same port, log and ``extra`` env) the process ``name`` (``projector-2`` runs
        the projector role)."""
        port = self.ports.setdefault(name, free_port())
        env = self.env | {"DECISION_PORT": str(port)} | self.extra.setdefault(name, extra)
        self.procs.setdefault(name, []).append(spawn(env, self.log(name), self.role_of(name)))
        return self.procs[name][-1]

    def kill(self, name: str) -> None:
        """kill -9 the running process ``name`` and reap it."""
        os.kill(self.procs[name][-1].pid, signal.SIGKILL)
        self.procs[name][-1].wait(timeout=10)

    def log(self, name: str) -> Path:
        """The log of every process ``name`` ran as."""
        return self.logs / f"decision-{name}.log"

    def base(self, name: str) -> str:
        """HTTP base URL of ``name``."""
        return f"http://127.0.0.1:{self.ports[name]}"

    def role_of(self, name: str) -> str:
        """The role process ``name`` runs (``projector-2`` runs ``projector``)."""
        return name.split("-")[0]

    def all(self) -> list[subprocess.Popen[bytes]]:
        """Every process started."""
        return [p for procs in self.procs.values() for p in procs]

    def stop(self) -> None:
        """SIGTERM every running process: each must take the graceful path (``stop_gracefully``)."""
        for name, procs in self.procs.items():
            stop_gracefully(procs[-1], self.log(name))


def start_roles(env: dict[str, str], logs: Path) -> Roles:
    """The three roles as separate processes."""
    roles = Roles(env, logs)
    for role in ROLES:
        roles.start(role)
    return roles


def events() -> list[Event]:
    many = stream(EVENTS // 15, prefix="crash")
    assert len(many) >= EVENTS
    return many[:EVENTS]


async def feed(client: dict[str, Any], topic: str, items: list[Event], chunk: int = 500) -> None:
    """Stream the events at a pace that keeps the service busy across the kills."""
    for start in range(0, len(items), chunk):
        await produce(client, topic, items[start : start + chunk])
        await asyncio.sleep(0.4)


async def output_end(consumer: Any, tps: list[TopicPartition]) -> int:
    return sum((await consumer.end_offsets(tps)).values())


async def kill_while_busy(
    roles: Roles, client: dict[str, Any], topic: str, name: str = "projector", kills: int = KILLS
) -> None:
    """Kill -9 ``name`` each time ``topic`` grew since its start, then start a new one."""
    rng = random.Random(4)
    consumer = reader(client)
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in await partitions_of(client, topic)]
        for _ in range(kills):
            before = await output_end(consumer, tps)
            while await output_end(consumer, tps) <= before:  # noqa: ASYNC110 - polling the broker
                await asyncio.sleep(0.2)
            await asyncio.sleep(rng.uniform(1.0, 3.0))  # mid-batch, with a backlog
            roles.kill(name)
            roles.start(name)
    finally:
        await consumer.stop()


async def test_exactly_once_across_kill_9(
    kafka: Broker, kafka_client: dict[str, Any], topics: Topics, tmp_path: Path
) -> None:
    items = events()
    expected = project(items)
    env = env_for(kafka, topics, 0) | {"DECISION_STATE_DIR": str(tmp_path / "state")}
    roles = start_roles(env, tmp_path)
    try:
        feeding = asyncio.create_task(feed(kafka_client, topics.interview_events, items))
        await kill_while_busy(roles, kafka_client, topics.decision_events)
        await feeding
        await wait_for_records(kafka_client, topics.decision_events, len(expected), timeout=150)
        group = f"{topics.prefix}{DecisionSettings().group_id}"  # the projector's group (the default)
        assert await all_consumed(kafka_client, group, topics.interview_events), "input not all committed"
        records = await read_all(kafka_client, topics.decision_events)  # final: nothing more may arrive
        roles.stop()
    finally:
        kill_leftovers(roles.all())
    assert [p.returncode for p in roles.procs["projector"]] == [-signal.SIGKILL] * KILLS + [0]
    assert_exactly_once(records, expected)


def assert_exactly_once(records: list[Any], expected: list[Event]) -> None:
    """``records`` (of decision.events) are the expected revisions, byte for byte, each once, in order."""
    want: dict[str, list[tuple[bytes, list[tuple[str, bytes]]]]] = {}
    for event in expected:
        record = encode(event)
        want.setdefault(event.attributes.subject, []).append((record.value, record.headers))
    got = {k: [(r.value, list(r.headers)) for r in v] for k, v in by_key(records).items()}
    assert len(records) == len(expected), f"{len(records)} revisions, {len(expected)} expected"
    assert got.keys() == want.keys()
    for interview, revisions in want.items():
        assert got[interview] == revisions, interview


def kill_leftovers(procs: list[subprocess.Popen[bytes]]) -> None:
    """Kill (by pid) and reap every process of the test still running (after a failure)."""
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


def stop_gracefully(proc: subprocess.Popen[bytes], log: Path) -> None:
    """SIGTERM takes the shutdown path: stop serving, drain within the grace period, exit 0.

    The promise (exit within 10 s) is the grace setting plus the HTTP drain; what is asserted is that
    the path ran to its end with nothing left over, not how fast a loaded machine got there.
    """
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=120) == 0
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    last_start = max(i for i, line in enumerate(lines) if line.get("event") == "service started")
    events = [line["event"] for line in lines[last_start:]]
    path = ["service stopping", "decision service drained", "service stopped"]
    assert [e for e in events if e in path] == path, events[-20:]
    drained = next(line for line in lines[last_start:] if line["event"] == "decision service drained")
    assert drained["late"] == []  # the open batch ended within the grace: nothing was cancelled
    stopped = next(line for line in lines[last_start:] if line["event"] == "service stopped")
    assert stopped["failed"] is False
    assert DecisionSettings().shutdown_grace_s + HTTP_DRAIN_S < 10
