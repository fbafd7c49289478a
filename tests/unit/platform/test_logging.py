"""Every log line is one JSON object, including those of libraries that log through the stdlib."""

from __future__ import annotations

import io
import json
import logging

import pytest
import structlog

from services.platform.logging import RepeatFilter, configure_logging


def test_library_and_service_lines_are_json(monkeypatch: pytest.MonkeyPatch) -> None:
    err = io.StringIO()
    monkeypatch.setattr("sys.stderr", err)
    configure_logging("INFO", json=True)
    try:
        logging.getLogger("aiokafka.consumer").error("Topic %s not found in cluster metadata", "t1")
        structlog.get_logger("svc").info("started", partitions=3)
        try:
            raise ValueError("boom")
        except ValueError:
            logging.getLogger("uvicorn.error").exception("server failed")
    finally:  # the process's other tests log as before
        structlog.reset_defaults()
        logging.basicConfig(force=True)
    lines = [json.loads(line) for line in err.getvalue().splitlines() if line.strip()]
    assert [line["event"] for line in lines] == [
        "Topic t1 not found in cluster metadata", "started", "server failed"
    ]  # fmt: skip
    assert lines[0]["level"] == "error"
    assert lines[0]["logger"] == "aiokafka.consumer"
    assert "timestamp" in lines[0]
    assert lines[1]["partitions"] == 3
    assert "ValueError: boom" in lines[2]["exception"]


def test_a_flood_of_library_errors_is_one_line_per_interval_with_a_count() -> None:
    now = [0.0]
    repeats = RepeatFilter(interval_s=10, clock=lambda: now[0])

    def record(msg: str, *args: object, name: str = "aiokafka") -> logging.LogRecord:
        return logging.LogRecord(name, logging.ERROR, __file__, 1, msg, args, None)

    first = record("Unable connect to node with id %s: %s", 1, "refused")
    assert repeats.filter(first)
    assert not hasattr(first, "repeated")
    held = [repeats.filter(record("Unable connect to node with id %s: %s", 1, f"e{n}")) for n in range(500)]
    assert not any(held)  # the same kind, other arguments: held back
    assert repeats.filter(record("Unable to update metadata from %s", [1]))  # another kind passes
    assert repeats.filter(record("Unable connect to node with id %s: %s", 1, "x", name="aiokafka.conn"))
    now[0] = 10.0
    after = record("Unable connect to node with id %s: %s", 1, "refused")
    assert repeats.filter(after)
    assert after.repeated == 500  # type: ignore[attr-defined]
    now[0] = 25.0
    quiet = record("Unable connect to node with id %s: %s", 1, "refused")
    assert repeats.filter(quiet)
    assert not hasattr(quiet, "repeated")  # nothing held back since the last line


def test_configured_logging_collapses_the_flood(monkeypatch: pytest.MonkeyPatch) -> None:
    err = io.StringIO()
    monkeypatch.setattr("sys.stderr", err)
    configure_logging("INFO", json=True)
    try:
        for n in range(1000):
            logging.getLogger("aiokafka").error("Unable connect to node with id %s: %s", 1, n)
        structlog.get_logger("svc").error("own line", n=1)
        structlog.get_logger("svc").error("own line", n=2)  # the service's own lines are never held back
    finally:
        structlog.reset_defaults()
        logging.basicConfig(force=True)
    lines = [json.loads(line) for line in err.getvalue().splitlines() if line.strip()]
    assert [line["event"] for line in lines] == [
        "Unable connect to node with id 1: 0", "own line", "own line"
    ]  # fmt: skip
