"""Verify throughput on a generated history, against a decode-only baseline over the same records.

    .venv/bin/python -m benchmarks.audit [N]      # N events, default 100000

The history is story-first and checklist interviews (``testkit.interviews``) on six
partitions, plus every revision the decision service publishes for them. "Events" counts interview
and decision records together (about 63 % / 37 %), as verify reads and checks both.
"""

from __future__ import annotations

import argparse
import resource
import time
from collections.abc import Callable
from typing import Any

from schemas.codec import decode_parts
from services.audit.domain.records import LogRecord, records_of
from services.audit.domain.verify import verify
from services.audit.entrypoints.options import gc_paused
from services.decision.domain.replay import project
from testkit.interviews import stream

EVENTS_PER_PAIR = 51
"""A story-first and a checklist interview: 32 interview events and 19 revisions."""


def history(n: int) -> tuple[list[LogRecord], list[LogRecord]]:
    """About ``n`` events (whole interviews): interview records and their published revisions."""
    pairs = -(-n // EVENTS_PER_PAIR)
    events = stream(2 * pairs, prefix="bench")
    return records_of(events, partitions=6), records_of(project(events), partitions=6)


def decode_all(records: list[LogRecord]) -> int:
    """The baseline: decode every record with the contract codec, nothing else."""
    for r in records:
        decode_parts(dict(r.attributes), r.value, r.key.encode() if r.key else None)
    return len(records)


CPU_S: dict[str, float] = {}
"""CPU-seconds of this process per label of the last ``timed`` runs (on a shared machine the wall
clock includes waiting for a core; CPU-seconds per event do not)."""


def timed(label: str, count: int, run: Callable[[], Any]) -> float:
    """Run once as the CLI does (cyclic GC paused); print and return events per second."""
    start, cpu = time.perf_counter(), time.process_time()
    with gc_paused():
        run()
    took, CPU_S[label] = time.perf_counter() - start, time.process_time() - cpu
    rate = count / took
    print(f"{label:<28} {count:>9,} events in {took:7.2f} s = {rate:>9,.0f} events/s "
          f"({CPU_S[label] / count * 1e6:,.1f} µs CPU per event)")  # fmt: skip
    return rate


def run(n: int = 100_000) -> dict[str, Any]:
    """Generate, then time the baseline and verify over the same records; the figures as a dict."""
    start = time.perf_counter()
    interview, decision = history(n)
    total = len(interview) + len(decision)
    print(f"generated {len(interview):,} interview + {len(decision):,} decision events "
          f"in {time.perf_counter() - start:.1f} s")  # fmt: skip
    base = timed("baseline (decode only)", total, lambda: decode_all(interview) + decode_all(decision))
    audits = []
    peak_before = _peak_rss_mb()
    rate = timed("verify (full audit)", total, lambda: audits.append(verify(interview, decision)))
    if not audits[0].report.ok:
        raise SystemExit(f"generated history did not verify: {audits[0].report.by_kind}")
    print(f"verify runs at {rate / base:.2f}x the decode-only rate ({base / rate:.1f}x the cost)")
    return {
        "events": total,
        "interview_events": len(interview),
        "decision_events": len(decision),
        "verify_events_per_s": rate,
        "baseline_decode_events_per_s": base,
        "ratio": rate / base,
        "seconds_for_1m_events": 1_000_000 / rate,
        "verify_cpu_us_per_event": CPU_S["verify (full audit)"] / total * 1e6,
        "baseline_cpu_us_per_event": CPU_S["baseline (decode only)"] / total * 1e6,
        "peak_rss_mb_before_verify": peak_before,
        "peak_rss_mb_after_verify": _peak_rss_mb(),
    }


def _peak_rss_mb() -> float:
    """Peak resident memory of this process so far (the generated history is held in memory)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Parse the size, run; return the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("n", nargs="?", type=int, default=100_000, help="events (default 100000)")
    return run(parser.parse_args(argv).n)


if __name__ == "__main__":
    main()
