"""kill -9 the *broker* (twice) while the decision service projects: still exactly once, in order.

The Kafka ``transactions_test`` shape, on our own broker (not the session one, which other tests
share): hard-kill it mid-stream, restart it on the same data directory and port, and compare what a
read_committed consumer sees with the pure projection of the same history.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from schemas import encode
from schemas.envelope import Event
from schemas.topics import Topics
from services.decision.domain.replay import project
from services.platform import local_kafka
from services.platform.log_reader import read_all
from services.platform.topics import ensure_topics
from testkit.interviews import stream
from tests.decision_support import by_key, free_port, produce

pytestmark = [pytest.mark.kafka, pytest.mark.slow, pytest.mark.timeout(420)]

EVENTS = 6_000
BROKER_KILLS = 2


class RestartableBroker:
    """A broker only this test uses; ``restart`` brings it back on the same data dir and port."""

    def __init__(self, data_dir: Path) -> None:
        self.started = [local_kafka.start_broker(data_dir)]
        local_kafka.wait_ready(self.current)

    @property
    def current(self) -> local_kafka.BrokerInfo:
        return self.started[-1]

    def kill(self) -> None:
        local_kafka.kill_broker(self.current)

    def restart(self) -> None:
        again = local_kafka.start_broker(Path(self.current.data_dir))
        self.started.append(again)
        assert again.bootstrap_servers == self.started[0].bootstrap_servers
        local_kafka.wait_ready(again, timeout=120)


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[RestartableBroker]:
    """Stopped by pid at the end, whichever incarnation is running."""
    broker = RestartableBroker(tmp_path / "kafka")
    try:
        yield broker
    finally:
        for info in broker.started:
            local_kafka.stop_broker(info)


async def _count(client: dict[str, Any], topic: str) -> int:
    try:
        return len(await asyncio.wait_for(read_all(client, topic), 20))
    except Exception:
        return -1


async def _wait_for_count(client: dict[str, Any], topic: str, want: int, timeout: float) -> int:
    deadline = asyncio.get_running_loop().time() + timeout
    seen = -1
    while asyncio.get_running_loop().time() < deadline:
        seen = await _count(client, topic)
        if seen >= want:
            return seen
        await asyncio.sleep(1)
    return seen


def _expected(items: list[Event]) -> dict[str, list[tuple[bytes, list[tuple[str, bytes]]]]]:
    want: dict[str, list[tuple[bytes, list[tuple[str, bytes]]]]] = {}
    for event in project(items):
        record = encode(event)
        want.setdefault(event.attributes.subject, []).append((record.value, record.headers))
    return want


def _duplicates(records: list[Any]) -> str:
    seen: dict[tuple[bytes, bytes], list[str]] = {}
    for r in records:
        rid = dict(r.headers)["ce_id"]
        seen.setdefault((r.key, rid), []).append(f"p{r.partition}@{r.offset}")
    twice = {k: v for k, v in seen.items() if len(v) > 1}
    sample = sorted(twice.items(), key=lambda kv: kv[1])[:8]
    return f"{len(twice)} ids published more than once, e.g. {sample}"


def _spawn(env: dict[str, str], log: Path, role: str) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "services.decision", role],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


async def test_broker_kill_9_twice_keeps_decisions_exactly_once(
    own_broker: RestartableBroker, tmp_path: Path
) -> None:
    client = {"bootstrap_servers": own_broker.current.bootstrap_servers}
    topics = Topics("bk.")
    await ensure_topics(client, topics, partitions=3)
    items = stream(EVENTS // 15, prefix="bk")[:EVENTS]
    await produce(client, topics.interview_events, items)
    want = _expected(items)
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": own_broker.current.bootstrap_servers,
        "KAFKA_TOPIC_PREFIX": topics.prefix,
        "DECISION_MAX_RECORDS": "100",
        "DECISION_STATE_DIR": str(tmp_path / "state"),
    }
    roles = {  # each role its own process (ADR 0016), all through both broker kills
        role: _spawn(env | {"DECISION_PORT": str(free_port())}, tmp_path / f"decision-{role}.log", role)
        for role in ("projector", "candidacy", "query")
    }
    rng = random.Random(7)
    try:
        for kill in range(BROKER_KILLS):
            progress = await _wait_for_count(client, topics.decision_events, (kill + 1) * 300, timeout=120)
            assert progress >= (kill + 1) * 300, f"no progress before kill {kill + 1}: {progress}"
            await asyncio.sleep(rng.uniform(0.2, 1.0))
            own_broker.kill()
            await asyncio.sleep(rng.uniform(1.0, 3.0))
            await asyncio.to_thread(own_broker.restart)
        total = sum(len(v) for v in want.values())
        await _wait_for_count(client, topics.decision_events, total, timeout=240)
        await asyncio.sleep(2)  # nothing more may arrive
        records = await read_all(client, topics.decision_events)
        for role, service in roles.items():
            assert service.poll() is None, f"the decision {role} died with the broker"
            service.send_signal(signal.SIGTERM)
        assert {role: service.wait(timeout=15) for role, service in roles.items()} == dict.fromkeys(roles, 0)
    finally:
        for service in roles.values():
            if service.poll() is None:
                service.kill()
                service.wait(timeout=10)
    got = {k: [(r.value, list(r.headers)) for r in v] for k, v in by_key(records).items()}
    assert len(records) == total, f"{len(records)} revisions, {total} expected; {_duplicates(records)}"
    assert got.keys() == want.keys()
    for interview, revisions in want.items():
        assert got[interview] == revisions, interview
