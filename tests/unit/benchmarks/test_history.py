"""The history of figures per commit: lines from a suite run, the table and its regression marks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from benchmarks import history


def results(commit: str, projection: float, raw_copy: float, p99_50: float) -> dict[str, Any]:
    """A minimal results.json of ``python -m benchmarks`` with two sections."""
    latency = {"http_ceiling": [{"commands": {"per_s": 600, "clients": 256}, "healthz": {"per_s": 4800}}],
               "rates": [{"rate": 50.0, "commands": {"verdict": {"p99_ms": p99_50}},
                          "kafka_hop": {"hop": {"p99_ms": 5.0}}}]}  # fmt: skip
    projection_figures = {"service_events_per_s_from_ready": projection, "raw_copy_events_per_s": raw_copy,
                          "pure_project_events_per_s": 5000.0}  # fmt: skip
    return {
        "commit": commit, "started": "2026-12-07T17:00:00Z", "uncommitted_service_files": [],
        "sections": {"projection": {"figures": projection_figures}, "latency": {"figures": latency},
                     "audit": {"error": "failed"}},
    }  # fmt: skip


def test_rows_carry_value_baseline_and_ratio() -> None:
    lines = {line["figure"]: line for line in history.rows(results("abc1234", 2000.0, 20000.0, 400.0))}
    assert set(lines) == {"projection_events_per_s", "pure_project_events_per_s", "http_commands_per_s",
                          "verdict_p99_ms_50"}  # fmt: skip
    p = lines["projection_events_per_s"]
    assert (p["commit"], p["date"]) == ("abc1234", "2026-12-07")
    assert (p["value"], p["baseline_value"]) == (2000.0, 20000.0)
    assert p["ratio"] == pytest.approx(0.1)
    assert lines["verdict_p99_ms_50"]["ratio"] == pytest.approx(80.0)


def test_uncommitted_service_code_is_marked_in_the_commit() -> None:
    r = results("abc1234", 2000.0, 20000.0, 400.0) | {"uncommitted_service_files": ["services/x.py"]}
    assert {line["commit"] for line in history.rows(r)} == {"abc1234+uncommitted"}


def test_table_marks_a_figure_worse_by_more_than_a_quarter(tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    history.append(history.rows(results("aaaaaaa", 2000.0, 10000.0, 100.0)), path)  # ratio 0.2; p99 20 x
    history.append(history.rows(results("bbbbbbb", 1400.0, 10000.0, 120.0)), path)  # 0.14: -30 %; 24 x: -17 %
    table = history.table(history.load(path))
    projection = next(line for line in table.splitlines() if line.startswith("| decision projection"))
    latency = next(line for line in table.splitlines() if line.startswith("| p99 command→verdict at 50/s"))
    assert projection.endswith("| 2,000 (0.20) | **1,400 (0.14) ▼** |")
    assert latency.endswith("| 100 (20.00) | 120 (24.00) |")  # lower is better, but within 25 %
    assert "aaaaaaa (2026-12-07) | bbbbbbb (2026-12-07)" in table.splitlines()[0]


def test_render_rewrites_only_between_the_markers(tmp_path: Path) -> None:
    path, doc = tmp_path / "history.jsonl", tmp_path / "benchmarks.md"
    doc.write_text(f"# Benchmarks\n\nbefore\n\n{history.START}\nold table\n{history.END}\n\nafter\n")
    assert history.record(results("ccccccc", 3000.0, 10000.0, 50.0), path, doc) == 4
    text = doc.read_text()
    assert "old table" not in text
    assert text.startswith("# Benchmarks\n\nbefore\n\n")
    assert text.endswith(f"{history.END}\n\nafter\n")
    assert "| decision projection from ready (vs raw txn copy) (events/s) | 3,000 (0.30) |" in text
    assert len(history.load(path)) == 4
