"""Several processes of one role in one consumer group, measured together (issue 18 item 7).

``measure_group`` starts ``count`` copies of one ``Consumer`` (each its own port and state directory),
samples every process's ``/proc/<pid>`` (``benchmarks.consumers``), and takes two moments: every
member has joined and the group is Stable ("all assigned"), and the group has committed its whole
topic ("all committed"). Events/s count the input events the group had not committed yet when all were
assigned; CPU is the sum over the processes between the two moments; peak RSS is per process.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from aiokafka.errors import KafkaError

from benchmarks import written
from benchmarks.consumers import Consumer, Group, Probe, cpu_seconds, peak_rss_mb, spawn, stop
from services.platform.local_kafka import free_port


async def members(probe: Probe, group: str) -> int:
    """Members of ``group`` when it is Stable, else 0."""
    try:
        described = await probe.admin.describe_consumer_groups([group])
    except KafkaError:  # no coordinator yet
        return 0
    stable = [g for response in described for g in response.groups if g[2] == "Stable"]
    return len(stable[0][5]) if stable else 0


async def committed_share(probe: Probe, g: Group) -> float:
    """The share of ``g``'s topic its group has committed (0 before any commit)."""
    parts = await written.partitions(probe.admin, [g.topic])
    ends = await probe.reader.end_offsets(parts)
    try:
        offsets = await probe.admin.list_consumer_group_offsets(g.group, partitions=parts)
    except KafkaError:
        return 0.0
    done = sum(max(meta.offset, 0) for meta in offsets.values())
    total = sum(ends.values())
    return done / total if total else 0.0


def summarize(
    count: int, events: int, seconds: float, share_before: float, cpu: Sequence[float], rss: Sequence[float]
) -> dict[str, Any]:
    """One configuration's figures: events/s and CPU per event over the events left when all were assigned."""
    window = events * (1 - share_before)
    return {
        "processes": count,
        "events": events,
        "events_in_window": round(window),
        "seconds_from_assigned": seconds,
        "events_per_s": window / seconds if seconds > 0 else None,
        "cpu_s": sum(cpu),
        "cpu_us_per_event": sum(cpu) / window * 1e6 if window > 0 else None,
        "peak_rss_mb": list(rss),
    }


def cpu_ratios(rows: Sequence[Mapping[str, Any]]) -> list[float | None]:
    """Each row's CPU per event against the first row's (the one-process run of the same role)."""
    base = rows[0]["cpu_us_per_event"] if rows else None
    return [r["cpu_us_per_event"] / base if base and r["cpu_us_per_event"] else None for r in rows]


async def measure_group(
    consumer: Consumer, count: int, client: dict[str, Any], events: int, work: Path, timeout: float = 1800
) -> dict[str, Any]:
    """``count`` processes of ``consumer`` in its first group until that group has committed its topic."""
    g = consumer.groups[0]
    copies = [replace(consumer, env={**consumer.env, "DECISION_PORT": str(free_port()),
                                     "DECISION_STATE_DIR": str(work / f"{consumer.name}-{n}")})
              for n in range(count)]  # fmt: skip
    async with Probe(client) as probe:
        procs = [spawn(c, work / f"{c.name}-{n}.log") for n, c in enumerate(copies)]
        began, assigned = time.monotonic(), None
        try:
            while True:
                if dead := [p for p in procs if p.poll() is not None]:
                    raise RuntimeError(f"{consumer.name} exited with {dead[0].returncode}; see {work}")
                if time.monotonic() - began > timeout:
                    raise TimeoutError(f"{consumer.name} x{count} not done after {timeout:.0f}s")
                now, cpu = time.monotonic(), [cpu_seconds(p.pid) for p in procs]
                if assigned is None and await members(probe, g.group) >= count:
                    assigned = (now, cpu, await committed_share(probe, g))
                if await probe.done(g):
                    assigned = assigned or (now, cpu, 1.0)
                    break
                await asyncio.sleep(0.05)
            end = time.monotonic()
            used = [cpu_seconds(p.pid) - before for p, before in zip(procs, assigned[1], strict=True)]
            rss = [peak_rss_mb(p.pid) for p in procs]
        finally:
            await asyncio.gather(*(asyncio.to_thread(stop, p) for p in procs))
    return summarize(count, events, end - assigned[0], assigned[2], used, rss)
