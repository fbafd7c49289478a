"""Benchmark: the verdict projector with a policy in shadow against the same projector without (ADR 0024).

``python -m benchmarks.shadow [--interviews 600] [--rounds 2]`` (or ``python -m benchmarks --only
shadow``) runs the verdict projector role in this process through ``run_role``, alternately without a
shadow and with ``DECISION_SHADOW_POLICY=v2``, each on fresh topics holding the same records (v1
interviews, every one shadowed), and prints projected events/s from ready, CPU-seconds of the process
per event and the records and bytes written to ``decision.shadow`` per input event. Then the pure
per-event cost without Kafka: ``revisions.step`` alone against ``step`` followed by ``shadow_revise``.
"""

from __future__ import annotations

import asyncio
import gc
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import typer

from benchmarks.broker import bench_broker
from benchmarks.roles import cpu_s
from schemas.envelope import Event
from schemas.topics import Topics
from services.decision.domain.policy import Policies, policy_for
from services.decision.domain.replay import subject_of
from services.decision.domain.revisions import InterviewState, step
from services.decision.domain.shadow import NOT_SHADOWED, Shadowed, shadow_revise
from services.decision.entrypoints.runtime import ProjectorRuntime
from services.decision.entrypoints.service import build_role, run_role
from services.decision.entrypoints.settings import DecisionSettings, Role
from services.platform.broker import Broker
from services.platform.local_kafka import free_port
from services.platform.log_reader import read_all
from services.platform.logging import configure_logging
from services.platform.memory import young_gc_threshold
from services.platform.settings import KafkaSettings
from services.platform.topics import ensure_topics
from testkit.interviews import stream
from testkit.kafka import produce


async def measure(kafka: KafkaSettings, shadow: str | None, total: int) -> dict[str, float]:
    """The projector over ``total`` records already in ``interview.events``: events/s, CPU µs per event."""
    with tempfile.TemporaryDirectory(prefix="bench-shadow-") as state:
        settings = DecisionSettings(port=free_port(), log_level="WARNING", state_dir=Path(state),
                                    shadow_policy=shadow)  # fmt: skip
        settings = settings.model_copy(update={"kafka": kafka})
        runtime = build_role(settings, Role.PROJECTOR)
        assert isinstance(runtime, ProjectorRuntime)
        stop = asyncio.Event()
        task = asyncio.create_task(run_role(settings, Role.PROJECTOR, stop, runtime))
        while not runtime.processor.ready:
            if task.done():
                await task
            await asyncio.sleep(0.01)
        started, used = time.perf_counter(), cpu_s()
        while sum(runtime.progress.positions.values()) < total:
            if task.done():
                await task
                raise RuntimeError("the projector stopped before it projected every record")
            await asyncio.sleep(0.02)
        seconds, cpu = time.perf_counter() - started, cpu_s() - used
        stop.set()
        await task
    return {"events_per_s": total / seconds, "cpu_us_per_event": cpu / total * 1e6}


async def bench(broker: Broker, interviews: int, rounds: int) -> list[dict[str, Any]]:
    """Alternate shadow off and on ``rounds`` times, each on fresh topics with the same records."""
    client, events = broker.client(), stream(interviews, prefix="shadow")
    rows = []
    for round_ in range(rounds):
        for shadow in (None, "v2"):
            topics = Topics(f"shadow{uuid.uuid4().hex[:6]}.")
            await ensure_topics(client, topics, broker.settings.partitions)
            await produce(client, topics.interview_events, events)
            kafka = broker.settings.model_copy(update={"topic_prefix": topics.prefix})
            row: dict[str, Any] = {"round": round_, "shadow": shadow or "off", "events": len(events)}
            row |= await measure(kafka, shadow, len(events))
            written = await read_all(client, topics.shadow)
            row["shadow_records_per_event"] = len(written) / len(events)
            row["shadow_bytes_per_event"] = sum(len(r.value) + len(r.key) for r in written) / len(events)
            print(f"round {round_} shadow {row['shadow']:<3} {len(events)} events: "
                  f"{row['events_per_s']:7.0f} events/s, {row['cpu_us_per_event']:5.0f} µs CPU per event, "
                  f"{row['shadow_bytes_per_event']:6.0f} B/event to decision.shadow", flush=True)  # fmt: skip
            rows.append(row)
    return rows


def pure(events: list[Event], shadow: bool, repeat: int = 3) -> float:
    """Best of ``repeat``: CPU µs per event of ``step`` (and ``shadow_revise`` when ``shadow``)."""
    policies, policy = Policies(), policy_for("v2")
    best = float("inf")
    with young_gc_threshold():  # as the roles run
        for _ in range(repeat):
            gc.collect()
            states: dict[str, InterviewState] = {}
            shadows: dict[str, Shadowed] = {}
            began = time.process_time()
            for event in events:
                key = subject_of(event)
                state, _, _ = step(states.get(key, InterviewState()), event, policies)
                states[key] = state
                if shadow:
                    shadows[key], _ = shadow_revise(state, shadows.get(key, NOT_SHADOWED), policy, event)
            best = min(best, (time.process_time() - began) / len(events) * 1e6)
    return best


def run(interviews: int = 600, rounds: int = 2) -> dict[str, Any]:
    """The whole comparison (the suite's ``shadow`` section); the broker from ``bench_broker``."""
    with bench_broker() as broker:
        rows = asyncio.run(bench(broker, interviews, rounds))
    events = stream(interviews, prefix="pure")
    off, on = pure(events, False), pure(events, True)
    print(f"pure step: {off:.1f} µs per event; with v2 in shadow: {on:.1f} µs ({on / off:.2f}x)", flush=True)
    return {"projector": rows, "pure_us_per_event": {"off": off, "v2": on, "ratio": on / off}}


def headline(figures: dict[str, Any]) -> list[tuple[str, str, str, float | None, str, bool | None]]:
    """The suite's headline rows: the projector's CPU per event with v2 in shadow against without."""
    rows = figures["projector"]
    off = [r for r in rows if r["shadow"] == "off"]
    on = [r for r in rows if r["shadow"] != "off"]
    if not off or not on:
        return []
    base = min(r["cpu_us_per_event"] for r in off)
    cpu = min(r["cpu_us_per_event"] for r in on)
    p = figures["pure_us_per_event"]
    return [
        ("verdict projector, v2 in shadow: CPU per event (best round)", f"{cpu:,.0f} µs",
         f"{base:,.0f} µs without a shadow", cpu / base, "-", None),
        ("pure step + shadow_revise (v2): CPU per event", f"{p['v2']:.1f} µs",
         f"{p['off']:.1f} µs step alone", p["ratio"], "-", None),
    ]  # fmt: skip


def main(
    interviews: int = typer.Option(600, help="Interviews (about 16 events each)."),
    rounds: int = typer.Option(2, help="Shadow off, then on, this many times."),
) -> dict[str, Any]:
    """Run the comparison once."""
    configure_logging("WARNING")
    return run(interviews, rounds)


if __name__ == "__main__":
    typer.run(main)
