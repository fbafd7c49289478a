"""Scale-out figures: the window after all processes are assigned, CPU per event and its ratio to one."""

from __future__ import annotations

import importlib

import pytest

from benchmarks import history, instances, scaleout


def test_summary_counts_only_the_events_left_when_all_were_assigned() -> None:
    r = scaleout.summarize(3, 10_000, 2.0, 0.25, [0.5, 0.25, 0.75], [100.0, 110.0, 120.0])
    assert r["events_in_window"] == 7_500
    assert r["events_per_s"] == pytest.approx(3_750)
    assert r["cpu_s"] == pytest.approx(1.5)
    assert r["cpu_us_per_event"] == pytest.approx(200.0)  # 1.5 s over 7,500 events, summed over processes
    assert r["peak_rss_mb"] == [100.0, 110.0, 120.0]


def test_summary_with_nothing_left_has_no_rates() -> None:
    r = scaleout.summarize(2, 1_000, 0.0, 1.0, [0.1, 0.1], [90.0, 90.0])
    assert (r["events_per_s"], r["cpu_us_per_event"]) == (None, None)


def test_cpu_ratios_are_against_the_first_row() -> None:
    rows = [{"cpu_us_per_event": 100.0}, {"cpu_us_per_event": 110.0}, {"cpu_us_per_event": None}]
    assert scaleout.cpu_ratios(rows) == [1.0, pytest.approx(1.1), None]
    assert scaleout.cpu_ratios([]) == []


def figures() -> dict[str, object]:
    """The instances section's figures for both roles at 1, 2 and 3 processes."""

    def role(cpu: list[float]) -> list[dict[str, object]]:
        rows = [scaleout.summarize(n, 8_000, 4.0, 0.0, [c * 8_000 / 1e6], [100.0] * n)
                for n, c in zip((1, 2, 3), cpu, strict=True)]  # fmt: skip
        for row, ratio in zip(rows, scaleout.cpu_ratios(rows), strict=True):
            row["cpu_per_event_to_one"] = ratio
        return rows

    decision = {
        "counts": [1, 2, 3],
        "projector": role([200.0, 210.0, 260.0]),
        "candidacy": role([100, 90, 95]),
    }
    interview = {"one": {"commands": 960, "commands_per_s": 800.0}, "two": {"commands_per_s": 1200.0},
                 "ratio_two_to_one": 1.5}  # fmt: skip
    return {"partitions": 6, "decision": decision, "interview": interview}


def test_history_tracks_three_to_one_cpu_per_role() -> None:
    got = {"commit": "abc1234", "started": "2026-12-07T18:00:00Z", "uncommitted_service_files": [],
           "sections": {"instances": {"figures": figures()}}}  # fmt: skip
    lines = {line["figure"]: line for line in history.rows(got)}
    assert set(lines) == {"projector_cpu_3_to_1", "candidacy_cpu_3_to_1"}
    assert lines["projector_cpu_3_to_1"]["ratio"] == pytest.approx(1.3)
    assert lines["candidacy_cpu_3_to_1"]["baseline_value"] == pytest.approx(100.0)


def test_markdown_has_a_row_per_role_and_count() -> None:
    table = instances.markdown(figures())
    assert "| projector, 3 | 2,000 | 260 µs | 1.30 | 100 / 100 / 100 MiB |" in table
    assert "| candidacy, 2 | 2,000 | 90 µs | 0.90 |" in table
    assert "| 1.50 |" in table


def test_suite_headline_and_markdown_show_the_scale_out() -> None:
    suite = importlib.import_module("benchmarks.__main__")
    section = {"figures": figures(), "loadavg_before": [1.0], "loadavg_after": [1.5]}
    results = {"sections": {"instances": section}}
    head = suite.headline(results)
    assert "decision projector, 3 processes (one group): CPU per event | 260 µs" in head
    assert "| 200 µs with 1 process | 1.30 |" in head
    assert "interview writer, 2 instances (one group)" in head
    assert "| candidacy, 1 | 2,000 | 100 µs | 1.00 |" in suite.markdown(
        results | {"commit": "abc", "started": "t", "cpus": 2, "uncommitted_service_files": []}
    )
