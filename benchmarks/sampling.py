"""Where the interview process's CPU goes per HTTP command: py-spy samples under closed-loop HTTP load.

    .venv/bin/pip install py-spy    # a sampling profiler; not a project dependency
    .venv/bin/python -m benchmarks.sampling [--seconds 20] [--clients 256] [--out benchmarks/results]

Both services run as child processes on one broker (as in ``benchmarks.latency``). While ``--clients``
clients send ``POST .../open`` commands in a closed loop, py-spy samples the interview process (only
samples on CPU; the process runs at full speed, unlike under cProfile) and its CPU seconds are read
from /proc. Each sample is put in the first part of the command path found on its stack (the list
below, most specific first), so the shares add up to 100 %; times per command are share times the
process's CPU per accepted command. The process's CPU with no request at all (consumer polls, group
heartbeats) is read for 5 s before the load, and the CPU per command is also given net of it: on a
crowded machine few commands get through and that floor weighs on each of them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

from benchmarks.broker import bench_broker
from benchmarks.http_load import HttpLoad
from benchmarks.latency import PARTITIONS, closed_loop, cpu_seconds, open_request, start_both, stop_all
from schemas.topics import Topics
from services.platform.topics import ensure_topics
from testkit.auth import service_headers
from testkit.processes import services

VENV_SPY = Path(sys.executable).with_name("py-spy")
IDLE_S = 5.0
"""Seconds the process's CPU is read with no request, before the load."""
PARTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("HTTP: access check (bearer token, cached)", ("authorize (services/platform/auth.py",)),
    ("HTTP: command envelope", ("_envelope (services/interview",)),
    ("HTTP: produce the command record", ("CommandGateway._produce",)),
    ("HTTP: the answer (201 or problem)", ("_response (services/interview",)),
    ("HTTP: rest of submit (metrics, logging, waiting)", ("_submit (services/interview",)),
    ("HTTP: body parsing and validation", ("CommandLane._serve", "solve_dependencies")),
    ("HTTP: server writes the answer (uvicorn)", ("RequestResponseCycle.send",)),
    ("HTTP: FastAPI/Starlette routing, middleware", ("fastapi/", "starlette/", "http_limits.py", "lane.py")),
    ("HTTP: server (uvicorn, HTTP parsing)", ("uvicorn/",)),
    ("writer: parse and validate the command record", ("parse_command (services/interview",)),
    ("writer: seal text (AES-GCM)", ("InterviewHandler._sealed",)),
    ("writer: encode the event, chain hash (schemas)", ("event_record (services/interview", "chain_hash")),
    ("writer: decide, build the event, fold it (domain)", ("decide (services/interview/domain", "evolve (")),
    ("writer: result and request digest", ("accepted (services", "rejected (services", "result_record")),
    ("writer: state store (SQLite) and state JSON", ("PartitionStore.", "_Partition.", "dump_state")),
    ("writer: rest of the batch handler", ("InterviewHandler.",)),
    ("writer: produce and commit the transaction", ("TransactionalProcessor._transaction",)),
    ("writer: poll loop", ("TransactionalProcessor.",)),
    ("HTTP front: follow committed results", ("CommandGateway._follow",)),
    ("Kafka client in the background (sender, fetcher, group)", ("aiokafka/",)),
)


def breakdown(raw: Path) -> dict[str, int]:
    """Samples per part (``other``: the event loop itself and anything unmatched) of a py-spy raw file."""
    counts: dict[str, int] = {name: 0 for name, _ in PARTS} | {"other (event loop, GC)": 0}
    for line in raw.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        name = next((p for p, marks in PARTS if any(m in stack for m in marks)), "other (event loop, GC)")
        counts[name] += int(n)
    return counts


async def sample(seconds: float, clients: int, out: Path) -> dict[str, Any]:
    """Both services on fresh topics; py-spy on the interview process while clients send commands."""
    spy = shutil.which("py-spy") or str(VENV_SPY)
    with bench_broker() as broker, tempfile.TemporaryDirectory(prefix="bench-sampling-") as work:
        client = broker.client()
        topics = Topics(f"bench{uuid.uuid4().hex[:8]}.")
        await ensure_topics(client, topics, PARTITIONS)
        kids = services(str(broker.settings.bootstrap_servers), topics.prefix, PARTITIONS,
                        Path(work) / "state", Path(work) / "logs")  # fmt: skip
        for child in kids.values():
            child.env[f"{child.name.upper()}_LOG_LEVEL"] = "WARNING"
        try:
            await asyncio.to_thread(start_both, kids)
            server = kids["interview"]
            http = HttpLoad(server.base, connections=clients, headers=service_headers())
            run = uuid.uuid4().hex[:6]

            async def command(n: int) -> bool:
                return await http.send(open_request(http, f"spl-{run}-{n}")) == 201

            await closed_loop(clients, 3, command)  # warm-up: connections, first transactions
            assert server.proc is not None
            idle = cpu_seconds(server.proc.pid)
            await asyncio.sleep(IDLE_S)  # what the process burns with no request: polls, heartbeats
            idle = (cpu_seconds(server.proc.pid) - idle) / IDLE_S
            raw = out / "interview-http.pyspy.txt"
            recorder = await asyncio.create_subprocess_exec(
                spy, "record", "-p", str(server.proc.pid), "-d", str(int(seconds)), "-r", "100",
                "-f", "raw", "-o", str(raw), stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )  # fmt: skip
            cpu = cpu_seconds(server.proc.pid)
            loop = await closed_loop(clients, seconds, command)
            cpu = cpu_seconds(server.proc.pid) - cpu
            await recorder.wait()
            await http.close()
        finally:
            await asyncio.to_thread(stop_all, kids)
    counts = breakdown(raw)
    total = sum(counts.values()) or 1
    per_command_ms = cpu * 1000 / loop["ok"] if loop["ok"] else 0.0
    busy_ms = (cpu - idle * loop["seconds"]) * 1000 / loop["ok"] if loop["ok"] else 0.0
    parts = {name: {"share": n / total, "us_per_command": n / total * per_command_ms * 1000}
             for name, n in counts.items()}  # fmt: skip
    return {"clients": clients, "seconds": loop["seconds"], "commands_per_s": loop["per_s"],
            "cpu_ms_per_command": per_command_ms, "cpu_ms_per_command_net_of_idle": busy_ms,
            "idle_cores": idle, "samples": total, "parts": parts}  # fmt: skip


def markdown(figures: dict[str, Any]) -> str:
    """The parts as a table, largest first."""
    rows = sorted(figures["parts"].items(), key=lambda item: -item[1]["share"])
    lines = [f"| {name} | {p['share']:.1%} | {p['us_per_command']:,.0f} |" for name, p in rows if p["share"]]
    head = (
        f"{figures['commands_per_s']:,.0f} commands/s, {figures['cpu_ms_per_command']:.2f} ms of interview "
        f"CPU per command ({figures['cpu_ms_per_command_net_of_idle']:.2f} ms net of the "
        f"{figures['idle_cores']:.3f} cores it uses idle), {figures['samples']:,} samples\n\n"
        "| part of the command path | share of CPU samples | µs per command |\n|---|---|---|\n"
    )
    return head + "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Entry point: print the breakdown, write it as JSON next to the raw samples."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=256)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    figures = asyncio.run(sample(args.seconds, args.clients, args.out))
    print(markdown(figures))
    (args.out / "interview-http-sampling.json").write_text(json.dumps(figures, indent=2))
    return figures


if __name__ == "__main__":
    main()
