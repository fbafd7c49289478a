"""Small synchronous helpers over aiokafka's admin client (readiness checks, CLIs)."""

from __future__ import annotations

import asyncio
import socket
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient


async def _list_topics(bootstrap: str, **client: Any) -> list[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=3000, **client)
    await admin.start()
    try:
        return list(await admin.list_topics())
    finally:
        await admin.close()


def metadata_ok(bootstrap: str, **client: Any) -> bool:
    """True when a metadata request to ``bootstrap`` succeeds."""
    host, _, port = bootstrap.split(",")[0].rpartition(":")
    try:
        socket.create_connection((host, int(port)), timeout=1).close()
    except OSError:
        return False  # not listening yet: skip the noisy client
    # A thread of its own: callers may be inside a running event loop (async tests, services).
    with ThreadPoolExecutor(max_workers=1) as pool:
        check = pool.submit(asyncio.run, _listed(bootstrap, **client))
        return check.result()


async def _listed(bootstrap: str, **client: Any) -> bool:
    try:
        await asyncio.wait_for(_list_topics(bootstrap, **client), 5)
    except Exception:
        return False
    return True
