"""Start-up against a real cluster: wait a bounded time for Kafka, then create or verify the topics.

Under Kubernetes a pod may start before the brokers answer (a new cluster, a rolling restart, DNS not
yet published) and the topics belong to the Topic Operator, not to the services (whose least-privilege
users may not create them). So: retry while no bootstrap server accepts a connection, one log line per
attempt, up to ``KAFKA_STARTUP_WAIT_S``; then create the missing topics (``*_CREATE_TOPICS=true``, the
local default) or verify them (false, the chart's default), waiting the same bound for missing ones.
A refused handshake (SASL, TLS) is not retried: the broker answered, and the answer will not change.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import structlog

from schemas.topics import Topics
from services.platform.topics import TopicsError, ensure_topics, verify_topics

log = structlog.get_logger("startup")


class StartupError(RuntimeError):
    """The service cannot start: Kafka stayed unreachable, or the topics are missing or wrong."""


async def unreachable(bootstrap: str, timeout_s: float) -> str | None:
    """None when a bootstrap server accepts a TCP connection, else why none did."""
    why = "no bootstrap server"
    for server in (s.strip() for s in bootstrap.split(",") if s.strip()):
        host, _, port = server.rpartition(":")
        try:
            opened = asyncio.open_connection(host.strip("[]"), int(port))
            _, writer = await asyncio.wait_for(opened, timeout_s)
        except (OSError, TimeoutError, ValueError) as exc:
            why = f"{server}: {getattr(exc, 'strerror', None) or type(exc).__name__}"
            continue
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return None
    return why


async def wait_for_kafka(bootstrap: str, limit_s: float, service: str, every_s: float = 2.0) -> None:
    """Return once Kafka accepts connections; retry (logged, counted) until ``limit_s``, then raise."""
    began, attempt = time.monotonic(), 0
    while True:
        attempt += 1
        why = await unreachable(bootstrap, min(every_s, 5.0))
        waited = time.monotonic() - began
        if why is None:
            if attempt > 1:
                log.info("kafka reachable", service=service, attempts=attempt, waited_s=round(waited, 1))
            return
        if waited >= limit_s:
            raise StartupError(
                f"Kafka at {bootstrap} not reachable after {attempt} attempts in {waited:.0f} s "
                f"(KAFKA_STARTUP_WAIT_S={limit_s:g}): {why}"
            )
        log.warning("kafka not reachable yet; retrying", service=service, attempt=attempt,
                    waited_s=round(waited, 1), limit_s=limit_s, error=why)  # fmt: skip
        await asyncio.sleep(max(0.0, min(every_s, limit_s - waited)))


async def prepare_topics(
    client: dict[str, Any], topics: Topics, *, create: bool, partitions: int, replication_factor: int,
    limit_s: float, service: str, bases: list[str] | None = None, every_s: float = 2.0,
) -> None:  # fmt: skip
    """Wait for Kafka, then create the missing topics or verify ``bases`` (default: every topic)."""
    began = time.monotonic()
    await wait_for_kafka(client["bootstrap_servers"], limit_s, service, every_s)
    if create:
        await ensure_topics(client, topics, partitions, replication_factor)
        return
    attempt = 0
    while True:
        attempt += 1
        try:
            await verify_topics(client, topics, None, bases)  # the count: the topics' own, co-partitioned
            return
        except TopicsError as exc:
            waited = time.monotonic() - began
            if exc.wrong or waited >= limit_s:  # a wrong setting does not fix itself: fail at once
                raise StartupError(f"{exc} (topic creation is off: *_CREATE_TOPICS=false)") from None
            log.warning(
                "topics missing; waiting for them to be created", service=service, attempt=attempt,
                waited_s=round(waited, 1), limit_s=limit_s, missing=exc.missing,
            )  # fmt: skip
            await asyncio.sleep(max(0.0, min(every_s, limit_s - waited)))
