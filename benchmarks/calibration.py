"""Calibration v2 at product size: the rater-effects report over a generated read model (ADR 0021).

    .venv/bin/python -m benchmarks.calibration [--interviews 50000] [--raters 300] [--baseline-commit REV]

Interviews with a panel of three drawn from ``--raters`` interviewers, each rating three goals, put
straight into a ``CalibrationStore`` file (the Kafka feed is the store's own cost, per record, not the
fit's). Timed: opening the store (it reads every row into memory), its first report and a cached one,
with the memory they took; reading the table back (SQLite + JSON, the baseline: what any report costs),
the whole v2 report, its parts (arrays, the four fits: with one BLAS thread as the report runs them,
and with as many as BLAS starts by itself), a cached read; with ``--baseline-commit``, the
v1 report (panel-mean offsets) of that commit over the same interviews, in the same run. No broker.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

from threadpoolctl import threadpool_limits

from schemas.common import GoalId
from services.decision.adapters.calibration_store import CalibrationStore
from services.decision.domain.calibration import InterviewRatings, _fits, calibrate
from services.decision.domain.calibration_table import table

GOALS = (GoalId.COMPANY_LEVEL, GoalId.COMPANY_APPLICATION, GoalId.CANDIDATE_PRESENT)
DECISIONS = ("proceed", "decline", "undecided")


def _on_scale(x: float) -> int:
    return -2 if x < -1 else -1 if x < 0 else 1 if x < 1 else 2


def fill(store: CalibrationStore, interviews: int, raters: int, seed: int = 21) -> None:
    """``interviews`` rows of three raters x three goals; rater 0 rates 1.2 points low."""
    rng = random.Random(seed)
    names = [f"iv-{k:04d}" for k in range(raters)]
    severity = {n: (-1.2 if k == 0 else rng.gauss(0, 0.15)) for k, n in enumerate(names)}
    rows = []
    for i in range(interviews):
        quality = rng.gauss(0.3, 0.9)
        ratings = [[who, g.value, _on_scale(quality + severity[who] + rng.gauss(0, 0.5))]
                   for who in rng.sample(names, 3) for g in GOALS]  # fmt: skip
        rows.append((f"int-{i:06d}", rng.choice(DECISIONS), json.dumps(ratings)))
    store._db.executemany("INSERT OR REPLACE INTO final VALUES (?, ?, ?)", rows)


def timed(label: str, run: Callable[[], Any], out: dict[str, Any]) -> Any:
    """Run once, print and record the seconds."""
    t0 = time.perf_counter()
    result = run()
    out[label] = round(time.perf_counter() - t0, 3)
    print(f"{label:>28}: {out[label]:8.3f} s")
    return result


def v1_calibrate(commit: str) -> Callable[[list[InterviewRatings]], Any]:
    """``calibrate`` of the calibration domain at ``commit`` (the v1 panel-mean offset)."""
    path = "services/decision/domain/calibration.py"
    source = subprocess.run(["git", "show", f"{commit}:{path}"], capture_output=True, check=True, text=True)
    module = types.ModuleType("calibration_v1")
    sys.modules[module.__name__] = module  # its dataclasses look their module up
    exec(compile(source.stdout, f"{commit}:{path}", "exec"), module.__dict__)
    return module.__dict__["calibrate"]  # type: ignore[no-any-return]


def run(interviews: int, raters: int, baseline_commit: str | None) -> dict[str, Any]:
    """Every timing, in one process."""
    out: dict[str, Any] = {"interviews": interviews, "raters": raters, "ratings": interviews * 9}
    with tempfile.TemporaryDirectory() as tmp:
        filled = CalibrationStore(Path(tmp) / "calibration.sqlite")
        fill(filled, interviews, raters)
        filled.close()
        before = _rss_mb()
        store = timed(
            "open the store (reads rows)", lambda: CalibrationStore(Path(tmp) / "calibration.sqlite"), out
        )
        timed("store.report() uncached", store.report, out)
        out["store_rows_and_report_mb"] = round(_rss_mb() - before, 1)
        print(f"{'memory the store took':>28}: {out['store_rows_and_report_mb']:8.1f} MB")
        timed("store.report() cached", store.report, out)
        held = timed("read the table (baseline)", store.interviews, out)
        t = timed("arrays", lambda: table(held), out)
        with threadpool_limits(limits=1, user_api="blas"):
            timed("fits (overall + 3 goals)", lambda: _fits(t, store.rules), out)
        timed("fits, BLAS's own threads", lambda: _fits(t, store.rules), out)
        report = timed("v2 report from held rows", lambda: calibrate(held, store.rules), out)
        if baseline_commit:
            timed(f"v1 report ({baseline_commit})", lambda: v1_calibrate(baseline_commit)(held), out)
        store.close()
    out["flagged"] = list(report.flagged)
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(f"flagged: {out['flagged']}; peak RSS {out['peak_rss_mb']} MB")
    return out


def _rss_mb() -> float:
    """The process's resident memory now."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Parse arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--interviews", type=int, default=50_000)
    parser.add_argument("--raters", type=int, default=300)
    parser.add_argument("--baseline-commit", default=None, help="also time the v1 report of this commit")
    args = parser.parse_args(argv)
    return run(args.interviews, args.raters, args.baseline_commit)


if __name__ == "__main__":
    main()
