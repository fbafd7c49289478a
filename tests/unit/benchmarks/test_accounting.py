"""What the peers benchmark counts: payload bytes per record, grown ranges, per-input shares, completion."""

from __future__ import annotations

import pytest
from aiokafka import TopicPartition

from benchmarks.consumers import caught_up, cpu_seconds, peak_rss_mb
from benchmarks.written import Tally, grown, per_input, record_bytes


def test_record_bytes_counts_key_value_and_header_names_and_values() -> None:
    assert record_bytes(b"iv-1", b'{"a":1}', [("ce_type", b"x.y"), ("n", b"")]) == 4 + 7 + 7 + 3 + 1
    assert record_bytes(None, None, []) == 0


def test_grown_ranges_start_where_the_partition_was() -> None:
    a0, a1, b0 = TopicPartition("a", 0), TopicPartition("a", 1), TopicPartition("b", 0)
    before = {a0: 10, a1: 5}
    after = {a0: 25, a1: 5, b0: 3}  # a1 unchanged, b0 new
    assert grown(before, after) == {a0: 10, b0: 0}


def test_per_input_shares_and_total() -> None:
    events = 1000
    decisions, state = Tally(), Tally()
    for _ in range(150):
        decisions.add(b"iv", b"x" * 98, [])
    state.add(b"iv", b"y" * 400, [("h", b"1")])
    rows = per_input({"peer.decisions": decisions, "changelog": state}, events)
    assert rows["peer.decisions"]["records_per_event"] == pytest.approx(0.15)
    assert rows["peer.decisions"]["bytes_per_event"] == pytest.approx(15.0)
    assert rows["all topics"]["records"] == 151
    assert rows["all topics"]["bytes"] == 150 * 100 + 2 + 400 + 2
    assert list(rows) == ["changelog", "peer.decisions", "all topics"]


def test_caught_up_allows_one_transaction_marker_on_transactional_topics_only() -> None:
    ends = {0: 100, 1: 0, 2: 7}
    assert caught_up({0: 100, 2: 7}, ends, transactional=False)  # partition 1 empty, never committed
    assert not caught_up({0: 99, 2: 7}, ends, transactional=False)
    assert caught_up({0: 99, 2: 6}, ends, transactional=True)  # the last record's commit marker
    assert not caught_up({0: 98, 2: 7}, ends, transactional=True)


def test_this_process_reports_cpu_and_peak_memory() -> None:
    import os

    busy = sum(i * i for i in range(200_000))
    assert busy > 0
    assert cpu_seconds(os.getpid()) > 0
    assert peak_rss_mb(os.getpid()) > 10
