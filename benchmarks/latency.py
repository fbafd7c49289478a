"""Command→verdict latency at fixed offered rates, and HTTP commands/s of one interview process.

    .venv/bin/python -m benchmarks.latency [--rates 50 200 500] [--seconds 10] [--clients 32 256]

Both services run as child processes on one broker (``KAFKA_BOOTSTRAP_SERVERS`` or the local one).
For each offered rate, ``POST /interviews/{id}/open`` is sent on a timer (open loop: a send never
waits for an earlier answer) for a new interview each time; measured per command, from its *scheduled*
send time (so a late sender counts against the figure, no coordinated omission):

- HTTP latency: until the 201 answer;
- command→verdict latency: until revision 1 of that interview's verdicts is visible to a
  read_committed consumer of ``decision.events`` (every open produces exactly one revision).

Baselines at the same offered rates, in the same run: ``GET /healthz`` of the same interview process
(the HTTP stack and this client, no command), and one Kafka hop (an idempotent ``acks=all`` produce
seen by a read_committed consumer; the pipeline makes three such hops, two of them transactional).
Then one interview process's HTTP ceiling: for each ``--clients`` count, that many concurrent clients
in a closed loop sending ``open`` commands, against the same clients on ``GET /healthz``. The load
generator is ``benchmarks.http_load`` (raw keep-alive HTTP/1.1), cheap enough not to be the limit.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer, TopicPartition

from benchmarks.broker import bench_broker
from benchmarks.http_load import HttpLoad
from schemas.topics import Topics
from services.launcher.samples import OPEN
from services.platform.log_reader import partitions_of, reader
from services.platform.topics import ensure_topics
from testkit.auth import service_headers
from testkit.processes import Child, services

PARTITIONS = 6
OPEN_BODY: dict[str, Any] = {"actor_id": "alice", "expected_version": 0} | OPEN | {"round": "technical"}


def percentiles(values: list[float]) -> dict[str, float | None]:
    """p50/p95/p99/max in milliseconds of values in seconds (None when there are none)."""
    if len(values) < 2:
        return {"p50_ms": None, "p95_ms": None, "p99_ms": None, "max_ms": None}
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {"p50_ms": cuts[49] * 1000, "p95_ms": cuts[94] * 1000, "p99_ms": cuts[98] * 1000,
            "max_ms": max(values) * 1000}  # fmt: skip


@dataclass
class Watcher:
    """A read_committed consumer of a topic that notes when each key is first seen."""

    client: dict[str, Any]
    topic: str
    seen: dict[bytes, float] = field(default_factory=dict)
    _task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Assign every partition at its end, then follow."""
        consumer = reader(self.client, fetch_max_wait_ms=100)
        await consumer.start()
        tps = [TopicPartition(self.topic, p) for p in await partitions_of(self.client, self.topic)]
        consumer.assign(tps)
        await consumer.seek_to_end(*tps)
        for tp in tps:
            await consumer.position(tp)
        self._task = asyncio.create_task(self._follow(consumer))

    async def _follow(self, consumer: Any) -> None:
        try:
            while True:
                batch = await consumer.getmany(timeout_ms=100)
                now = time.perf_counter()
                for records in batch.values():
                    for r in records:
                        if r.key is not None:
                            self.seen.setdefault(r.key, now)
        finally:
            await consumer.stop()

    async def stop(self) -> None:
        """Cancel the follower (its consumer is stopped)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def wait_for(self, keys: list[bytes], timeout: float) -> None:
        """Until every key was seen or ``timeout`` seconds passed."""
        deadline = time.perf_counter() + timeout
        while any(k not in self.seen for k in keys) and time.perf_counter() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.05)


async def offer(
    rate: float, seconds: float, send: Callable[[int, float], Coroutine[Any, Any, None]]
) -> dict[str, float]:
    """Call ``send(i, due)`` at ``rate`` per second for ``seconds`` without waiting for earlier calls."""
    count = int(rate * seconds)
    tasks: list[asyncio.Task[None]] = []
    began = time.perf_counter() + 0.05
    worst_lag = 0.0
    for i in range(count):
        due = began + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        else:
            worst_lag = max(worst_lag, -delay)
        tasks.append(asyncio.create_task(send(i, due)))
    sent_in = time.perf_counter() - began
    await asyncio.gather(*tasks)
    return {
        "offered": count,
        "offered_per_s": rate,
        "sent_in_s": sent_in,
        "worst_sender_lag_ms": worst_lag * 1000,
    }


def open_request(http: HttpLoad, interview_id: str) -> bytes:
    """``POST /interviews/{id}/open`` for a new interview (revision 1 of its verdicts follows)."""
    key = {"Idempotency-Key": interview_id}
    return http.encode("POST", f"/interviews/{interview_id}/open", OPEN_BODY, key)


async def command_rate(
    http: HttpLoad, watcher: Watcher, rate: float, seconds: float, drain: float, kids: dict[str, Child]
) -> dict[str, Any]:
    """Open-loop ``open`` commands: HTTP and command→verdict latency from the scheduled send."""
    run = uuid.uuid4().hex[:6]
    due_at: dict[bytes, float] = {}
    accepted: list[bytes] = []
    http_s: list[float] = []
    statuses: dict[str, int] = {}
    last = [0.0]

    async def send(i: int, due: float) -> None:
        iid = f"lat-{run}-{i}"
        due_at[iid.encode()] = due
        try:
            status = str(await http.send(open_request(http, iid)))
        except (TimeoutError, OSError, asyncio.IncompleteReadError) as exc:
            status = type(exc).__name__
        statuses[status] = statuses.get(status, 0) + 1
        if status == "201":
            last[0] = time.perf_counter()
            http_s.append(last[0] - due)
            accepted.append(iid.encode())

    batches = await asyncio.to_thread(kids["interview"].metric, "interview_batch_seconds_count")
    meter, first = CpuMeter(kids), time.perf_counter()
    sent = await offer(rate, seconds, send)
    cores = meter.cores()
    await watcher.wait_for(accepted, drain)
    batches = await asyncio.to_thread(kids["interview"].metric, "interview_batch_seconds_count") - batches
    verdict_s = [watcher.seen[k] - due_at[k] for k in accepted if k in watcher.seen]
    return {
        **sent,
        "statuses": statuses,
        "http_201": percentiles(http_s),
        "verdict": percentiles(verdict_s),
        "verdicts_seen": len(verdict_s),
        "verdicts_missing": len(accepted) - len(verdict_s),
        "cpu_cores_while_sending": cores,
        "commands_per_writer_transaction": len(accepted) / batches if batches else None,
        "achieved_per_s": len(http_s) / (last[0] - first) if last[0] > first else 0.0,
    }


async def healthz_rate(http: HttpLoad, rate: float, seconds: float) -> dict[str, Any]:
    """Baseline: ``GET /healthz`` of the same process at the same offered rate."""
    took: list[float] = []
    request = http.encode("GET", "/healthz")

    async def send(_: int, due: float) -> None:
        with contextlib.suppress(OSError, asyncio.TimeoutError, asyncio.IncompleteReadError):
            if await http.send(request) == 200:
                took.append(time.perf_counter() - due)

    sent = await offer(rate, seconds, send)
    return {**sent, "ok": len(took), "http_200": percentiles(took)}


async def kafka_hop_rate(client: dict[str, Any], topic: str, rate: float, seconds: float) -> dict[str, Any]:
    """Baseline: one produce (idempotent, acks=all) until a read_committed consumer sees it."""
    watcher = Watcher(client, topic)
    await watcher.start()
    producer = AIOKafkaProducer(enable_idempotence=True, acks="all", linger_ms=0, **client)
    await producer.start()
    run = uuid.uuid4().hex[:6]
    due_at: dict[bytes, float] = {}
    try:

        async def send(i: int, due: float) -> None:
            key = f"hop-{run}-{i}".encode()
            due_at[key] = due
            await producer.send(topic, b"{}", key=key)

        sent = await offer(rate, seconds, send)
        await watcher.wait_for(list(due_at), 10)
    finally:
        await producer.stop()
        await watcher.stop()
    hop = [watcher.seen[k] - due_at[k] for k in due_at if k in watcher.seen]
    return {**sent, "seen": len(hop), "hop": percentiles(hop)}


async def closed_loop(
    clients: int, seconds: float, request: Callable[[int], Awaitable[bool]]
) -> dict[str, Any]:
    """``clients`` concurrent loops of ``request`` for ``seconds``: successful requests per second."""
    stop_at = time.perf_counter() + seconds
    counts = [0, 0]  # ok, failed

    async def loop(worker: int) -> None:
        n = 0
        while time.perf_counter() < stop_at:
            try:
                ok = await request(worker * 1_000_000 + n)
            except (TimeoutError, OSError, asyncio.IncompleteReadError):
                ok = False
            counts[0 if ok else 1] += 1
            n += 1

    began = time.perf_counter()
    await asyncio.gather(*(loop(w) for w in range(clients)))
    took = time.perf_counter() - began
    return {
        "clients": clients,
        "seconds": took,
        "ok": counts[0],
        "failed": counts[1],
        "per_s": counts[0] / took,
    }


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy (all cores; not idle or iowait)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(values) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """Cores used over an interval: each service, this process (the load generator), the machine."""

    def __init__(self, kids: dict[str, Child]) -> None:
        self.pids = {name: child.proc.pid for name, child in kids.items() if child.proc is not None}
        self.began = time.perf_counter()
        self.start = self._now()

    def _now(self) -> dict[str, float]:
        now = {name: cpu_seconds(pid) for name, pid in self.pids.items()}
        return now | {"load_generator": time.process_time(), "machine": machine_busy_seconds()}

    def cores(self) -> dict[str, float]:
        """Cores used by each since the meter started (1.0 = one core busy)."""
        took, end = time.perf_counter() - self.began, self._now()
        used = {name: (end[name] - self.start[name]) / took for name in end}
        used["rest_of_machine"] = used["machine"] - sum(v for k, v in used.items() if k != "machine")
        return used


async def http_ceiling(
    http: HttpLoad, kids: dict[str, Child], clients: int, seconds: float
) -> dict[str, Any]:
    """HTTP commands/s of one interview process (closed loop), against ``GET /healthz`` the same way.

    Also the cores each process and the whole machine used meanwhile (the rest: the broker and any
    other work on the machine), and how many commands each writer transaction carried
    (``interview_batch_seconds`` count): what bounds the figure.
    """
    server, run = kids["interview"], uuid.uuid4().hex[:6]
    health = http.encode("GET", "/healthz")

    async def command(n: int) -> bool:
        return await http.send(open_request(http, f"tp-{run}-{n}")) == 201

    async def healthz(_: int) -> bool:
        return await http.send(health) == 200

    batches = await asyncio.to_thread(server.metric, "interview_batch_seconds_count")
    meter = CpuMeter(kids)
    commands = await closed_loop(clients, seconds, command)
    commands["cpu_cores"] = meter.cores()
    commands["server_cpu_cores"] = commands["cpu_cores"]["interview"]
    commands["server_cpu_ms_per_command"] = _cpu_ms_per_request(commands)
    batches = await asyncio.to_thread(server.metric, "interview_batch_seconds_count") - batches
    commands["writer_batches"] = batches
    commands["commands_per_batch"] = commands["ok"] / batches if batches else None
    meter = CpuMeter(kids)
    base = await closed_loop(clients, seconds, healthz)
    base["cpu_cores"] = meter.cores()
    base["server_cpu_cores"] = base["cpu_cores"]["interview"]
    base["server_cpu_ms_per_command"] = _cpu_ms_per_request(base)
    return {"commands": commands, "healthz": base, "ratio": commands["per_s"] / base["per_s"]}


def _cpu_ms_per_request(run: dict[str, Any]) -> float | None:
    """Milliseconds of the interview process's CPU per successful request of a closed-loop run."""
    return run["server_cpu_cores"] * run["seconds"] * 1000 / run["ok"] if run["ok"] else None


def start_both(kids: dict[str, Child]) -> None:
    """Start both services and wait until each is ready."""
    for child in kids.values():
        child.start()
    for child in kids.values():
        child.wait_ready(timeout=120)


def stop_all(kids: dict[str, Child]) -> None:
    """Stop every child started (by pid)."""
    for child in kids.values():
        if child.proc is not None:
            child.stop(timeout=30)


async def measure(
    bootstrap: str,
    client: dict[str, Any],
    work: Path,
    *,
    rates: list[float],
    seconds: float,
    clients: list[int],
    ceiling_seconds: float,
) -> dict[str, Any]:
    """Every figure, on fresh topics, both services started here and stopped at the end."""
    topics = Topics(f"bench{uuid.uuid4().hex[:8]}.")
    await ensure_topics(client, topics, PARTITIONS)
    hop = Topics(f"{topics.prefix}hop.")
    await ensure_topics(client, hop, PARTITIONS)
    hop_topic = hop.interview_events
    kids = services(bootstrap, topics.prefix, PARTITIONS, work / "state", work / "logs")
    for child in kids.values():
        child.env[f"{child.name.upper()}_LOG_LEVEL"] = "WARNING"
    rows: list[dict[str, Any]] = []
    try:
        await asyncio.to_thread(start_both, kids)
        http = HttpLoad(kids["interview"].base, connections=1000, headers=service_headers())
        try:
            watcher = Watcher(client, topics.decision_events)
            await watcher.start()
            try:
                await command_rate(
                    http, watcher, 20, 2, drain=10, kids=kids
                )  # warm-up: connections, first txns
                for rate in rates:
                    row: dict[str, Any] = {"rate": rate}
                    row["commands"] = await command_rate(http, watcher, rate, seconds, drain=15, kids=kids)
                    row["healthz"] = await healthz_rate(http, rate, seconds)
                    row["kafka_hop"] = await kafka_hop_rate(client, hop_topic, rate, seconds)
                    print(json.dumps(row), flush=True)
                    rows.append(row)
            finally:
                await watcher.stop()
            ceiling = []
            for count in clients:
                ceiling.append(await http_ceiling(http, kids, count, ceiling_seconds))
                print(json.dumps({"http_ceiling": ceiling[-1]}), flush=True)
        finally:
            await http.close()
        rss = {name: child.rss_mb() for name, child in kids.items()}
    finally:
        await asyncio.to_thread(stop_all, kids)
    return {"partitions": PARTITIONS, "seconds_per_rate": seconds, "rates": rows, "http_ceiling": ceiling,
            "rss_mb_after": rss}  # fmt: skip


def run(
    rates: list[float] | None = None,
    seconds: float = 10,
    clients: list[int] | None = None,
    ceiling_seconds: float = 10,
) -> dict[str, Any]:
    """Get a broker (KAFKA_BOOTSTRAP_SERVERS or the local one) and measure once."""
    with bench_broker() as broker, tempfile.TemporaryDirectory(prefix="bench-latency-") as work:
        return asyncio.run(
            measure(
                str(broker.settings.bootstrap_servers),
                broker.client(),
                Path(work),
                rates=[50, 200, 500] if rates is None else rates,
                seconds=seconds,
                clients=clients or [32, 256],
                ceiling_seconds=ceiling_seconds,
            )
        )


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def _cores(run: dict[str, Any]) -> str:
    """Cores used: the interview process, the decision process, this load generator, the rest, all."""
    c = run.get("cpu_cores")
    if not c:
        return f"interview CPU {run['server_cpu_cores']:.2f} cores"
    return (
        f"cores used: interview {c['interview']:.2f}, decision {c['decision']:.2f}, load generator "
        f"{c['load_generator']:.2f}, broker and the rest {c['rest_of_machine']:.2f}, "
        f"machine {c['machine']:.2f} of {os.cpu_count()}"
    )


def _trio(p: dict[str, Any]) -> str:
    return f"{_ms(p['p50_ms'])} / {_ms(p['p95_ms'])} / {_ms(p['p99_ms'])}"


def markdown(figures: dict[str, Any]) -> str:
    """Per rate: achieved rate, HTTP and verdict percentiles, and the baselines; then the ceiling."""
    head = (
        "| offered (cmd/s) | answered 201 (/s) | HTTP 201 p50/p95/p99 (ms) "
        "| command→verdict p50/p95/p99 (ms) | verdicts missing | baseline /healthz p50/p95/p99 (ms) "
        "| baseline Kafka hop p50/p95/p99 (ms) "
        "| p99 verdict / p99 Kafka hop |\n|---|---|---|---|---|---|---|---|\n"
    )
    lines = []
    for row in figures["rates"]:
        c, h, k = row["commands"], row["healthz"]["http_200"], row["kafka_hop"]["hop"]
        v = c["verdict"]
        ratio = f"{v['p99_ms'] / k['p99_ms']:.0f}x" if v["p99_ms"] and k["p99_ms"] else "-"
        lines.append(
            f"| {row['rate']:.0f} | {c['achieved_per_s']:,.0f} | {_trio(c['http_201'])} | {_trio(v)} | "
            f"{c['verdicts_missing']} | {_trio(h)} | {_trio(k)} | {ratio} |"
        )
    tail = ""
    for ceiling in figures["http_ceiling"]:
        c, h = ceiling["commands"], ceiling["healthz"]
        per_batch = f"{c['commands_per_batch']:.1f}" if c["commands_per_batch"] else "-"
        cpu = c.get("server_cpu_ms_per_command")
        per_command = f"{cpu:.2f} ms of interview CPU per command; " if cpu else ""
        tail += (
            f"\nOne interview process, {c['clients']} clients in a closed loop: {c['per_s']:,.0f} HTTP "
            f"commands/s (201; {per_batch} commands per writer transaction; {per_command}{_cores(c)}) "
            f"against "
            f"{h['per_s']:,.0f} GET /healthz/s ({_cores(h)}), ratio {ceiling['ratio']:.2f}.\n"
        )
    return head + "\n".join(lines) + "\n" + tail


def plot(figures: dict[str, Any], out: Path) -> Path:
    """Latency percentiles against offered rate, with the baselines."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = figures["rates"]
    rates = [r["rate"] for r in rows]
    fig, axes = plt.subplots(1, 3, figsize=(13, 4), sharey=True)
    series: tuple[tuple[str, tuple[str, str] | None], ...] = (
        ("command→verdict", ("commands", "verdict")),
        ("HTTP 201", ("commands", "http_201")),
        ("baselines", None),
    )
    for ax, (title, pick) in zip(axes, series, strict=True):
        if pick is not None:
            for p in ("p50_ms", "p95_ms", "p99_ms"):
                ax.plot(rates, [r[pick[0]][pick[1]][p] for r in rows], marker="o", label=p.split("_")[0])
        else:
            for label, (a, b) in (
                ("GET /healthz", ("healthz", "http_200")),
                ("Kafka hop", ("kafka_hop", "hop")),
            ):
                ax.plot(rates, [r[a][b]["p50_ms"] for r in rows], marker="o", label=f"{label} p50")
                ax.plot(rates, [r[a][b]["p99_ms"] for r in rows], marker="s", ls="--", label=f"{label} p99")
        ax.axhline(50, color="grey", lw=0.8, ls=":")
        ax.set_title(title)
        ax.set_xlabel("offered commands/s")
        ax.set_yscale("log")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    axes[0].set_ylabel("latency (ms, log); dotted: 50 ms target")
    fig.tight_layout()
    path = out / "latency-vs-rate.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Entry point: print the table, return the figures."""
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument(
        "--rates", type=float, nargs="*", default=[50, 200, 500], help="None given: only the HTTP ceiling."
    )
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, nargs="+", default=[32, 256])
    parser.add_argument("--ceiling-seconds", type=float, default=10)
    parser.add_argument("--out", type=Path, default=None, help="Also write latency.json/.md/.png here.")
    args = parser.parse_args(argv)
    figures = run(args.rates, args.seconds, args.clients, args.ceiling_seconds)
    print(markdown(figures))
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "latency.json").write_text(json.dumps(figures, indent=2))
        (args.out / "latency.md").write_text(markdown(figures))
        plot(figures, args.out)
    return figures


if __name__ == "__main__":
    main()
