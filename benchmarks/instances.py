"""Scale-out: 1, 2 and 3 processes of each decision projector role in one group; 1 against 2 writers.

    .venv/bin/python -m benchmarks.instances [--events 40000] [--commands 10000]

Decision service (ADR 0016 roles, issue 18 item 7): for each of 1, 2 and 3 processes, the same
interview events (same seed) are produced to a fresh topic set; that many ``services.decision
projector`` processes in one group project them, then that many ``services.decision candidacy``
processes in one group project the round records the projectors wrote. Each configuration is measured
by ``benchmarks.scaleout.measure_group``: events/s and the CPU-seconds per input event summed over the
processes, from all assigned to all committed, and each process's peak RSS; the CPU per event is set
against the 1-process run of the same role in the same run (flat is the target). Interview writer
(Kafka intake, no HTTP): the same commands preloaded to two topic sets; one writer process, then two
in one group; timed from the first to the last committed result. Every process has its own state
directory and all of them are stopped by pid. The machine has two cores, shared with the broker.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from benchmarks.broker import bench_broker
from benchmarks.consumers import Consumer, Group
from benchmarks.interview import follow_results, preload, start_writer, stop_writers, workload
from benchmarks.scaleout import cpu_ratios, measure_group
from schemas.topics import Topics
from services.platform.topics import ensure_topics
from testkit.auth import auth_env
from testkit.history import fill_history

PARTITIONS = 6
COUNTS = (1, 2, 3)
ROLES = ("projector", "candidacy")


def role(name: str, bootstrap: str, topics: Topics) -> Consumer:
    """One decision role's process; ``measure_group`` gives each copy its port and state directory."""
    group = f"{topics.prefix}decision-service"
    env = {"KAFKA_BOOTSTRAP_SERVERS": bootstrap, "KAFKA_TOPIC_PREFIX": topics.prefix,
           "KAFKA_PARTITIONS": str(PARTITIONS), "DECISION_LOG_LEVEL": "WARNING", **auth_env()}  # fmt: skip
    g = (Group(group, topics.interview_events) if name == "projector"
         else Group(f"{group}.candidacy", topics.candidacy_rounds, transactional=True))  # fmt: skip
    return Consumer(name, [sys.executable, "-m", "services.decision", name], [g], env)


async def decision(bootstrap: str, client: dict[str, Any], events: int, work: Path) -> dict[str, Any]:
    """1, 2 and 3 processes of each projector role over the same events (fresh topics each)."""
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in ROLES}
    for count in COUNTS:
        topics = Topics(f"bench{uuid.uuid4().hex[:8]}.")
        await ensure_topics(client, topics, PARTITIONS)
        produced = await fill_history(client, topics.interview_events, events, prefix="inst")
        for name in ROLES:  # the candidacy role reads the round records the projectors wrote
            (work / topics.prefix).mkdir(parents=True, exist_ok=True)
            consumer = role(name, bootstrap, topics)
            row = await measure_group(consumer, count, client, produced, work / topics.prefix)
            print(json.dumps({name: row}), flush=True)
            rows[name].append(row)
    for name in ROLES:
        for row, ratio in zip(rows[name], cpu_ratios(rows[name]), strict=True):
            row["cpu_per_event_to_one"] = ratio
    return {"counts": list(COUNTS), **rows}


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
    """Per decision role and process count: events/s, CPU per event and its ratio, peak RSS; the writer."""
    d, i = figures["decision"], figures["interview"]
    out = [
        "| role, processes (one group) | events/s | CPU per event (all processes) | CPU per event / "
        "1 process | peak RSS per process |",
        "|---|---|---|---|---|",
    ]
    for name in ROLES:
        for r in d[name]:
            rate, ratio, rss = r["events_per_s"], r["cpu_per_event_to_one"], r["peak_rss_mb"]
            out.append(f"| {name}, {r['processes']} | {rate:,.0f} | {r['cpu_us_per_event']:,.0f} µs "
                       f"| {ratio:.2f} | {' / '.join(f'{m:.0f}' for m in rss)} MiB |")  # fmt: skip
    w_one, w_two = i["one"]["commands_per_s"], i["two"]["commands_per_s"]
    out += ["", "| service | one instance | two instances (one group) | two / one |", "|---|---|---|---|",
            f"| interview writer over Kafka, {i['one']['commands']:,} commands | {w_one:,.0f} commands/s "
            f"| {w_two:,.0f} commands/s | {i['ratio_two_to_one']:.2f} |"]  # fmt: skip
    events = d[ROLES[0]][0]["events"]
    return f"{events:,} interview events, {figures['partitions']} partitions.\n\n" + "\n".join(out) + "\n"


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
