"""The raw baselines of ``benchmarks.peers``, each run as a process of its own.

    python -m benchmarks.raw_peers aiokafka-read|aiokafka-copy|confluent-read --bootstrap HOST:PORT \
        --topic T --group G --total N [--target T2]

- ``aiokafka-read``: a read_committed aiokafka consumer that only counts records;
- ``aiokafka-copy``: a no-op exactly-once processor on aiokafka: each batch written unchanged to
  ``--target`` in one transaction that also commits the consumer offsets (``benchmarks.decision``'s
  raw transactional copy);
- ``confluent-read``: a read_committed confluent-kafka (librdkafka) consumer that only counts records.

Each reads ``--total`` records of ``--topic`` in group ``--group``, commits its offsets (the copy with
every transaction, the readers once at the end: that is how the benchmark sees it finish), then stays
in its group until SIGTERM. Only the Kafka clients are imported, so memory and CPU are the clients' own.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import time
import uuid
from typing import Any


async def raw_read(
    client: dict[str, Any], topic: str, total: int, group: str | None = None, hold: bool = False
) -> float:
    """Seconds a plain read_committed consumer takes to read ``total`` records of ``topic``.

    ``hold``: then commit the offsets and stay in the group until SIGTERM (``benchmarks.peers``).
    """
    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(
        topic, group_id=group or f"raw-{uuid.uuid4().hex[:6]}", isolation_level="read_committed",
        auto_offset_reset="earliest", enable_auto_commit=False, **client,
    )  # fmt: skip
    await consumer.start()
    try:
        started, seen = time.perf_counter(), 0
        while seen < total:
            batches = await consumer.getmany(timeout_ms=200, max_records=500)
            seen += sum(len(records) for records in batches.values())
        seconds = time.perf_counter() - started
        if hold:
            await consumer.commit()
            await until_stopped()
        return seconds
    finally:
        await consumer.stop()


async def raw_copy(
    client: dict[str, Any], source: str, target: str, total: int, per_txn: int = 500,
    group: str | None = None, hold: bool = False,
) -> float:  # fmt: skip
    """Seconds a no-op exactly-once processor takes to copy ``total`` records of ``source`` to ``target``.

    One read_committed consumer in a fresh group and one transactional producer: each batch of up to
    ``per_txn`` records is written unchanged (key, value, headers, same partition) in one transaction
    that also commits the consumer's offsets, as the services do. ``hold``: then stay until SIGTERM.
    """
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

    group = group or f"copy-{uuid.uuid4().hex[:6]}"
    consumer = AIOKafkaConsumer(
        source, group_id=group, isolation_level="read_committed", auto_offset_reset="earliest",
        enable_auto_commit=False, **client,
    )  # fmt: skip
    producer = AIOKafkaProducer(transactional_id=f"copy-{uuid.uuid4()}", acks="all", linger_ms=2, **client)
    await consumer.start()
    await producer.start()
    try:
        started, copied = time.perf_counter(), 0
        while copied < total:
            batches = await consumer.getmany(timeout_ms=200, max_records=per_txn)
            if not batches:
                continue
            async with producer.transaction():
                offsets = {}
                for tp, records in batches.items():
                    for r in records:
                        await producer.send(
                            target, r.value, key=r.key, headers=list(r.headers), partition=tp.partition
                        )
                    offsets[tp] = records[-1].offset + 1
                    copied += len(records)
                await producer.send_offsets_to_transaction(offsets, group)
        seconds = time.perf_counter() - started
        if hold:
            await until_stopped()
        return seconds
    finally:
        await producer.stop()
        await consumer.stop()


def confluent_read(bootstrap: str, topic: str, group: str, total: int) -> None:
    """Read ``total`` records with librdkafka, count them, commit."""
    from confluent_kafka import Consumer

    consumer = Consumer({
        "bootstrap.servers": bootstrap, "group.id": group, "isolation.level": "read_committed",
        "auto.offset.reset": "earliest", "enable.auto.commit": False,
    })  # fmt: skip
    consumer.subscribe([topic])
    try:
        seen = 0
        while seen < total:
            seen += sum(1 for m in consumer.consume(num_messages=500, timeout=0.2) if m.error() is None)
        consumer.commit(asynchronous=False)
        wait_for_sigterm()
    finally:
        consumer.close()


async def until_stopped() -> None:
    """Wait for SIGTERM or SIGINT on the running event loop."""
    loop, stopped = asyncio.get_running_loop(), asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopped.set)
    await stopped.wait()


def wait_for_sigterm() -> None:
    """Block until SIGTERM or SIGINT (the benchmark reads this process's CPU and memory first)."""
    stops = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, stops)
    signal.sigwait(stops)


def main(argv: list[str] | None = None) -> None:
    """Run one baseline, then wait to be stopped."""
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("kind", choices=("aiokafka-read", "aiokafka-copy", "confluent-read"))
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--group", required=True)
    parser.add_argument("--total", type=int, required=True)
    parser.add_argument("--target", help="Output topic of aiokafka-copy.")
    args = parser.parse_args(argv)
    client = {"bootstrap_servers": args.bootstrap}
    if args.kind == "aiokafka-read":
        asyncio.run(raw_read(client, args.topic, args.total, args.group, hold=True))
    elif args.kind == "aiokafka-copy":
        asyncio.run(raw_copy(client, args.topic, args.target, args.total, group=args.group, hold=True))
    else:
        confluent_read(args.bootstrap, args.topic, args.group, args.total)


if __name__ == "__main__":
    main()
