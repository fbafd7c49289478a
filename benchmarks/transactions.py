"""The floor under each exactly-once step: back-to-back transactions on one aiokafka producer.

    .venv/bin/python -m benchmarks.transactions [--count 150]

Each service partition runs one transaction after another on its own transactional producer: send
the outputs, add the input offsets (``send_offsets_to_transaction``), commit. A transaction that
starts before the broker has written the previous one's commit markers is refused with
CONCURRENT_TRANSACTIONS (KAFKA-5477) and aiokafka retries after a backoff: 20 ms for
AddPartitionsToTxn, ``retry_backoff_ms`` (default 100 ms) for AddOffsetsToTxn. This measures the
duration of ``count`` back-to-back one-record transactions, without and with offsets, with the default
backoff and with ``retry_backoff_ms=10``: what one step of the command→verdict path costs at least.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
import uuid
from typing import Any

from aiokafka import AIOKafkaProducer, TopicPartition

from benchmarks.broker import bench_broker
from schemas.topics import Topics
from services.platform.topics import ensure_topics


async def back_to_back(
    client: dict[str, Any], topics: Topics, count: int, *, offsets: bool, backoff_ms: int
) -> dict[str, Any]:
    """Durations of ``count`` one-record transactions, one after another on one producer."""
    producer = AIOKafkaProducer(
        transactional_id=f"floor-{uuid.uuid4()}",
        acks="all",
        linger_ms=2,
        retry_backoff_ms=backoff_ms,
        **client,
    )
    group = f"floor-{uuid.uuid4().hex[:6]}"
    await producer.start()
    took: list[float] = []
    try:
        for i in range(count):
            began = time.perf_counter()
            async with producer.transaction():
                await producer.send(topics.interview_events, b"{}", key=b"k", partition=0)
                if offsets:
                    await producer.send_offsets_to_transaction(
                        {TopicPartition(topics.commands, 0): i + 1}, group
                    )
            took.append(time.perf_counter() - began)
    finally:
        await producer.stop()
    cuts = statistics.quantiles(took, n=100, method="inclusive")
    return {
        "offsets": offsets,
        "retry_backoff_ms": backoff_ms,
        "count": count,
        "p50_ms": cuts[49] * 1000,
        "p90_ms": cuts[89] * 1000,
        "p99_ms": cuts[98] * 1000,
        "max_ms": max(took) * 1000,
        "over_15_ms": sum(t > 0.015 for t in took),
        "over_90_ms": sum(t > 0.090 for t in took),
        "per_s": count / sum(took),
    }


async def measure(client: dict[str, Any], count: int) -> dict[str, Any]:
    """Every variant on fresh topics."""
    topics = Topics(f"bench{uuid.uuid4().hex[:8]}.")
    await ensure_topics(client, topics, 1)
    await back_to_back(client, topics, 10, offsets=True, backoff_ms=100)  # warm-up: coordinator, topics
    rows = [
        await back_to_back(client, topics, count, offsets=offsets, backoff_ms=backoff)
        for backoff in (100, 10)
        for offsets in (False, True)
    ]
    return {"variants": rows}


def run(count: int = 150) -> dict[str, Any]:
    """Get a broker (KAFKA_BOOTSTRAP_SERVERS or the local one) and measure once."""
    with bench_broker() as broker:
        return asyncio.run(measure(broker.client(), count))


def markdown(figures: dict[str, Any]) -> str:
    """One row per variant."""
    head = (
        "| input offsets in the transaction | retry_backoff_ms | p50 (ms) | p90 (ms) | p99 (ms) | max (ms) "
        "| over 15 ms | over 90 ms | transactions/s |\n|---|---|---|---|---|---|---|---|---|\n"
    )
    rows = [
        f"| {'yes' if r['offsets'] else 'no'} | {r['retry_backoff_ms']} | {r['p50_ms']:.1f} "
        f"| {r['p90_ms']:.1f} | {r['p99_ms']:.1f} | {r['max_ms']:.1f} | {r['over_15_ms']} of {r['count']} "
        f"| {r['over_90_ms']} of {r['count']} | {r['per_s']:.0f} |"
        for r in figures["variants"]
    ]
    return head + "\n".join(rows) + "\n"


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Entry point: print the table, return the figures."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=150)
    figures = run(parser.parse_args(argv).count)
    print(json.dumps(figures))
    print(markdown(figures))
    return figures


if __name__ == "__main__":
    main()
