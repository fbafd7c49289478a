"""Every log line is one JSON object, including those of libraries that log through the stdlib."""

from __future__ import annotations

import io
import json
import logging

import pytest
import structlog

from services.platform.logging import configure_logging


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
