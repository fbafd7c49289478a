"""Restart to stable readiness, and memory, against the length of the history.

For each history size: produce that many interview events (interviews a few hundred at a time), start
both services over it (the decision service projects it, the writer rebuilds once from it), then
restart them on the same disk (the stores' checkpoints) and on an empty disk (a new owner: the
changelogs), timing each until ``/readyz`` answers 200 and measuring resident memory once ready.
Baseline in the same run: a raw read_committed consumer reading the whole history (what a restart that
re-reads history costs at least).

    python -m benchmarks.restart --sizes 20000 100000 300000 --out benchmarks/results
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import shutil
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from aiokafka import TopicPartition

from benchmarks.broker import bench_broker
from schemas.topics import Topics
from services.platform.log_reader import partitions_of, reader
from services.platform.topics import ensure_topics
from testkit.history import fill_history
from testkit.processes import Child, services

PARTITIONS = 6


async def raw_read_seconds(client: dict[str, Any], topic: str) -> float:
    """Seconds for a raw read_committed consumer to read every record of ``topic``."""
    consumer = reader(client)
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in await partitions_of(client, topic)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        began = time.monotonic()
        while any([await consumer.position(tp) < ends[tp] for tp in tps]):
            await consumer.getmany(timeout_ms=500, max_records=10_000)
        return time.monotonic() - began
    finally:
        await consumer.stop()


def first_start(kids: dict[str, Child], produced: int) -> float:
    """Start both over the history; seconds until both are ready and the history is projected."""
    began = time.monotonic()
    for child in kids.values():
        child.start()
    for child in kids.values():
        child.wait_ready(timeout=1800)
    while kids["decision"].metric("decision_events_projected_total") < produced:
        time.sleep(1)
    return time.monotonic() - began


def timed_restart(kids: dict[str, Child], wipe: Path | None = None) -> dict[str, dict[str, float]]:
    """Stop, optionally wipe the local stores, start; per service: seconds to ready and RSS (MB)."""
    for child in kids.values():
        child.stop()
    if wipe is not None:
        shutil.rmtree(wipe, ignore_errors=True)
    for child in kids.values():
        child.start()
    out = {name: {"ready_s": child.wait_ready(timeout=1800)} for name, child in kids.items()}
    time.sleep(2)  # settled: the first transactions after the restore are done
    for name, child in kids.items():
        out[name]["rss_mb"] = child.rss_mb()
    out["decision"]["history_s"] = history_complete(kids["decision"])
    out["decision"]["history_rss_mb"] = kids["decision"].rss_mb()
    return out


def history_complete(decision: Child, timeout: float = 1800) -> float:
    """Seconds from start until the decision service has read the whole revision history (ADR 0015:
    after readiness, in the background; ``/readyz`` says ``history: complete``)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError, ValueError):
            if httpx.get(f"{decision.base}/readyz", timeout=5).json().get("history") == "complete":
                return time.monotonic() - decision.started
        time.sleep(0.2)
    raise TimeoutError(f"the revision history was not read within {timeout:.0f}s; see {decision.log}")


async def one_size(bootstrap: str, client: dict[str, Any], size: int, work: Path) -> dict[str, Any]:
    """Every figure for one history size."""
    topics = Topics(f"bench{uuid.uuid4().hex[:8]}.")
    await ensure_topics(client, topics, PARTITIONS)
    produced = await fill_history(client, topics.interview_events, size)
    raw = await raw_read_seconds(client, topics.interview_events)
    state = work / topics.prefix / "state"
    kids = services(bootstrap, topics.prefix, PARTITIONS, state, work / topics.prefix / "logs")
    try:
        first = await asyncio.to_thread(first_start, kids, produced)
        same = await asyncio.to_thread(timed_restart, kids)
        fresh = await asyncio.to_thread(timed_restart, kids, state)
    finally:
        for child in kids.values():
            if child.proc is not None:
                child.stop(timeout=30)
    return {"events": produced, "raw_read_s": raw, "first_start_s": first, "same_disk": same,
            "new_disk": fresh}  # fmt: skip


def markdown(rows: list[dict[str, Any]]) -> str:
    """The results as a Markdown table."""
    head = (
        "| history (events) | raw read of history (s) | first start (s) | interview ready, same disk (s) | "
        "decision ready, same disk (s) | interview ready, new disk (s) | decision ready, new disk (s) | "
        "decision revision history read, new disk (s) | interview RSS (MB) | decision RSS (MB) |\n"
        "|---|---|---|---|---|---|---|---|---|---|\n"
    )
    lines = [
        f"| {r['events']:,} | {r['raw_read_s']:.1f} | {r['first_start_s']:.0f} | "
        f"{r['same_disk']['interview']['ready_s']:.1f} | "
        f"{r['same_disk']['decision']['ready_s']:.1f} | {r['new_disk']['interview']['ready_s']:.1f} | "
        f"{r['new_disk']['decision']['ready_s']:.1f} | {r['new_disk']['decision']['history_s']:.1f} | "
        f"{r['same_disk']['interview']['rss_mb']:.0f} | {r['same_disk']['decision']['rss_mb']:.0f} |"
        for r in rows
    ]
    return head + "\n".join(lines) + "\n"


def plot(rows: list[dict[str, Any]], out: Path) -> list[Path]:
    """Restart time and RSS against history size, as PNG files."""
    import matplotlib  # only the benchmark needs it

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [r["events"] for r in rows]
    made = []
    for name, metric, label in (("restart", "ready_s", "seconds to ready"), ("rss", "rss_mb", "RSS (MB)")):
        fig, ax = plt.subplots(figsize=(7, 4))
        for service in ("interview", "decision"):
            for disk in ("same_disk", "new_disk"):
                values = [r[disk][service][metric] for r in rows]
                ax.plot(sizes, values, marker="o", label=f"{service}, {disk.replace('_', ' ')}")
        if metric == "ready_s":
            ax.plot(sizes, [r["raw_read_s"] for r in rows], "k--", label="raw read of the history")
            history = [r["new_disk"]["decision"]["history_s"] for r in rows]
            ax.plot(sizes, history, ":", marker="x", label="decision, new disk: revision history read")
        ax.set_xscale("log")
        ax.set_xlabel("history (interview events)")
        ax.set_ylabel(label)
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
        path = out / f"{name}-vs-history.png"
        fig.tight_layout()
        fig.savefig(path, dpi=110)
        plt.close(fig)
        made.append(path)
    return made


async def run(sizes: list[int]) -> list[dict[str, Any]]:
    """Measure every size on one broker (started here unless KAFKA_BOOTSTRAP_SERVERS is set)."""
    rows = []
    with bench_broker() as broker, tempfile.TemporaryDirectory(prefix="bench-restart-") as work:
        client = broker.client()
        for size in sizes:
            row = await one_size(str(broker.settings.bootstrap_servers), client, size, Path(work))
            print(json.dumps(row), flush=True)
            rows.append(row)
    return rows


def write(rows: list[dict[str, Any]], out: Path) -> None:
    """JSON, Markdown and plots into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "restart.json").write_text(json.dumps(rows, indent=2))
    (out / "restart.md").write_text(markdown(rows))
    plot(rows, out)


def main(argv: list[str] | None = None) -> None:
    """Entry point."""
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 100_000, 300_000])
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args(argv)
    rows = asyncio.run(run(args.sizes))
    write(rows, args.out)
    print(markdown(rows))
    print(f"written to {args.out}: restart.json, restart.md, restart-vs-history.png, rss-vs-history.png")


if __name__ == "__main__":
    main()
