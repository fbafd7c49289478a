"""Start-up waits a bounded, logged time for Kafka: one line per attempt with its count, then one error."""

from __future__ import annotations

import asyncio
import socket

import pytest
from structlog.testing import capture_logs

from services.platform.startup import StartupError, unreachable, wait_for_kafka


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again on exit: nothing listens there


async def test_gives_up_after_the_bound_with_one_line_per_attempt() -> None:
    bootstrap = f"127.0.0.1:{_closed_port()}"
    with capture_logs() as logs, pytest.raises(StartupError) as failed:
        await wait_for_kafka(bootstrap, limit_s=1.0, service="test", every_s=0.25)
    retries = [e for e in logs if e["event"] == "kafka not reachable yet; retrying"]
    assert [e["attempt"] for e in retries] == list(range(1, len(retries) + 1))
    assert 3 <= len(retries) <= 6  # about limit / interval, not a flood
    message = str(failed.value)
    assert f"Kafka at {bootstrap} not reachable after {len(retries) + 1} attempts" in message
    assert "KAFKA_STARTUP_WAIT_S=1" in message


async def test_returns_once_a_broker_listens() -> None:
    port = _closed_port()

    async def listen_later() -> asyncio.Server:
        await asyncio.sleep(0.6)
        return await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", port)

    later = asyncio.create_task(listen_later())
    with capture_logs() as logs:
        await wait_for_kafka(f"127.0.0.1:{port}", limit_s=10.0, service="test", every_s=0.2)
    server = await later
    server.close()
    assert any(e["event"] == "kafka not reachable yet; retrying" for e in logs)
    (reached,) = [e for e in logs if e["event"] == "kafka reachable"]
    assert reached["attempts"] >= 2


async def test_any_bootstrap_server_is_enough_and_names_are_reported() -> None:
    server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        closed = f"127.0.0.1:{_closed_port()}"
        assert await unreachable(f"{closed},127.0.0.1:{port}", 1.0) is None
        why = await unreachable(closed, 1.0)
        assert why is not None
        assert why.startswith(closed)
    finally:
        server.close()
