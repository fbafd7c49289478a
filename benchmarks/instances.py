"""One against two instances of each service, over the same records.

    .venv/bin/python -m benchmarks.instances [--events 40000] [--commands 10000]

Decision service: the same interview events are produced to two fresh topic sets; one
``services.decision serve`` process projects the first, two processes in one consumer group the
second; timed from the start of the processes until every event is projected (the processes'
``decision_events_projected_total``), and from the first projected event. Interview writer (Kafka
intake, no HTTP): the same commands preloaded to two topic sets; one writer process, then two in one
group; timed from the first to the last committed result. Each process has its own state directory
and all of them are stopped by pid. The machine has two cores, shared with the broker: two
processes can at most add the second core.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from benchmarks.broker import bench_broker
from benchmarks.interview import follow_results, preload, start_writer, stop_writers, workload
from schemas.topics import Topics
from services.platform.local_kafka import free_port
from services.platform.topics import ensure_topics
from testkit.history import fill_history
from testkit.processes import Child

PARTITIONS = 6


def decision_children(bootstrap: str, prefix: str, count: int, work: Path) -> list[Child]:
    """``count`` decision processes in one group, each with its own port and state directory."""
    kids = []
    for n in range(count):
        port = free_port()
        env = {
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "KAFKA_TOPIC_PREFIX": prefix,
            "KAFKA_PARTITIONS": str(PARTITIONS),
            "DECISION_PORT": str(port),
            "DECISION_STATE_DIR": str(work / f"decision-{n}"),
            "DECISION_LOG_LEVEL": "WARNING",
        }
        kids.append(Child("decision", port, env, work / f"decision-{n}.log"))
    return kids


def _projected(kids: list[Child]) -> float:
    total = 0.0
    for child in kids:
        with contextlib.suppress(httpx.HTTPError):  # not serving yet
            total += child.metric("decision_events_projected_total")
    return total


def time_decision(kids: list[Child], events: int, timeout: float = 900) -> dict[str, Any]:
    """Start ``kids``; seconds until ``events`` are projected, from start and from the first one."""
    began = time.monotonic()
    for child in kids:
        child.start()
    first = 0.0
    try:
        while (done := _projected(kids)) < events:
            if done and not first:
                first = time.monotonic()
            if time.monotonic() - began > timeout:
                raise TimeoutError(f"{done:.0f} of {events} projected after {timeout:.0f}s")
            for child in kids:
                if child.proc is not None and child.proc.poll() is not None:
                    raise RuntimeError(f"decision exited with {child.proc.returncode}; see {child.log}")
            time.sleep(0.1)
        end = time.monotonic()
        rss = [child.rss_mb() for child in kids]
    finally:
        for child in kids:
            if child.proc is not None:
                child.stop(timeout=30)
    first = first or end
    return {
        "instances": len(kids),
        "seconds_from_start": end - began,
        "events_per_s_from_start": events / (end - began),
        "events_per_s_from_first": events / (end - first) if end > first else None,
        "rss_mb": rss,
    }


async def decision(bootstrap: str, client: dict[str, Any], events: int, work: Path) -> dict[str, Any]:
    """1 and 2 decision processes over the same events (same seed, two topic sets)."""
    rows = []
    for count in (1, 2):
        topics = Topics(f"bench{uuid.uuid4().hex[:8]}.")
        await ensure_topics(client, topics, PARTITIONS)
        produced = await fill_history(client, topics.interview_events, events, prefix="inst")
        kids = decision_children(bootstrap, topics.prefix, count, work / topics.prefix)
        (work / topics.prefix).mkdir(parents=True, exist_ok=True)
        row = await asyncio.to_thread(time_decision, kids, produced)
        row["events"] = produced
        print(json.dumps({"decision": row}), flush=True)
        rows.append(row)
    ratio = rows[1]["events_per_s_from_start"] / rows[0]["events_per_s_from_start"]
    return {"one": rows[0], "two": rows[1], "ratio_two_to_one": ratio}


async def interview(bootstrap: str, client: dict[str, Any], commands: int, interviews: int) -> dict[str, Any]:
    """1 and 2 writer processes (Kafka intake) over the same commands (two topic sets)."""
    rows = []
    for count in (1, 2):
        topics = Topics(f"bench{uuid.uuid4().hex[:8]}.")
        await ensure_topics(client, topics, PARTITIONS)
        work = workload(commands, interviews)
        await preload(client, topics, work)
        with tempfile.TemporaryDirectory(prefix="bench-writers-") as state:
            began = time.monotonic()
            writers = [start_writer(bootstrap, topics, 500, Path(state) / str(n)) for n in range(count)]
            try:
                first, last = await follow_results(client, topics, len(work))
            finally:
                stop_writers(writers)
        row = {
            "instances": count,
            "commands": len(work),
            "commands_per_s": (len(work) - 1) / (last - first),
            "commands_per_s_from_start": len(work) / (last - began),
        }
        print(json.dumps({"interview": row}), flush=True)
        rows.append(row)
    ratio = rows[1]["commands_per_s"] / rows[0]["commands_per_s"]
    return {"one": rows[0], "two": rows[1], "ratio_two_to_one": ratio}


def run(events: int = 40_000, commands: int = 10_000, interviews: int = 120) -> dict[str, Any]:
    """Both comparisons on one broker (KAFKA_BOOTSTRAP_SERVERS or the local one)."""
    with bench_broker() as broker, tempfile.TemporaryDirectory(prefix="bench-instances-") as work:
        bootstrap, client = str(broker.settings.bootstrap_servers), broker.client()

        async def both() -> dict[str, Any]:
            return {
                "partitions": PARTITIONS,
                "decision": await decision(bootstrap, client, events, Path(work)),
                "interview": await interview(bootstrap, client, commands, interviews),
            }

        return asyncio.run(both())


def markdown(figures: dict[str, Any]) -> str:
    """One row per service: one instance, two instances, the ratio."""
    d, i = figures["decision"], figures["interview"]
    one, two = d["one"]["events_per_s_from_start"], d["two"]["events_per_s_from_start"]
    w_one, w_two = i["one"]["commands_per_s"], i["two"]["commands_per_s"]
    return (
        "| service | one instance | two instances (one group) | two / one |\n|---|---|---|---|\n"
        f"| decision, {d['one']['events']:,} events (from process start) | {one:,.0f} events/s "
        f"| {two:,.0f} events/s | {d['ratio_two_to_one']:.2f} |\n"
        f"| interview writer over Kafka, {i['one']['commands']:,} commands | {w_one:,.0f} commands/s "
        f"| {w_two:,.0f} commands/s | {i['ratio_two_to_one']:.2f} |\n"
    )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Entry point: print the table, return the figures."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=40_000)
    parser.add_argument("--commands", type=int, default=10_000)
    parser.add_argument("--interviews", type=int, default=120)
    args = parser.parse_args(argv)
    figures = run(args.events, args.commands, args.interviews)
    print(markdown(figures))
    return figures


if __name__ == "__main__":
    main()
