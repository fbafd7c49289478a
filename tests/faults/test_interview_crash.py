"""kill -9 the interview service process while 5,000 commands stream in, restart, three times.

The shape of Kafka's own ``transactions_test``: afterwards a read_committed consumer must see every
accepted command's events exactly once, in per-interview order with no gap and a valid hash chain,
and exactly one result for every command.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer, TopicPartition

from schemas.chain import GENESIS_HASH
from schemas.codec import decode
from schemas.commands import CommandAccepted
from schemas.topics import Topics
from services.interview.adapters.wire import parse_result
from services.platform.broker import Broker
from services.platform.log_reader import partitions_of, read_all, reader
from tests.faults.interview_workload import Workload, build

pytestmark = [pytest.mark.slow, pytest.mark.kafka, pytest.mark.timeout(240)]
ROOT = Path(__file__).resolve().parents[2]
KILLS, RATE = 3, 150  # commands per second while streaming: ~33 s, longer than 3 restarts


class ServiceProcess:
    """``python -m services.interview`` as a child process, stopped by its pid."""

    def __init__(self, kafka: Broker, topics: Topics, log: Path) -> None:
        self.env = {
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": kafka.settings.bootstrap_servers or "",
            "KAFKA_TOPIC_PREFIX": topics.prefix,
            "INTERVIEW_HTTP": "false",
            "INTERVIEW_CREATE_TOPICS": "false",
            "INTERVIEW_LOG_LEVEL": "WARNING",
        }
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "services.interview"], cwd=ROOT, env=self.env, stdout=out, stderr=out
            )

    def kill(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def terminate(self, grace: float) -> tuple[int | None, float]:
        """SIGTERM; (exit code or None if still running after ``grace``, seconds taken)."""
        assert self.proc is not None
        began = time.monotonic()
        os.kill(self.proc.pid, signal.SIGTERM)
        try:
            return self.proc.wait(grace), time.monotonic() - began
        except subprocess.TimeoutExpired:
            return None, time.monotonic() - began

    def ensure_stopped(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)


async def _stream(client: dict[str, Any], topics: Topics, load: Workload) -> None:
    producer = AIOKafkaProducer(acks="all", enable_idempotence=True, linger_ms=5, **client)
    await producer.start()
    try:
        for i, command in enumerate(load.commands):
            value = command.model_dump_json().encode()
            await producer.send(topics.commands, value, key=command.interview_id.encode())
            if i % 25 == 24:
                await asyncio.sleep(25 / RATE)
        await producer.flush()
    finally:
        await producer.stop()


class ResultCounter:
    """Follows the results topic (read_committed) to see progress."""

    def __init__(self) -> None:
        self.seen = 0
        self._changed = asyncio.Condition()

    async def reach(self, want: int) -> None:
        """Return once ``want`` results have been seen."""
        async with self._changed:
            await self._changed.wait_for(lambda: self.seen >= want)

    async def follow(self, client: dict[str, Any], topic: str) -> None:
        consumer = reader(client)
        await consumer.start()
        try:
            consumer.assign([TopicPartition(topic, p) for p in await partitions_of(client, topic)])
            while True:
                batch = await consumer.getmany(timeout_ms=200)
                async with self._changed:
                    self.seen += sum(len(records) for records in batch.values())
                    self._changed.notify_all()
        finally:
            await consumer.stop()


async def _kill_while_busy(service: ServiceProcess, counter: ResultCounter, rng: random.Random) -> list[int]:
    """Kill -9 once results are flowing, restart; three times. Returns the results seen at each kill."""
    at = []
    for _ in range(KILLS):
        await counter.reach(counter.seen + 50)  # the (re)started writer is processing
        await asyncio.sleep(rng.uniform(0.1, 1.5))
        at.append(counter.seen)
        service.kill()
        service.start()
    return at


async def test_kill_9_three_times_while_commands_stream_in(
    kafka: Broker, topics: Topics, tmp_path: Path
) -> None:
    client, load, counter = kafka.client(), build(), ResultCounter()
    assert len(load.commands) == 5000
    service = ServiceProcess(kafka, topics, tmp_path / "service.log")
    follower = asyncio.create_task(counter.follow(client, topics.command_results))
    try:
        service.start()
        streaming = asyncio.create_task(_stream(client, topics, load))
        killed_at = await _kill_while_busy(service, counter, random.Random(7))
        await streaming
        with contextlib.suppress(TimeoutError):  # a shortfall is reported by _verify
            await asyncio.wait_for(counter.reach(len(load.commands)), 120)
        code, took = service.terminate(grace=10)
    finally:
        follower.cancel()
        service.ensure_stopped()
    await _verify(client, topics, load)
    assert killed_at[-1] < len(load.commands), f"kills at {killed_at} came after the work was done"
    assert (code, took < 10) == (0, True), f"SIGTERM: exit {code} after {took:.1f}s"


async def _verify(client: dict[str, Any], topics: Topics, load: Workload) -> None:
    results = [parse_result(r.value) for r in await read_all(client, topics.command_results) if r.value]
    per_command = Counter(r.command_id for r in results)
    assert set(per_command) == {c.command_id for c in load.commands}
    assert set(per_command.values()) == {1}, "a command got more than one result"
    by_id = {r.command_id: r for r in results}
    stale = [by_id[c] for c in load.stale]
    assert {(r.status, getattr(r, "code", None)) for r in stale} == {("rejected", "version_conflict")}
    for retry, original in load.retries.items():
        replay, first = by_id[retry], by_id[original]
        assert isinstance(replay, CommandAccepted)
        assert isinstance(first, CommandAccepted)
        assert (replay.replay_of, replay.event_ids) == (original, first.event_ids)
    events = [decode(r.value, r.headers, r.key) for r in await read_all(client, topics.interview_events)]
    assert len({e.attributes.id for e in events}) == len(events)
    for iid, command_ids in load.valid.items():
        mine = [e for e in events if e.attributes.subject == iid]
        assert [e.attributes.sequence for e in mine] == list(range(1, len(command_ids) + 1)), iid
        assert [e.attributes.causationid for e in mine] == command_ids, iid
        hashes = [GENESIS_HASH, *(e.chain_hash for e in mine[:-1])]
        assert [e.attributes.prevhash for e in mine] == hashes, iid
        assert [by_id[c].event_ids for c in command_ids] == [(e.attributes.id,) for e in mine]  # type: ignore[union-attr]
