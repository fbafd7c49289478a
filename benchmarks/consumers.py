"""Run one consumer of a topic as a process of its own and measure it: time, CPU, peak memory, writes.

A consumer is a command line and its environment, plus the consumer groups whose committed offsets
say it has finished (``Consumer``). ``measure`` starts it, samples ``/proc/<pid>`` every 50 ms, and
takes three moments: the start of the process, the moment its first group is Stable (it has its
partitions: "assigned"), and the moment every listed group has committed the whole of its topic
("done"). Then it stops the process (SIGTERM, by pid) and reads back what it wrote
(``benchmarks.written``). CPU is the process's user + system time from ``/proc/<pid>/stat``; peak
memory is its ``VmHWM``. Any command (another role, another peer) is one more ``Consumer``.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from benchmarks import written

TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Group:
    """A consumer group of the process and the topic it must have committed to its end."""

    group: str
    topic: str
    transactional: bool = False
    """The topic is written in transactions: its end lies one marker past the last record."""


@dataclass(frozen=True)
class Consumer:
    """One row of the benchmark: a command line, its environment and when it has finished."""

    name: str
    argv: Sequence[str]
    groups: Sequence[Group]
    env: Mapping[str, str] = field(default_factory=dict)
    note: str = ""
    decisions: tuple[str, Callable[[bytes], tuple[str, str, str]]] | None = None
    """The topic it publishes decisions to and how to read one record's decisions (compared)."""


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime: fields 14 and 15 of stat


def peak_rss_mb(pid: int) -> float:
    """Peak resident memory of a process so far (``VmHWM``), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def caught_up(committed: Mapping[int, int], ends: Mapping[int, int], transactional: bool) -> bool:
    """Every partition's committed offset at its end (at most one transaction marker short)."""
    slack = 1 if transactional else 0
    return all(committed.get(p, 0) >= end - slack for p, end in ends.items())


class Probe:
    """The broker-side view of a run: group states, committed offsets, topic ends."""

    def __init__(self, client: dict[str, Any]) -> None:
        self.admin = AIOKafkaAdminClient(**client)
        self.reader = AIOKafkaConsumer(isolation_level="read_committed", **client)

    async def __aenter__(self) -> Probe:
        await self.admin.start()
        await self.reader.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.reader.stop()
        await self.admin.close()

    async def stable(self, group: str) -> bool:
        """The group has members and has settled its assignment."""
        try:
            described = await self.admin.describe_consumer_groups([group])
        except KafkaError:  # e.g. no coordinator yet on a fresh broker
            return False
        return any(g[2] == "Stable" for response in described for g in response.groups)

    async def done(self, g: Group) -> bool:
        """``g`` has committed its whole topic (last stable offsets)."""
        parts = await written.partitions(self.admin, [g.topic])
        if not parts:
            return False
        ends = {tp.partition: end for tp, end in (await self.reader.end_offsets(parts)).items()}
        try:
            offsets = await self.admin.list_consumer_group_offsets(g.group, partitions=parts)
        except KafkaError:
            return False
        committed = {tp.partition: meta.offset for tp, meta in offsets.items() if meta.offset >= 0}
        return caught_up(committed, ends, g.transactional)


async def measure(
    consumer: Consumer, client: dict[str, Any], events: int, log: Path, timeout: float = 1800
) -> dict[str, Any]:
    """Start ``consumer``, wait until it is done, stop it; its figures for ``events`` input events."""
    before = await written.snapshot(client)
    async with Probe(client) as probe:
        proc = spawn(consumer, log)
        started = time.monotonic()
        assigned: tuple[float, float] | None = None
        try:
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"{consumer.name} exited with {proc.returncode}; see {log}")
                if time.monotonic() - started > timeout:
                    raise TimeoutError(f"{consumer.name} not done after {timeout:.0f}s; see {log}")
                now, cpu = time.monotonic(), cpu_seconds(proc.pid)
                if assigned is None and await probe.stable(consumer.groups[0].group):
                    assigned = (now, cpu)
                if all([await probe.done(g) for g in consumer.groups]):
                    assigned = assigned or (now, cpu)  # done before its group was seen Stable
                    break
                await asyncio.sleep(0.05)
            done, cpu_done, peak = time.monotonic(), cpu_seconds(proc.pid), peak_rss_mb(proc.pid)
        finally:
            await asyncio.to_thread(stop, proc)
    after = await written.snapshot(client)
    return {
        "consumer": consumer.name,
        "note": consumer.note,
        "events": events,
        "seconds_from_start": done - started,
        "seconds_to_assigned": assigned[0] - started,
        "seconds_from_assigned": done - assigned[0],
        "events_per_s": events / (done - assigned[0]),
        "events_per_s_from_start": events / (done - started),
        "cpu_s": cpu_done - assigned[1],
        "cpu_s_with_start": cpu_done,
        "cpu_us_per_event": (cpu_done - assigned[1]) / events * 1e6,
        "peak_rss_mb": peak,
        "_offsets": (before, after),
    }


def spawn(consumer: Consumer, log: Path) -> subprocess.Popen[bytes]:
    """Start the consumer's command, its output appended to ``log``."""
    with log.open("ab") as out:
        env = {**os.environ, **consumer.env}
        return subprocess.Popen(list(consumer.argv), env=env, stdout=out, stderr=subprocess.STDOUT)


def stop(proc: subprocess.Popen[bytes], timeout: float = 60) -> int:
    """SIGTERM, then SIGKILL if the process has not exited after ``timeout``; its exit code."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            return proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
    return proc.wait(timeout=10)
