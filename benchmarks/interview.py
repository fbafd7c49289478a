"""Throughput of the interview writer on a real broker, against a raw transactional-produce baseline.

    .venv/bin/python -m benchmarks.interview [--commands 5000] [--interviews 50]

Uses KAFKA_BOOTSTRAP_SERVERS, else starts the local broker. Phase 1 pre-loads the commands, starts
``python -m services.interview`` (writer only) as a child process and times first to last committed
result. Phase 2 (baseline) re-produces exactly the bytes the writer committed (events + results) with
one transactional producer in transactions of the same size, without consuming or deciding.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer, ConsumerRecord, TopicPartition

from benchmarks.broker import bench_broker
from schemas.commands import CommandEnvelope
from schemas.topics import Topics
from services.platform.log_reader import partitions_of, read_all, reader
from services.platform.topics import ensure_topics

ROOT = Path(__file__).resolve().parents[1]
PEOPLE = [
    {"id": "cand", "side": "candidate", "role": "candidate"},
    {"id": "alice", "side": "company", "role": "interviewer"},
]


def _steps(count: int) -> list[tuple[str, dict[str, Any]]]:
    opened = {"type": "open_interview", "candidacy_id": "cy", "round": "technical", "position": "Engineer"}
    steps: list[tuple[str, dict[str, Any]]] = [
        ("alice", opened | {"candidate_id": "cand", "participants": PEOPLE})
    ]
    steps.append(
        ("cand", {"type": "tell_story", "story_id": "s0", "kind": "success", "title": "T", "summary": "S"})
    )
    for i in range(1, count):
        about = "s0" if i == 1 else f"a{i - 1}"
        asked = {"type": "ask_question", "question_id": f"q{i}", "kind": "clarifying", "text": "Why?"}
        steps.append(("alice", asked | {"about": about}))
        answered = {"type": "answer_question", "answer_id": f"a{i}", "question_id": f"q{i}", "text": "So."}
        steps.append(("cand", answered))
    return steps[:count]


def workload(commands: int, interviews: int) -> list[CommandEnvelope]:
    """Valid story-first commands, interleaved across interviews."""
    per = commands // interviews
    rows = []
    for n in range(interviews):
        iid = f"bench-{n}"
        rows.append([_command(iid, v, actor, payload) for v, (actor, payload) in enumerate(_steps(per))])
    return [row[j] for j in range(per) for row in rows]


def _command(iid: str, version: int, actor: str, payload: dict[str, Any]) -> CommandEnvelope:
    body = {"command_id": str(uuid.uuid4()), "interview_id": iid, "expected_version": version}
    body |= {"actor_id": actor, "correlation_id": iid, "payload": payload}
    return CommandEnvelope.model_validate(body)


async def preload(client: dict[str, Any], topics: Topics, commands: list[CommandEnvelope]) -> None:
    """Put every command on ``interview.commands`` before the writer starts."""
    producer = AIOKafkaProducer(acks="all", enable_idempotence=True, linger_ms=10, **client)
    await producer.start()
    try:
        for command in commands:
            await producer.send(
                topics.commands, command.model_dump_json().encode(), key=command.interview_id.encode()
            )
        await producer.flush()
    finally:
        await producer.stop()


async def follow_results(
    client: dict[str, Any], topics: Topics, want: int, cpu: list[float] | None = None
) -> tuple[float, float]:
    """(time of the first committed result, time of the ``want``-th), from one following consumer.

    ``cpu``: a list holding a process id; the process's CPU seconds at the first and at the last
    result are appended to it.
    """
    consumer = reader(client)
    await consumer.start()
    try:
        consumer.assign(
            [TopicPartition(topics.command_results, p) for p in range(await _count(client, topics))]
        )
        first, seen = 0.0, 0
        while seen < want:
            batch = await consumer.getmany(timeout_ms=100)
            got = sum(len(records) for records in batch.values())
            if got and not first:
                first = time.monotonic()
                if cpu:
                    cpu.append(cpu_seconds(int(cpu[0])))
            seen += got
        if cpu:
            cpu.append(cpu_seconds(int(cpu[0])))
        return first, time.monotonic()
    finally:
        await consumer.stop()


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _count(client: dict[str, Any], topics: Topics) -> int:
    return len(await partitions_of(client, topics.command_results))


def start_writer(
    bootstrap: str, topics: Topics, max_records: int, state_dir: Path | None = None
) -> subprocess.Popen[bytes]:
    """The service under test, writer only, as a child process (its own state directory if given)."""
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": bootstrap, "KAFKA_TOPIC_PREFIX": topics.prefix}
    env |= {
        "INTERVIEW_HTTP": "false",
        "INTERVIEW_LOG_LEVEL": "WARNING",
        "INTERVIEW_MAX_RECORDS": str(max_records),
    }
    if state_dir is not None:
        env["INTERVIEW_STATE_DIR"] = str(state_dir)
    return subprocess.Popen([sys.executable, "-m", "services.interview"], cwd=ROOT, env=env)


def stop_writers(writers: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM each writer by its pid; SIGKILL one that has not exited after 15 s."""
    for writer in writers:
        if writer.poll() is None:
            os.kill(writer.pid, signal.SIGTERM)
    for writer in writers:
        try:
            writer.wait(15)
        except subprocess.TimeoutExpired:
            writer.kill()
            writer.wait(10)


async def baseline(
    client: dict[str, Any], rename: dict[str, str], records: list[ConsumerRecord[bytes, bytes]], per_txn: int
) -> float:
    """Seconds to produce ``records`` (to their ``rename``d topics), ``per_txn`` records per transaction."""
    producer = AIOKafkaProducer(transactional_id=f"bench-{uuid.uuid4()}", acks="all", linger_ms=2, **client)
    await producer.start()
    try:
        began = time.monotonic()
        for i in range(0, len(records), per_txn):
            async with producer.transaction():
                for r in records[i : i + per_txn]:
                    await producer.send(
                        rename[r.topic], r.value, key=r.key, headers=list(r.headers), partition=r.partition
                    )
        return time.monotonic() - began
    finally:
        await producer.stop()


async def measure(
    bootstrap: str,
    client: dict[str, Any],
    *,
    commands: int = 5000,
    interviews: int = 50,
    partitions: int = 3,
    max_records: int = 500,
) -> dict[str, Any]:
    """Both phases on fresh topics; the figures as a dict."""
    topics = Topics(prefix=f"bench{uuid.uuid4().hex[:8]}.")
    await ensure_topics(client, topics, partitions)
    work = workload(commands, interviews)
    await preload(client, topics, work)
    with tempfile.TemporaryDirectory(prefix="bench-writer-") as state:
        writer = start_writer(bootstrap, topics, max_records, Path(state))
        cpu: list[float] = [writer.pid]
        try:
            first, last = await follow_results(client, topics, len(work), cpu)
        finally:
            stop_writers([writer])
    service_rate = (len(work) - 1) / (last - first)
    cpu_ms = (cpu[2] - cpu[1]) * 1000 / (len(work) - 1)
    output = [
        *await read_all(client, topics.interview_events),
        *await read_all(client, topics.command_results),
    ]
    copy = Topics(prefix=f"{topics.prefix}baseline.")
    await ensure_topics(client, copy, partitions)
    rename = {topics.interview_events: copy.interview_events, topics.command_results: copy.command_results}
    took = await baseline(client, rename, output, 2 * max_records)
    baseline_rate = len(work) / took
    return {
        "commands": len(work),
        "interviews": interviews,
        "partitions": partitions,
        "records_written": len(output),
        "writer_commands_per_s": service_rate,
        "writer_cpu_ms_per_command": cpu_ms,
        "baseline_commands_per_s": baseline_rate,
        "ratio": service_rate / baseline_rate,
    }


def report(figures: dict[str, Any]) -> str:
    """The figures as the CLI prints them."""
    return "\n".join(
        [
            f"commands: {figures['commands']} over {figures['interviews']} interviews, "
            f"{figures['partitions']} partitions",
            f"interview writer: {figures['writer_commands_per_s']:,.0f} accepted commands/s "
            f"(first to last committed result; {figures['writer_cpu_ms_per_command']:.2f} ms of the "
            "writer's CPU per command)",
            f"baseline: {figures['baseline_commands_per_s']:,.0f} commands/s worth of the same records "
            "produced transactionally",
            f"ratio writer/baseline: {figures['ratio']:.2f}",
        ]
    )


def run(
    commands: int = 5000, interviews: int = 50, partitions: int = 3, max_records: int = 500
) -> dict[str, Any]:
    """Get a broker (KAFKA_BOOTSTRAP_SERVERS or the local one) and measure once."""
    with bench_broker() as broker:
        bootstrap = broker.settings.bootstrap_servers or ""
        return asyncio.run(
            measure(
                bootstrap,
                broker.client(),
                commands=commands,
                interviews=interviews,
                partitions=partitions,
                max_records=max_records,
            )
        )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Parse arguments, get a broker, run; print and return the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=5000)
    parser.add_argument("--interviews", type=int, default=50)
    parser.add_argument("--partitions", type=int, default=3)
    parser.add_argument("--max-records", type=int, default=500)
    args = parser.parse_args(argv)
    figures = run(args.commands, args.interviews, args.partitions, args.max_records)
    print(report(figures))
    return figures


if __name__ == "__main__":
    main()
