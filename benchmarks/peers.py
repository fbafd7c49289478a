"""The decision service against its peers on the same records in the same run, each in its own process.

    .venv/bin/python -m benchmarks.peers [--events 100000] [--out benchmarks/results]

The project's generator writes ``--events`` interview events (story-first and checklist interviews
alternating, 16 events each on average) to ``interview.events``; then, one after another, each
consumer reads all of them in a consumer group of its own: a raw read_committed aiokafka consumer, a raw
confluent-kafka consumer, a raw transactional copy on aiokafka (a no-op exactly-once processor), the
Quix Streams peer (``benchmarks.quix_peer``: exactly-once, RocksDB state, policy v1's decisions) and the
decision service's projector roles (``python -m services.decision projector``, then ``candidacy`` over
the round records the first wrote). For each: events/s from the moment its group is assigned (and from
process start), CPU per event, peak resident memory, and records and bytes written per input event per
topic (``benchmarks.consumers``, ``benchmarks.written``). The decisions are compared: the decision
changes in the service's revisions (``decision.events``) and in the peer's output, and the same count
from the pure rule without Kafka.

Quix Streams and confluent-kafka come with the ``bench`` extra (``pip install -e '.[bench]'``);
without them their rows are skipped, with that command printed. Writes ``peers.json`` and
``peers.md`` into ``--out``.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import math
import re
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks import written
from benchmarks.broker import bench_broker
from benchmarks.consumers import Consumer, Group, measure
from benchmarks.peer_rule import DecisionChanges, Decisions, Interview, revision_decisions
from schemas import encode
from schemas.envelope import Event
from schemas.topics import Topics
from services.platform.broker import Broker
from services.platform.local_kafka import free_port
from services.platform.topics import ensure_topics
from testkit.auth import auth_env
from testkit.interviews import stream
from testkit.kafka import produce

PY = sys.executable
INSTALL = ".venv/bin/pip install -e '.[dev,bench]'"
EVENTS_PER_INTERVIEW = 16  # testkit.interviews.stream: 17 (story-first) and 15 (checklist) alternating


def peer_decisions(value: bytes) -> Decisions:
    """The decisions in one record of the Quix peer's output."""
    v = json.loads(value)
    return v["company"], v["candidate"], v["mutual"]


def baselines(bootstrap: str, prefix: str, source: str, total: int) -> list[Consumer]:
    """The raw consumers and the raw transactional copy (confluent-kafka's only when installed)."""

    def raw(kind: str, name: str, note: str, *extra: str) -> Consumer:
        group = f"{prefix}{kind}"
        argv = [PY, "-m", "benchmarks.raw_peers", kind, "--bootstrap", bootstrap, "--topic", source,
                "--group", group, "--total", str(total), *extra]  # fmt: skip
        return Consumer(name, argv, [Group(group, source)], note=note)

    rows = [raw("aiokafka-read", "raw aiokafka consumer", "read_committed, counts records")]
    if importlib.util.find_spec("confluent_kafka"):
        rows.append(raw("confluent-read", "raw confluent-kafka consumer", "read_committed, counts records"))
    rows.append(raw("aiokafka-copy", "raw transactional copy (aiokafka)", "no-op exactly-once processor",
                    "--target", f"{prefix}copy.interview.events"))  # fmt: skip
    return rows


def quix(bootstrap: str, prefix: str, source: str, partitions: int, work: Path) -> Consumer:
    """The Quix Streams peer."""
    group, output = f"{prefix}quix-peer", f"{prefix}peer.decisions"
    argv = [PY, "-m", "benchmarks.quix_peer", "--bootstrap", bootstrap, "--input", source, "--output", output,
            "--group", group, "--state-dir", str(work / "quix"), "--partitions", str(partitions)]  # fmt: skip
    note = "exactly-once, RocksDB state, v1 decisions only"
    return Consumer("Quix Streams 3.28 peer", argv, [Group(group, source)], note=note,
                    decisions=(output, peer_decisions))  # fmt: skip


def decision_service(bootstrap: str, topics: Topics, partitions: int, work: Path) -> list[Consumer]:
    """The decision service's projector roles (ADR 0016), one process and one row each.

    In the order their inputs are written: the verdict projector over ``interview.events``, then the
    candidacy projector over the backlog of round records the first one wrote. The query role owns no
    input partition (it reads what both wrote), so it is not a row here.
    """
    prefix, group = topics.prefix, f"{topics.prefix}decision-service"
    env = {"KAFKA_BOOTSTRAP_SERVERS": bootstrap, "KAFKA_TOPIC_PREFIX": prefix,
           "KAFKA_PARTITIONS": str(partitions), "DECISION_STATE_DIR": str(work / "decision"),
           "DECISION_LOG_LEVEL": "WARNING", **auth_env()}  # fmt: skip

    def role(name: str, groups: list[Group], note: str, **extra: Any) -> Consumer:
        argv = [PY, "-m", "services.decision", name]
        return Consumer(f"decision service: {name}", argv, groups, {**env, "DECISION_PORT": str(free_port())},
                        note=note, **extra)  # fmt: skip

    projector = role("projector", [Group(group, topics.interview_events)],
                     "verdicts, state changelog, participants, round records",
                     decisions=(topics.decision_events, revision_decisions))  # fmt: skip
    candidacy = role("candidacy", [Group(f"{group}.candidacy", topics.candidacy_rounds, transactional=True)],
                     "candidacy projector over the round records the verdict projector wrote")  # fmt: skip
    return [projector, candidacy]


def expected_changes(events: list[Event]) -> int:
    """Decision changes of the pure rule over the stored records, without Kafka."""
    states: dict[str, Interview] = {}
    counter = DecisionChanges()
    for record in map(encode, events):
        key = (record.key or b"").decode()
        changed = states.setdefault(key, Interview()).step(dict(record.headers)["ce_type"].decode(),
                                                            record.value or b"")  # fmt: skip
        if changed is not None:
            counter.add(key, changed)
    return counter.changes


def loadavg() -> list[float]:
    """The machine's 1, 5 and 15 minute load averages."""
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


async def run_one(consumer: Consumer, client: dict[str, Any], events: int, work: Path) -> dict[str, Any]:
    """Measure one consumer; what it wrote per topic; its decision changes when it publishes decisions."""
    load = loadavg()
    print(f"--- {consumer.name} (load {load[0]:.1f})", flush=True)
    log = work / f"{consumer.name.split()[0]}-{uuid.uuid4().hex[:4]}.log"
    row = await measure(consumer, client, events, log)
    before, after = row.pop("_offsets")
    counter = DecisionChanges()
    visit: dict[str, Callable[[bytes | None, bytes | None], None]] = {}
    if consumer.decisions is not None:
        topic, parse = consumer.decisions

        def seen(key: bytes | None, value: bytes | None) -> None:
            counter.add((key or b"").decode(), parse(value or b""))

        visit[topic] = seen
    tallies = await written.read_back(client, before, after, visit=visit)
    row["written"] = written.per_input(tallies, events)
    row["loadavg_before"] = load
    if consumer.decisions is not None:
        row["decision_changes"] = counter.changes
        row["_final"] = counter.last
    print(json.dumps({k: v for k, v in row.items() if k not in ("written", "_final")}), flush=True)
    return row


async def bench(broker: Broker, interviews: int, work: Path) -> dict[str, Any]:
    """Produce the records once; measure every consumer over them, one after another."""
    client, bootstrap = broker.client(), str(broker.settings.bootstrap_servers)
    partitions = broker.settings.partitions
    topics = Topics(f"peers{uuid.uuid4().hex[:6]}.")
    await ensure_topics(client, topics, partitions)
    await ensure_topics(client, Topics(f"{topics.prefix}copy."), partitions)  # the copy's target
    await written.hold_compaction(client, topics)
    events = stream(interviews, prefix="peer")
    n = await produce(client, topics.interview_events, events)
    source, skipped = topics.interview_events, []
    consumers = baselines(bootstrap, topics.prefix, source, n)
    if importlib.util.find_spec("quixstreams"):
        consumers.append(quix(bootstrap, topics.prefix, source, partitions, work))
    else:
        skipped.append(f"Quix Streams peer: quixstreams is not installed ({INSTALL})")
    if not importlib.util.find_spec("confluent_kafka"):
        skipped.append(f"raw confluent-kafka consumer: confluent-kafka is not installed ({INSTALL})")
    consumers += decision_service(bootstrap, topics, partitions, work)
    for line in skipped:
        print(f"skipped: {line}", flush=True)
    rows = [await run_one(c, client, n, work) for c in consumers]
    finals = [row.pop("_final") for row in rows if "_final" in row]
    return {
        "events": n,
        "interviews": interviews,
        "partitions": partitions,
        "expected_decision_changes": expected_changes(events),
        "same_final_decisions": len(finals) > 1 and all(f == finals[0] for f in finals),
        "consumers": rows,
        "skipped": skipped,
        "ratios": ratios(rows),
    }


def ratios(rows: list[dict[str, Any]]) -> dict[str, float]:
    """The decision service against the Quix peer and the raw copy: events/s and CPU per event."""
    by = {r["consumer"]: r for r in rows}
    service = next((r for name, r in by.items() if name.startswith("decision service")), None)
    out: dict[str, float] = {}
    for key, name in (("quix", "Quix Streams 3.28 peer"), ("raw_copy", "raw transactional copy (aiokafka)")):
        if service is not None and name in by:
            peer = by[name]
            out[f"service_events_per_s_to_{key}"] = service["events_per_s"] / peer["events_per_s"]
            out[f"service_cpu_per_event_to_{key}"] = service["cpu_us_per_event"] / peer["cpu_us_per_event"]
    return out


def headline(f: dict[str, Any] | None) -> list[tuple[str, str, str, float | None, str, bool | None]]:
    """The suite's headline rows: the decision service against the Quix Streams peer (issue 18's target)."""
    by = {r["consumer"]: r for r in (f or {}).get("consumers", [])}
    service = next((r for name, r in by.items() if name.startswith("decision service")), None)
    quix = by.get("Quix Streams 3.28 peer")
    if f is None or service is None or quix is None:
        return []
    rate, cpu = service["events_per_s"], service["cpu_us_per_event"]
    what = f"decision service, {f['events']:,} events"
    peer_rate, peer_cpu = quix["events_per_s"], quix["cpu_us_per_event"]
    return [
        (what, f"{rate:,.0f} events/s", f"{peer_rate:,.0f} events/s Quix Streams peer, same decisions",
         rate / peer_rate, "≥ the Quix peer (issue 18)", rate >= peer_rate),
        (f"{what}: CPU per event", f"{cpu:,.0f} µs", f"{peer_cpu:,.0f} µs Quix Streams peer", cpu / peer_cpu,
         "≈ 45-50 µs (issue 18)", cpu <= 50),
    ]  # fmt: skip


def markdown(f: dict[str, Any]) -> str:
    """The consumers' table, then what each wrote per topic."""
    head = (
        f"{f['events']:,} events of {f['interviews']:,} interviews, {f['partitions']} partitions; decision "
        f"changes expected (pure rule, no Kafka): {f['expected_decision_changes']:,}; same final decisions "
        f"for every interview: {'yes' if f['same_final_decisions'] else 'NO'}\n\n"
        "| consumer | events/s (from assigned) | events/s (from start) | CPU per event | peak RSS "
        "| decision changes | records written per input event | bytes written per input event |\n"
        "|---|---|---|---|---|---|---|---|\n"
    )
    lines = []
    for r in f["consumers"]:
        total = r["written"]["all topics"]
        changes = f"{r['decision_changes']:,}" if "decision_changes" in r else "-"
        lines.append(
            f"| {r['consumer']} | {r['events_per_s']:,.0f} | {r['events_per_s_from_start']:,.0f} "
            f"| {r['cpu_us_per_event']:,.1f} µs | {r['peak_rss_mb']:,.0f} MiB | {changes} "
            f"| {total['records_per_event']:.2f} | {total['bytes_per_event']:,.0f} B |"
        )
    topics = ["\n| consumer | topic | records | bytes | records per input event | bytes per input event |",
              "|---|---|---|---|---|---|"]  # fmt: skip
    for r in f["consumers"]:
        for name, t in r["written"].items():
            if name != "all topics":
                topics.append(f"| {r['consumer']} | {short(name)} | {t['records']:,} | {t['bytes']:,} "
                              f"| {t['records_per_event']:.3f} | {t['bytes_per_event']:,.1f} |")  # fmt: skip
    skipped = "".join(f"\nSkipped: {s}\n" for s in f["skipped"])
    return head + "\n".join(lines) + "\n" + "\n".join(topics) + "\n" + skipped


def short(topic: str) -> str:
    """A topic's name without the run's ``peers<hex>.`` prefix (wherever it occurs in the name)."""
    return re.sub(r"peers[0-9a-f]{6}\.", "", topic)


def run(interviews: int, out: Path | None = None) -> dict[str, Any]:
    """One run on one broker (``KAFKA_BOOTSTRAP_SERVERS`` or the local one); JSON and Markdown to ``out``."""
    with bench_broker() as broker, tempfile.TemporaryDirectory(prefix="bench-peers-") as work:
        started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        figures = asyncio.run(bench(broker, interviews, Path(work)))
        figures["started"] = started
    print(markdown(figures))
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "peers.json").write_text(json.dumps(figures, indent=2))
        (out / "peers.md").write_text(markdown(figures))
    return figures


def interviews_for(events: int) -> int:
    """Interviews of the generator that give about ``events`` events (6,250 for 100,000)."""
    return max(2, math.ceil(events / EVENTS_PER_INTERVIEW))


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Entry point: print the table, write the files, return the figures."""
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(prog="python -m benchmarks.peers", description=__doc__,
                                     formatter_class=raw)  # fmt: skip
    parser.add_argument("--events", type=int, default=100_000, help="Input events (16 per interview).")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args(argv)
    return run(interviews_for(args.events), args.out)


if __name__ == "__main__":
    main()
