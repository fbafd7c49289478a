"""The whole benchmark suite on one broker: every figure against a baseline measured in the same run.

    .venv/bin/python -m benchmarks --out benchmarks/results [--quick] [--only latency audit ...]

Sections, in order: restart (time to ready and RSS against history), projection (decision service
against a raw consumer and a raw transactional copy), peers (the decision service against a Quix Streams
application reaching the same decisions and raw consumers, each its own process: events/s, CPU per
event, peak RSS, records and bytes written per input event per topic), interview (writer over Kafka
against a raw transactional produce), transactions (back-to-back transactions on one producer: the floor
of each exactly-once step), latency (HTTP and command→verdict at fixed offered rates; HTTP ceiling of
one process), audit (verify against decode only), instances (1, 2, 3 processes per
decision projector role; 1 against 2 writers), shadow (the verdict projector with policy v2 in shadow
against without, ADR 0024),
profiles (cProfile of each service under load, of the projection and of verify: what bounds each
figure). One broker is started for all of them (or ``KAFKA_BOOTSTRAP_SERVERS`` is used); every process a
section starts is stopped by pid before the next one.

Writes ``results.json`` (every figure, the commit, the machine's load around each section),
``results.md`` (headline table with targets, then each section's table) and PNG plots into ``--out``.
``--quick`` sizes finish in about 25 minutes on a 2-core machine. ``--record`` appends the run's
headline figures to ``docs/benchmarks/history.jsonl`` and regenerates the "Figures by commit" table
in docs/benchmarks.md (``benchmarks.history``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks import (
    audit,
    decision,
    history,
    instances,
    interview,
    latency,
    peers,
    profiles,
    restart,
    shadow,
    transactions,
)
from benchmarks.broker import bench_broker

ROOT = Path(__file__).resolve().parents[1]
SECTIONS = (
    "restart", "projection", "peers", "interview", "transactions", "latency", "audit", "instances",
    "shadow", "profiles",
)  # fmt: skip

QUICK: dict[str, Any] = {
    "restart_sizes": [20_000, 100_000, 300_000],
    "projection_interviews": 1250,
    "peers_events": 100_000,
    "interview_commands": 10_000,
    "latency_rates": [50, 200, 500],
    "latency_seconds": 10,
    "latency_clients": [32, 256],
    "audit_events": 100_000,
    "instances_events": 40_000,
    "instances_commands": 10_000,
    "profile_seconds": 10,
    "shadow_interviews": 600,
}
FULL: dict[str, Any] = QUICK | {
    "restart_sizes": [20_000, 100_000, 300_000, 1_000_000],
    "projection_interviews": 6250,
    "peers_events": 200_000,
    "interview_commands": 50_000,
    "latency_seconds": 30,
    "audit_events": 1_000_000,
    "instances_events": 200_000,
    "instances_commands": 30_000,
    "profile_seconds": 20,
}


def commit() -> dict[str, Any]:
    """The commit measured, and whether the work tree differed from it in shipped code."""
    git = ["git", "-C", str(ROOT)]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False)
    dirty = subprocess.run([*git, "status", "--porcelain", "--", "services", "schemas"], capture_output=True,
                           text=True, check=False)  # fmt: skip
    changed = [line[3:] for line in dirty.stdout.splitlines()]
    return {"commit": head.stdout.strip(), "uncommitted_service_files": changed}


def loadavg() -> list[float]:
    """The machine's 1, 5 and 15 minute load averages (other work on the same cores)."""
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


def sections(cfg: dict[str, Any], out: Path) -> dict[str, Callable[[], Any]]:
    """Each section as a call returning its figures."""
    return {
        "restart": lambda: restart_section(cfg["restart_sizes"], out),
        "projection": lambda: decision.run(cfg["projection_interviews"]),
        "peers": lambda: peers.run(peers.interviews_for(cfg["peers_events"]), out),
        "interview": lambda: interview.run(cfg["interview_commands"], interviews=100, partitions=6),
        "transactions": lambda: transactions.run(150),
        "latency": lambda: latency.run(cfg["latency_rates"], cfg["latency_seconds"], cfg["latency_clients"]),
        "audit": lambda: audit.run(cfg["audit_events"]),
        "instances": lambda: instances.run(cfg["instances_events"], cfg["instances_commands"]),
        "shadow": lambda: shadow.run(cfg["shadow_interviews"]),
        "profiles": lambda: profiles.run(out / "profiles", cfg["profile_seconds"]),
    }


def restart_section(sizes: list[int], out: Path) -> list[dict[str, Any]]:
    """``benchmarks.restart`` over ``sizes``; its JSON, table and plots into ``out``."""
    import asyncio

    rows = asyncio.run(restart.run(sizes))
    restart.write(rows, out)
    return rows


def run(cfg: dict[str, Any], out: Path, only: list[str]) -> dict[str, Any]:
    """Every chosen section on one broker; ``results.json`` rewritten after each."""
    out.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {**commit(), "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                               "cpus": os.cpu_count(), "config": cfg, "sections": {}}  # fmt: skip
    with bench_broker() as broker:
        os.environ["KAFKA_BOOTSTRAP_SERVERS"] = str(broker.settings.bootstrap_servers)
        results["broker"] = broker.kind
        calls = sections(cfg, out)
        for name in [s for s in SECTIONS if s in only]:
            print(f"\n=== {name} ===", flush=True)
            began, load = time.monotonic(), loadavg()
            entry: dict[str, Any] = {"loadavg_before": load}
            try:
                entry["figures"] = calls[name]()
            except Exception as exc:  # one section failing must not lose the others
                traceback.print_exc()
                entry["error"] = f"{type(exc).__name__}: {exc}"
            entry["seconds"] = time.monotonic() - began
            entry["loadavg_after"] = loadavg()
            results["sections"][name] = entry
            (out / "results.json").write_text(json.dumps(results, indent=2))
    return results


def figures(results: dict[str, Any], name: str) -> Any:
    """A section's figures, or None when it did not run or failed."""
    return results["sections"].get(name, {}).get("figures")


def _row(what: str, value: str, base: str, ratio: float | None, target: str, met: bool | None) -> str:
    verdict = {True: "met", False: "**missed**", None: "-"}[met]
    shown = "-" if ratio is None else f"{ratio:.2f}"
    return f"| {what} | {value} | {base} | {shown} | {target} | {verdict} |"


def headline(results: dict[str, Any]) -> str:
    """Every headline figure with its baseline, the ratio and issue 9's target."""
    rows = []
    if p := figures(results, "projection"):
        rate = p["service_events_per_s_from_ready"]
        rows.append(
            _row(
                f"decision projection, {p['events']:,} events",
                f"{rate:,.0f} events/s",
                f"{p['raw_consumer_events_per_s']:,.0f} events/s raw read_committed consumer",
                p["ratio_to_raw_consumer"],
                "≥ ~20,000 events/s, on the way to 0.5",
                rate >= 20_000,
            )
        )
        rows.append(
            _row(
                "decision projection (same run)",
                f"{rate:,.0f} events/s",
                f"{p['raw_copy_events_per_s']:,.0f} events/s raw transactional consume-produce copy",
                p["ratio_to_raw_copy"],
                "-",
                None,
            )
        )
    rows += [_row(*r) for r in peers.headline(figures(results, "peers"))]
    if w := figures(results, "interview"):
        rows.append(
            _row(
                f"interview writer over Kafka, {w['commands']:,} commands",
                f"{w['writer_commands_per_s']:,.0f} commands/s",
                f"{w['baseline_commands_per_s']:,.0f} commands/s of the same records produced "
                "transactionally",
                w["ratio"],
                "-",
                None,
            )
        )
    if lat := figures(results, "latency"):
        best = max(lat["http_ceiling"], key=lambda c: c["commands"]["per_s"])
        c, h = best["commands"], best["healthz"]
        rows.append(
            _row(
                f"HTTP commands/s, one interview process ({c['clients']} clients, closed loop)",
                f"{c['per_s']:,.0f} commands/s",
                f"{h['per_s']:,.0f} GET /healthz/s, same clients",
                best["ratio"],
                "≥ 2,000 commands/s",
                c["per_s"] >= 2000,
            )
        )
        for r in lat["rates"]:
            v, k = r["commands"]["verdict"], r["kafka_hop"]["hop"]
            if v["p99_ms"] is None:
                continue
            ratio = v["p99_ms"] / k["p99_ms"] if k["p99_ms"] else None
            target = "≤ 50 ms at 500 commands/s" if r["rate"] == 500 else "-"
            met = v["p99_ms"] <= 50 if r["rate"] == 500 else None
            rows.append(
                _row(
                    f"p99 command→verdict at {r['rate']:.0f} commands/s offered "
                    f"({r['commands']['achieved_per_s']:,.0f}/s answered)",
                    f"{v['p99_ms']:,.0f} ms",
                    f"{k['p99_ms']:,.1f} ms p99 of one Kafka hop at the same rate",
                    ratio,
                    target,
                    met,
                )
            )
    if a := figures(results, "audit"):
        rows.append(
            _row(
                f"audit verify, {a['events']:,} events",
                f"{a['verify_events_per_s']:,.0f} events/s ({a['seconds_for_1m_events']:,.0f} s per 1 M)",
                f"{a['baseline_decode_events_per_s']:,.0f} events/s decode only",
                a["ratio"],
                "1 M events in ≤ 10 s",
                a["seconds_for_1m_events"] <= 10,
            )
        )
    if rs := figures(results, "restart"):
        last = rs[-1]
        for service in ("interview", "decision"):
            ready = last["same_disk"][service]["ready_s"]
            rows.append(
                _row(
                    f"{service} restart to ready, {last['events']:,} events, same disk",
                    f"{ready:.1f} s, {last['same_disk'][service]['rss_mb']:.0f} MB RSS",
                    f"{last['raw_read_s']:.1f} s raw read of the history",
                    ready / last["raw_read_s"] if last["raw_read_s"] else None,
                    "≤ 10 s at 1 M events",
                    ready <= 10 if last["events"] >= 1_000_000 else None,
                )
            )
    if i := figures(results, "instances"):
        d, wr = i["decision"], i["interview"]
        for name in instances.ROLES:
            one, *more = d[name]
            for r in more:
                rows.append(_row(f"decision {name}, {r['processes']} processes (one group): CPU per event",
                                 f"{r['cpu_us_per_event']:,.0f} µs, {r['events_per_s']:,.0f} events/s",
                                 f"{one['cpu_us_per_event']:,.0f} µs with 1 process",
                                 r["cpu_per_event_to_one"], "flat (ratio ≈ 1)", None))  # fmt: skip
        rows.append(_row("interview writer, 2 instances (one group)", f"{wr['two']['commands_per_s']:,.0f} "
                         "commands/s", f"{wr['one']['commands_per_s']:,.0f} commands/s with 1 instance",
                         wr["ratio_two_to_one"], "-", None))  # fmt: skip
    if sh := figures(results, "shadow"):
        rows += [_row(*r) for r in shadow.headline(sh)]
    head = "| figure | measured | baseline (same run) | ratio | target (issues 9, 18) | |\n"
    head += "|---|---|---|---|---|---|\n"
    return head + "\n".join(rows) + "\n"


def markdown(results: dict[str, Any]) -> str:
    """``results.md``: the headline table, then each section's own table and profile."""
    parts = [
        f"# Benchmark results (commit {results['commit']}, {results['started']}, {results['cpus']} CPUs)\n"
    ]
    if results["uncommitted_service_files"]:
        parts.append(f"Uncommitted changes in: {', '.join(results['uncommitted_service_files'])}\n")
    parts.append(headline(results))
    if rs := figures(results, "restart"):
        parts.append("## Restart\n\n" + restart.markdown(rs))
    if pr := figures(results, "peers"):
        parts.append("## Peers: the same records, each consumer in its own process\n\n" + peers.markdown(pr))
    if tx := figures(results, "transactions"):
        parts.append("## Back-to-back transactions on one producer\n\n" + transactions.markdown(tx))
    if lat := figures(results, "latency"):
        parts.append("## Latency at fixed offered rates\n\n" + latency.markdown(lat))
    if i := figures(results, "instances"):
        parts.append("## Scale-out: 1, 2 and 3 processes per role\n\n" + instances.markdown(i))
    if prof := figures(results, "profiles"):
        load = prof["under_load"]
        listed = [
            (
                "interview service under HTTP load",
                load.get("interview_service"),
                load.get("interview_service_cumulative"),
            ),
            (
                "decision service under HTTP load",
                load.get("decision_service"),
                load.get("decision_service_cumulative"),
            ),
            (
                "decision projection of a backlog",
                prof["projection"]["top"],
                prof["projection"].get("cumulative"),
            ),
            ("audit verify", prof["audit"]["top"], prof["audit"].get("cumulative")),
        ]
        for title, own, cumulative in listed:
            parts.append(f"## Profile: {title}\n\nBy own time:\n\n" + profiles.markdown(own or []))
            parts.append(
                "By cumulative time (project and Kafka client code):\n\n"
                + profiles.markdown(cumulative or [])
            )
    failed = {name: s["error"] for name, s in results["sections"].items() if "error" in s}
    if failed:
        parts.append("## Failed sections\n\n" + "\n".join(f"- {n}: {e}" for n, e in failed.items()) + "\n")
    load = {n: (s["loadavg_before"][0], s["loadavg_after"][0]) for n, s in results["sections"].items()}
    parts.append("## Machine load (1-minute load average before / after each section)\n\n"
                 + ", ".join(f"{n} {b:.1f}/{a:.1f}" for n, (b, a) in load.items()) + "\n")  # fmt: skip
    return "\n".join(parts)


def plot_throughput(results: dict[str, Any], out: Path) -> Path | None:
    """Each throughput figure next to its baseline (log scale)."""
    pairs = []
    if p := figures(results, "projection"):
        pairs += [
            (
                "projection\nvs raw consumer",
                p["service_events_per_s_from_ready"],
                p["raw_consumer_events_per_s"],
            ),
            ("projection\nvs raw txn copy", p["service_events_per_s_from_ready"], p["raw_copy_events_per_s"]),
        ]
    if w := figures(results, "interview"):
        pairs.append(
            (
                "writer over Kafka\nvs raw txn produce",
                w["writer_commands_per_s"],
                w["baseline_commands_per_s"],
            )
        )
    if lat := figures(results, "latency"):
        best = max(lat["http_ceiling"], key=lambda c: c["commands"]["per_s"])
        pairs.append(("HTTP commands\nvs GET /healthz", best["commands"]["per_s"], best["healthz"]["per_s"]))
    if a := figures(results, "audit"):
        base = a["baseline_decode_events_per_s"]
        pairs.append(("audit verify\nvs decode only", a["verify_events_per_s"], base))
    if not pairs:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 4.5))
    xs = range(len(pairs))
    ax.bar([x - 0.2 for x in xs], [p[1] for p in pairs], width=0.4, label="measured")
    ax.bar([x + 0.2 for x in xs], [p[2] for p in pairs], width=0.4, label="baseline, same run")
    for x, (_, value, base) in zip(xs, pairs, strict=True):
        ax.annotate(f"{value / base:.2f}", (x - 0.2, value), ha="center", va="bottom", fontsize=8)
    ax.set_xticks(list(xs), [p[0] for p in pairs], fontsize=8)
    ax.set_yscale("log")
    ax.set_ylabel("per second (log)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    path = out / "throughput-vs-baseline.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write(results: dict[str, Any], out: Path) -> None:
    """``results.json``, ``results.md`` and the plots."""
    (out / "results.json").write_text(json.dumps(results, indent=2))
    (out / "results.md").write_text(markdown(results))
    if lat := figures(results, "latency"):
        latency.plot(lat, out)
    plot_throughput(results, out)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Entry point."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    parser.add_argument("--quick", action="store_true", help="Smaller sizes: the suite in about 20 minutes.")
    parser.add_argument("--only", nargs="+", choices=SECTIONS, default=list(SECTIONS))
    parser.add_argument("--sizes", type=int, nargs="+", help="History sizes of the restart section.")
    parser.add_argument("--record", action="store_true", help="Append the figures to the history per commit.")
    args = parser.parse_args(argv)
    cfg = dict(QUICK if args.quick else FULL)
    if args.sizes:
        cfg["restart_sizes"] = args.sizes
    results = run(cfg, args.out, args.only)
    write(results, args.out)
    print("\n" + headline(results))
    print(f"written to {args.out}: results.json, results.md, PNG plots")
    if args.record:
        print(f"{history.record(results)} figures recorded in {history.HISTORY}; table in {history.DOC}")
    return results


if __name__ == "__main__":
    main()
