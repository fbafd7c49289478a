"""Where the time goes: cProfile of each service under load, and of the audit's verify.

    .venv/bin/python -m benchmarks.profiles [--seconds 10] [--out benchmarks/results]

- Both services as child processes under ``python -m cProfile`` (their profile is written when they
  exit on SIGTERM), driven by closed-loop HTTP ``open`` commands (each becomes one interview event and
  one verdict revision): what bounds HTTP commands/s and command→verdict latency.
- The decision service projecting a backlog in process (``benchmarks.decision --profile``).
- ``verify`` over a generated history in process.

Each profile is reduced to its top functions by own time; the ``.prof`` files are kept in ``--out``.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.broker import bench_broker
from benchmarks.http_load import HttpLoad
from schemas.topics import Topics
from services.platform.topics import ensure_topics
from testkit.auth import service_headers
from testkit.processes import COMMANDS, Child, services


def top_costs(stats: pstats.Stats, count: int = 15) -> list[dict[str, Any]]:
    """The functions with the most own time (tottime), with calls, cumulative time and share of all."""
    table: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    total = sum(row[2] for row in table.values()) or 1.0
    ranked = sorted(table.items(), key=lambda item: item[1][2], reverse=True)[:count]
    rows: list[dict[str, Any]] = []
    for (path, line, name), (_, calls, own, cumulative, _) in ranked:
        where = f"{Path(path).parent.name}/{Path(path).name}:{line}" if line else path
        rows.append(
            {
                "function": f"{name} ({where})",
                "calls": calls,
                "own_s": own,
                "cum_s": cumulative,
                "own_share": own / total,
            }
        )
    return rows


def top_cumulative(stats: pstats.Stats, count: int = 12) -> list[dict[str, Any]]:
    """The project's and the Kafka client's functions with the most cumulative time, below the entry points.

    Functions holding 80 % or more of the longest cumulative time (``main``, the event loop) are left
    out: what remains says which part of the work the time went to.
    """
    table: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    total = sum(row[2] for row in table.values()) or 1.0
    longest = max((row[3] for row in table.values()), default=1.0)
    mine = ("/services/", "/schemas/", "/aiokafka/")
    ranked = sorted(
        (
            (key, row)
            for key, row in table.items()
            if any(m in key[0] for m in mine) and row[3] < 0.8 * longest
        ),
        key=lambda item: item[1][3],
        reverse=True,
    )[:count]
    rows: list[dict[str, Any]] = []
    for (path, line, name), (_, calls, own, cumulative, _) in ranked:
        where = f"{Path(path).parent.name}/{Path(path).name}:{line}"
        rows.append({"function": f"{name} ({where})", "calls": calls, "own_s": own, "cum_s": cumulative,
                     "own_share": own / total, "cum_share": cumulative / total})  # fmt: skip
    return rows


def markdown(costs: list[dict[str, Any]], count: int = 10) -> str:
    """A top-costs list as a Markdown table."""
    head = "| function | calls | own s | share of own time | cumulative s |\n|---|---|---|---|---|\n"
    rows = [
        f"| `{c['function']}` | {c['calls']:,} | {c['own_s']:.2f} | {c['own_share']:.0%} | {c['cum_s']:.2f} |"
        for c in costs[:count]
    ]
    return head + "\n".join(rows) + "\n"


@dataclass
class ProfiledChild(Child):
    """A service process run under ``python -m cProfile -o <profile>``."""

    profile: Path = field(default=Path("service.prof"))

    def start(self) -> ProfiledChild:
        """Start the process under cProfile (its log appended to ``log``)."""
        command = [sys.executable, "-m", "cProfile", "-o", str(self.profile), *COMMANDS[self.name][1:]]
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                command, env={**os.environ, **self.env}, stdout=out, stderr=subprocess.STDOUT
            )
        self.started = time.monotonic()
        return self


async def _drive(base: str, clients: int, seconds: float) -> int:
    """Closed-loop ``open`` commands for ``seconds``; how many were accepted."""
    from benchmarks.latency import closed_loop, open_request

    run, http = uuid.uuid4().hex[:6], HttpLoad(base, connections=clients, headers=service_headers())

    async def command(n: int) -> bool:
        return await http.send(open_request(http, f"prof-{run}-{n}")) == 201

    try:
        return int((await closed_loop(clients, seconds, command))["ok"])
    finally:
        await http.close()


async def services_under_load(
    bootstrap: str, client: dict[str, Any], work: Path, out: Path, seconds: float, clients: int
) -> dict[str, Any]:
    """Both services under cProfile while ``clients`` send commands for ``seconds``; their top costs."""
    topics = Topics(f"bench{uuid.uuid4().hex[:8]}.")
    await ensure_topics(client, topics, 6)
    plain = services(bootstrap, topics.prefix, 6, work / "state", work / "logs")
    kids = {
        name: ProfiledChild(
            c.name,
            c.port,
            {**c.env, f"{name.upper()}_LOG_LEVEL": "WARNING"},
            c.log,
            profile=out / f"{name}-service.prof",
        )
        for name, c in plain.items()
    }
    try:
        for child in kids.values():
            child.start()
        for child in kids.values():
            await asyncio.to_thread(child.wait_ready, 120)
        accepted = await _drive(kids["interview"].base, clients, seconds)
    finally:
        for child in kids.values():
            if child.proc is not None:
                await asyncio.to_thread(child.stop, 60)
    found = {name: child.profile for name, child in kids.items() if child.profile.exists()}
    result: dict[str, Any] = {"seconds": seconds, "clients": clients, "accepted": accepted}
    for name, path in found.items():
        result[f"{name}_service"] = top_costs(pstats.Stats(str(path)))
        result[f"{name}_service_cumulative"] = top_cumulative(pstats.Stats(str(path)))
    return result


def decision_backlog(out: Path, interviews: int) -> dict[str, Any]:
    """``benchmarks.decision --profile`` on a backlog of ``interviews`` interviews."""
    from benchmarks.decision import run

    path = out / "decision-projection.prof"
    figures = run(interviews, str(path))
    return {
        "events": figures["events"],
        "events_per_s_profiled": figures["service_events_per_s_from_ready"],
        "top": figures.get("top_costs", []),
        "cumulative": top_cumulative(pstats.Stats(str(path))),
    }


def audit_verify(out: Path, events: int) -> dict[str, Any]:
    """``verify`` over about ``events`` generated events under cProfile."""
    from benchmarks.audit import history
    from services.audit.domain.verify import verify
    from services.audit.entrypoints.options import gc_paused

    interview, decision = history(events)
    profiler = cProfile.Profile()
    with gc_paused():
        profiler.enable()
        verify(interview, decision)
        profiler.disable()
    profiler.dump_stats(str(out / "audit-verify.prof"))
    stats = pstats.Stats(profiler)
    return {
        "events": len(interview) + len(decision),
        "top": top_costs(stats),
        "cumulative": top_cumulative(stats),
    }


def run(
    out: Path, seconds: float = 10, clients: int = 256, interviews: int = 400, audit_events: int = 20_000
) -> dict[str, Any]:
    """Every profile; the ``.prof`` files go to ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {}
    with bench_broker() as broker, tempfile.TemporaryDirectory(prefix="bench-profile-") as work:
        result["under_load"] = asyncio.run(
            services_under_load(
                str(broker.settings.bootstrap_servers), broker.client(), Path(work), out, seconds, clients
            )
        )
        result["projection"] = decision_backlog(out, interviews)
    result["audit"] = audit_verify(out, audit_events)
    return result


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Entry point: print the top costs, return them."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=256)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args(argv)
    result = run(args.out, args.seconds, args.clients)
    for name, costs in (("interview service under load", result["under_load"].get("interview_service")),
                        ("decision service under load", result["under_load"].get("decision_service")),
                        ("decision projection (backlog)", result["projection"]["top"]),
                        ("audit verify", result["audit"]["top"])):  # fmt: skip
        print(f"\n## {name}\n{markdown(costs or [])}")
    (args.out / "profiles.json").write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
