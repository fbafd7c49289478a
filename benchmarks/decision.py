"""Benchmark: projected interview events/s (exactly once) against raw aiokafka baselines on the same records.

``python -m benchmarks.decision [--interviews 1250]`` uses ``KAFKA_BOOTSTRAP_SERVERS`` or starts the
local broker. Prints the pure projection rate, two baselines, the service rate, and the ratios. The
baselines: a raw read_committed consumer (count only), and a raw transactional consume-produce copy
(read ``interview.events``, write each record unchanged to another topic in transactions that carry
the consumer offsets: a no-op exactly-once processor).
"""

from __future__ import annotations

import asyncio
import cProfile
import os
import pstats
import resource
import time
import uuid
from typing import Any

import typer

from benchmarks.broker import bench_broker
from benchmarks.profiles import top_costs
from benchmarks.raw_peers import raw_copy, raw_read
from schemas.topics import Topics
from services.decision.domain.replay import project
from services.decision.entrypoints.runtime import build_runtime
from services.decision.entrypoints.service import run_decision_service
from services.decision.entrypoints.settings import DecisionSettings
from services.platform.broker import Broker
from services.platform.local_kafka import free_port
from services.platform.log_reader import partitions_of, read_partition
from services.platform.logging import configure_logging
from services.platform.topics import ensure_topics
from testkit.auth import auth_env
from testkit.interviews import stream
from testkit.kafka import produce


async def written(client: dict[str, Any], topics: Topics, per: int) -> dict[str, list[float]]:
    """Committed records and bytes (key, value, headers) on each topic the service writes, per input event."""
    names = [topics.decision_events, topics.verdicts, topics.decision_state, topics.participants,
             topics.candidacy_rounds, topics.candidacies, topics.candidacy_state, topics.dlq]  # fmt: skip
    out: dict[str, list[float]] = {}
    for name in names:
        records = size = 0
        for partition in await partitions_of(client, name):
            async for r in read_partition(client, name, partition):
                records += 1
                size += (
                    len(r.key or b"")
                    + len(r.value or b"")
                    + sum(len(k) + len(v or b"") for k, v in r.headers)
                )
        out[name.removeprefix(topics.prefix)] = [records / per, size / per]
    return out


async def projected(
    settings: DecisionSettings, total: int, profile: cProfile.Profile | None = None
) -> tuple[float, float, float]:
    """Seconds the service takes to project and commit ``total`` records: from its start, from ready;
    and the CPU-seconds this process used from ready."""
    runtime, stop = build_runtime(settings), asyncio.Event()
    started = time.perf_counter()
    task = asyncio.create_task(run_decision_service(settings, stop, runtime))
    while not runtime.processor.ready:
        if task.done():
            await task  # it failed to start: raise its error rather than wait forever
            raise RuntimeError("the decision service stopped before it was ready")
        await asyncio.sleep(0.01)
    ready, cpu = time.perf_counter(), time.process_time()
    if profile is not None:
        profile.enable()
    while sum(runtime.progress.positions.values()) < total:
        if task.done():
            await task
            raise RuntimeError("the decision service stopped before it projected every record")
        await asyncio.sleep(0.02)
    done, cpu = time.perf_counter(), time.process_time() - cpu
    if profile is not None:
        profile.disable()
    stop.set()
    await task
    return done - started, done - ready, cpu


async def bench(broker: Broker, interviews: int, profile: str | None = None) -> dict[str, Any]:
    """Produce, then time the pure projection, both baselines and the service on the same records."""
    client, topics = broker.client(), Topics(f"bench{uuid.uuid4().hex[:6]}.")
    await ensure_topics(client, topics, broker.settings.partitions)
    copy = Topics(f"{topics.prefix}copy.")
    await ensure_topics(client, copy, broker.settings.partitions)
    events = stream(interviews, prefix="bench")
    started, cpu_started = time.perf_counter(), time.process_time()
    revisions = len(project(events))
    pure, pure_cpu = time.perf_counter() - started, time.process_time() - cpu_started
    await produce(client, topics.interview_events, events)
    n = len(events)
    raw = await raw_read(client, topics.interview_events, n)
    copied = await raw_copy(client, topics.interview_events, copy.interview_events, n)
    kafka = broker.settings.model_copy(update={"topic_prefix": topics.prefix})
    os.environ.update(auth_env())  # the service refuses to start without AUTH_* (ADR 0009)
    settings = DecisionSettings(port=free_port(), log_level="WARNING").model_copy(update={"kafka": kafka})
    profiler = cProfile.Profile() if profile else None
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    cold, warm, cpu = await projected(settings, n, profiler)
    per_topic = await written(client, topics, n)
    figures: dict[str, Any] = {
        "events": n,
        "revisions": revisions,
        "partitions": broker.settings.partitions,
        "pure_project_events_per_s": n / pure,
        "raw_consumer_events_per_s": n / raw,
        "raw_copy_events_per_s": n / copied,
        "service_events_per_s_from_ready": n / warm,
        "service_events_per_s_from_start": n / cold,
        "pure_project_cpu_us_per_event": pure_cpu / n * 1e6,
        "service_cpu_us_per_event": cpu / n * 1e6,
        "ratio_to_raw_consumer": raw / warm,
        "ratio_to_raw_copy": copied / warm,
        "peak_rss_mb_of_this_process": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "peak_rss_mb_before_service": peak_before,
        "profiled": profiler is not None,
        "written_per_input_event": per_topic,
    }
    print(report(figures))
    if profiler is not None and profile:
        profiler.dump_stats(profile)
        print(f"profile of the service from ready (cProfile, slows it down) written to {profile}")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
        figures["top_costs"] = top_costs(pstats.Stats(profiler))
    return figures


def report(f: dict[str, Any]) -> str:
    """The figures as the CLI prints them."""
    rows = [
        ("pure project()", f["pure_project_events_per_s"], "no Kafka"),
        ("raw aiokafka consumer", f["raw_consumer_events_per_s"], "read_committed, count only"),
        ("raw transactional copy", f["raw_copy_events_per_s"], "consume, produce, offsets in txn"),
        ("decision service, from ready", f["service_events_per_s_from_ready"], "decode, project, commit"),
        ("decision service, from start", f["service_events_per_s_from_start"], "plus join and rebuild"),
    ]
    lines = [f"events {f['events']}, revisions {f['revisions']}, partitions {f['partitions']}"]
    lines += [f"{label + ':':<30}{rate:10.0f} events/s ({note})" for label, rate, note in rows]
    lines.append(f"{'ratio service / raw consumer:':<30}{f['ratio_to_raw_consumer']:10.3f} (from ready)")
    lines.append(f"{'ratio service / raw copy:':<30}{f['ratio_to_raw_copy']:10.3f} (from ready)")
    lines.append(f"{'CPU per event, pure project():':<30}{f['pure_project_cpu_us_per_event']:10.1f} µs")
    lines.append(
        f"{'CPU per event, service:':<30}{f['service_cpu_us_per_event']:10.1f} µs (this process, from ready)"
    )
    total = [0.0, 0.0]
    for topic, (records, size) in f.get("written_per_input_event", {}).items():
        lines.append(f"  written per input event to {topic + ':':<24}{records:6.3f} records {size:8.0f} B")
        total = [total[0] + records, total[1] + size]
    lines.append(f"  written per input event, all topics:{total[0]:14.3f} records {total[1]:8.0f} B")
    return "\n".join(lines)


def run(interviews: int = 1250, profile: str | None = None) -> dict[str, Any]:
    """Get a broker (KAFKA_BOOTSTRAP_SERVERS or the local one) and measure once."""
    with bench_broker() as broker:
        return asyncio.run(bench(broker, interviews, profile))


def main(
    interviews: int = typer.Option(1250, help="Interviews (about 16 events each)."),
    profile: str | None = typer.Option(None, help="Write a cProfile of the service (from ready) here."),
) -> dict[str, Any]:
    """Run the benchmark once."""
    configure_logging("WARNING")
    return run(interviews, profile)


if __name__ == "__main__":
    typer.run(main)
