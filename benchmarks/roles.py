"""Benchmark: the verdict projector role alone against all decision roles in one process (ADR 0016).

``python -m benchmarks.roles [--interviews 600] [--rounds 2]`` runs, in turn and on fresh topics holding
the same records, ``decision serve`` (projection, candidacy projection and every read-model feed on one
event loop) and ``decision projector`` (the projection alone), each in this process through
``run_role``, and prints projected events/s from ready and CPU-seconds of the process per event.
"""

from __future__ import annotations

import asyncio
import os
import resource
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import typer

from benchmarks.broker import bench_broker
from schemas.topics import Topics
from services.decision.entrypoints.runtime import DecisionRuntime, ProjectorRuntime
from services.decision.entrypoints.service import build_role, run_role
from services.decision.entrypoints.settings import DecisionSettings, Role
from services.platform.broker import Broker
from services.platform.local_kafka import free_port
from services.platform.logging import configure_logging
from services.platform.settings import KafkaSettings
from services.platform.topics import ensure_topics
from testkit.auth import auth_env
from testkit.interviews import stream
from testkit.kafka import produce


def cpu_s() -> float:
    """CPU-seconds this process used so far (user + system)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def measure(kafka: KafkaSettings, role: Role, total: int) -> dict[str, float]:
    """Run ``role`` over ``total`` records already in ``interview.events``: events/s and CPU µs per event."""
    with tempfile.TemporaryDirectory(prefix="bench-roles-") as state:
        settings = DecisionSettings(port=free_port(), log_level="WARNING", state_dir=Path(state))
        settings = settings.model_copy(update={"kafka": kafka})
        runtime = build_role(settings, role)
        assert isinstance(runtime, ProjectorRuntime | DecisionRuntime)
        stop = asyncio.Event()
        task = asyncio.create_task(run_role(settings, role, stop, runtime))
        while not runtime.processor.ready:
            if task.done():
                await task  # it failed to start: raise its error
            await asyncio.sleep(0.01)
        started, used = time.perf_counter(), cpu_s()
        while sum(runtime.progress.positions.values()) < total:
            if task.done():
                await task
                raise RuntimeError(f"decision {role.value} stopped before it projected every record")
            await asyncio.sleep(0.02)
        seconds, cpu = time.perf_counter() - started, cpu_s() - used
        stop.set()
        await task
    return {"events_per_s": total / seconds, "cpu_us_per_event": cpu / total * 1e6}


async def bench(broker: Broker, interviews: int, rounds: int) -> list[dict[str, Any]]:
    """Alternate serve and projector ``rounds`` times, each on fresh topics with the same records."""
    os.environ.update(auth_env())  # serve refuses to start without AUTH_* (ADR 0009)
    client, events = broker.client(), stream(interviews, prefix="roles")
    rows = []
    for round_ in range(rounds):
        for role in (Role.SERVE, Role.PROJECTOR):
            topics = Topics(f"roles{uuid.uuid4().hex[:6]}.")  # no state, no output of another run
            await ensure_topics(client, topics, broker.settings.partitions)
            await produce(client, topics.interview_events, events)
            kafka = broker.settings.model_copy(update={"topic_prefix": topics.prefix})
            row = {"round": round_, "role": role.value, "events": len(events)}
            row |= await measure(kafka, role, len(events))
            rate, cpu = row["events_per_s"], row["cpu_us_per_event"]
            print(f"round {round_} {role.value:<9} {len(events)} events: {rate:7.0f} events/s, "
                  f"{cpu:5.0f} µs CPU per event", flush=True)  # fmt: skip
            rows.append(row)
    return rows


def main(
    interviews: int = typer.Option(600, help="Interviews (about 16 events each)."),
    rounds: int = typer.Option(2, help="Serve, then projector, this many times."),
) -> list[dict[str, Any]]:
    """Run the comparison once."""
    configure_logging("WARNING")
    with bench_broker() as broker:
        return asyncio.run(bench(broker, interviews, rounds))


if __name__ == "__main__":
    typer.run(main)
