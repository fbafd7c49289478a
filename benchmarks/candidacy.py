"""Benchmark: the candidacy projector alone (ADR 0012, 0018), against a raw transactional copy.

``python -m benchmarks.candidacy [--candidacies 300]`` builds the candidacy scenarios' interview events
(several rounds per candidacy, interleaved), runs the decision domain over them to get each verdict
revision's round record exactly as the verdict projector writes it (``round_record``), and measures:

- what is written per input interview event to ``decision.candidacy-rounds`` (by the verdict
  projector), ``decision.candidacy-state`` and ``decision.candidacies`` (by the candidacy projector);
- the candidacy handler alone, without Kafka: CPU per round record (decode, fold, policy, encode,
  state), batches of 500 per partition, each batch committed to its SQLite store;
- on the broker: the candidacy processor (exactly once, one process) over the round records, from
  ready until every record is committed, against a raw transactional consume-produce copy of the same
  records in the same run (a no-op exactly-once processor); events/s and this process's CPU per record.
"""

from __future__ import annotations

import asyncio
import resource
import tempfile
import time
import uuid
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer
from aiokafka import AIOKafkaProducer

from benchmarks.broker import bench_broker
from benchmarks.raw_peers import raw_copy
from schemas.envelope import Event
from schemas.topics import Topics
from services.decision.adapters.candidacy import CandidacyHandler
from services.decision.adapters.records import round_record
from services.decision.domain.policy import Policies
from services.decision.domain.revisions import InterviewState
from services.decision.domain.revisions import step as interview_step
from services.platform.broker import Broker
from services.platform.eos import OutRecord, TransactionalProcessor, record_bytes
from services.platform.logging import configure_logging
from services.platform.state import PartitionStore
from services.platform.topics import ensure_topics
from testkit.candidacies import SCENARIOS
from testkit.interviews import interleaved


@dataclass
class Rec:
    """A consumed record as a partition handler sees it."""

    topic: str
    partition: int
    offset: int
    key: bytes
    value: bytes | None
    headers: list[tuple[str, bytes]]


def interview_events(candidacies: int) -> list[Event]:
    """The scenarios' events for ``candidacies`` candidacies (the six scenarios in turn), interleaved."""
    return interleaved(
        *(SCENARIOS[i % len(SCENARIOS)](f"cy-{i}", f"b{i}").events() for i in range(candidacies))
    )


def round_records(events: list[Event], topics: Topics) -> list[OutRecord]:
    """Each verdict revision's round record, as the verdict projector writes it."""
    policies, states, out = Policies(), dict[str, InterviewState](), []
    for event in events:
        key = event.attributes.subject
        states[key], revision, _ = interview_step(states.get(key, InterviewState()), event, policies)
        if revision is not None:
            out.extend(round_record(revision, states[key].projection, topics))
    return out


def written(outs: list[OutRecord]) -> dict[str, list[int]]:
    """Records and bytes (key, value, headers) per topic."""
    per: dict[str, list[int]] = {}
    for o in outs:
        row = per.setdefault(o.topic, [0, 0])
        row[0] += 1
        row[1] += record_bytes(o)
    return per


def per_event(per_topic: dict[str, list[int]], events: int) -> dict[str, dict[str, float]]:
    """Records and bytes per input interview event (and bytes per record), per topic."""
    return {
        t: {
            "records_per_input_event": r / events,
            "bytes_per_input_event": b / events,
            "bytes_per_record": b / r,
        }
        for t, (r, b) in per_topic.items()
    }


async def handler_alone(
    rounds: list[OutRecord], topics: Topics, partitions: int, batch: int = 500
) -> dict[str, Any]:
    """The handler over every round record without Kafka: CPU seconds, and what it writes per topic.

    ``batch`` records per transaction and partition: 500 as on a backlog, 1 as in live traffic (where
    every round loads its candidacy's state and writes it back).
    """
    by_partition: dict[int, list[Rec]] = {}
    for o in rounds:
        p = zlib.crc32(o.key or b"") % partitions  # any stable mapping by key: state is per key
        queue = by_partition.setdefault(p, [])
        queue.append(Rec(o.topic, p, len(queue), o.key or b"", o.value, list(o.headers)))
    with tempfile.TemporaryDirectory(prefix="bench-candidacy-") as tmp:
        handler = CandidacyHandler({}, topics, "bench", Path(tmp))
        for p in by_partition:
            handler.stores[p] = PartitionStore(Path(tmp), topics.candidacy_state, p, "bench")
        outs: list[OutRecord] = []
        cpu, wall = time.process_time(), time.perf_counter()
        for p, records in by_partition.items():
            for i in range(0, len(records), batch):
                outs += await handler.handle(p, records[i : i + batch])
                handler.committed(p, {})
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        for p in by_partition:
            handler.revoked(p)
    return {"cpu_s": cpu, "wall_s": wall, "written": written(outs)}


async def produce_rounds(client: dict[str, Any], rounds: list[OutRecord]) -> None:
    """The round records onto the broker, keyed by candidacy (default partitioner, as written)."""
    producer = AIOKafkaProducer(acks="all", linger_ms=5, **client)
    await producer.start()
    try:
        for o in rounds:
            await producer.send(o.topic, o.value, key=o.key, headers=list(o.headers))
        await producer.flush()
    finally:
        await producer.stop()


def cpu_now() -> float:
    """CPU seconds of this process so far (user + system)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def processor_run(client: dict[str, Any], topics: Topics, total: int) -> tuple[float, float]:
    """Seconds and CPU seconds the candidacy processor takes, from ready, to commit ``total`` records."""
    done = [0]
    with tempfile.TemporaryDirectory(prefix="bench-candidacy-") as tmp:
        group = f"bench-cy-{uuid.uuid4().hex[:6]}"
        processor = TransactionalProcessor(
            client, input_topic=topics.candidacy_rounds, group_id=group, transactional_prefix=group,
            handler=CandidacyHandler(client, topics, group, Path(tmp)),
            on_committed=lambda _, records: done.__setitem__(0, done[0] + len(records)),
        )  # fmt: skip
        task = asyncio.create_task(processor.run())
        while not processor.ready:
            if task.done():
                await task
            await asyncio.sleep(0.01)
        started, cpu = time.perf_counter(), cpu_now()
        while done[0] < total:
            if task.done():
                await task
            await asyncio.sleep(0.01)
        seconds, cpu = time.perf_counter() - started, cpu_now() - cpu
        await processor.stop()
        await task
    return seconds, cpu


async def bench(broker: Broker, candidacies: int) -> dict[str, Any]:
    """Build the round records, then measure the handler alone, the processor and the raw copy."""
    client, topics = broker.client(), Topics(f"benchcy{uuid.uuid4().hex[:6]}.")
    copy = Topics(f"{topics.prefix}copy.")
    await ensure_topics(client, topics, broker.settings.partitions)
    await ensure_topics(client, copy, broker.settings.partitions)
    events = interview_events(candidacies)
    rounds = round_records(events, topics)
    alone = await handler_alone(rounds, topics, broker.settings.partitions)
    live = await handler_alone(rounds, topics, broker.settings.partitions, batch=1)
    await produce_rounds(client, rounds)
    n = len(rounds)
    copy_cpu = cpu_now()
    copied = await raw_copy(client, topics.candidacy_rounds, copy.candidacy_rounds, n)
    copy_cpu = cpu_now() - copy_cpu
    seconds, cpu = await processor_run(client, topics, n)
    per_topic = {**written(rounds), **alone["written"]}
    figures = {
        "candidacies": candidacies, "interview_events": len(events), "round_records": n,
        "written": per_event(per_topic, len(events)),
        "handler_alone_us_cpu_per_round": alone["cpu_s"] / n * 1e6,
        "handler_alone_batch_1_us_cpu_per_round": live["cpu_s"] / n * 1e6,
        "written_batch_1": per_event(live["written"], len(events)),
        "processor_rounds_per_s": n / seconds, "processor_us_cpu_per_round": cpu / n * 1e6,
        "raw_copy_rounds_per_s": n / copied, "raw_copy_us_cpu_per_round": copy_cpu / n * 1e6,
        "ratio_processor_to_raw_copy": copied / seconds,
    }  # fmt: skip
    print(report(figures, topics))
    return figures


def report(f: dict[str, Any], topics: Topics) -> str:
    """The figures as the CLI prints them."""
    lines = [f"candidacies {f['candidacies']}, interview events {f['interview_events']}, "
             f"round records {f['round_records']}"]  # fmt: skip
    batch_1 = {f"{t} (batches of 1)": w for t, w in f["written_batch_1"].items()}
    for topic, w in sorted({**f["written"], **batch_1}.items()):
        name = topic.removeprefix(topics.prefix)
        records, size = w["records_per_input_event"], w["bytes_per_input_event"]
        lines.append(f"{name:<48} {records:6.3f} records, {size:7.1f} B per input event "
                     f"({w['bytes_per_record']:6.0f} B per record)")  # fmt: skip
    lines += [
        f"{'handler alone (no Kafka):':<34}{f['handler_alone_us_cpu_per_round']:9.0f} µs CPU per round",
        f"{'handler alone, batches of 1:':<34}{f['handler_alone_batch_1_us_cpu_per_round']:9.0f} µs CPU "
        "per round",
        f"{'candidacy processor, from ready:':<34}{f['processor_rounds_per_s']:9.0f} rounds/s, "
        f"{f['processor_us_cpu_per_round']:6.0f} µs CPU per round",
        f"{'raw transactional copy:':<34}{f['raw_copy_rounds_per_s']:9.0f} rounds/s, "
        f"{f['raw_copy_us_cpu_per_round']:6.0f} µs CPU per round",
        f"{'ratio processor / raw copy:':<34}{f['ratio_processor_to_raw_copy']:9.3f}",
    ]
    return "\n".join(lines)


def run(candidacies: int = 300) -> dict[str, Any]:
    """Get a broker (KAFKA_BOOTSTRAP_SERVERS or the local one) and measure once."""
    with bench_broker() as broker:
        return asyncio.run(bench(broker, candidacies))


def main(
    candidacies: int = typer.Option(300, help="Candidacies (2-3 rounds, ~30 round records each)."),
) -> None:
    """Run the benchmark once."""
    configure_logging("WARNING")
    run(candidacies)


if __name__ == "__main__":
    typer.run(main)
