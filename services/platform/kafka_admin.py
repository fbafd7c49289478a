"""Small synchronous helpers over aiokafka's admin client (readiness checks, CLIs)."""

from __future__ import annotations

import asyncio
import socket
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient


def metadata_ok(bootstrap: str, **client: Any) -> bool:
    """True when a metadata request to ``bootstrap`` succeeds."""
    return cluster_id(bootstrap, **client) is not None


def cluster_id(bootstrap: str, **client: Any) -> str | None:
    """The id of the cluster answering at ``bootstrap`` (None when no broker answers)."""
    host, _, port = bootstrap.split(",")[0].rpartition(":")
    try:
        socket.create_connection((host, int(port)), timeout=1).close()
    except OSError:
        return None  # not listening yet: skip the noisy client
    # A thread of its own: callers may be inside a running event loop (async tests, services).
    with ThreadPoolExecutor(max_workers=1) as pool:
        check = pool.submit(asyncio.run, _described(bootstrap, **client))
        return check.result()


async def _described(bootstrap: str, **client: Any) -> str | None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=3000, **client)
    try:
        await asyncio.wait_for(admin.start(), 5)
        described = await asyncio.wait_for(admin.describe_cluster(), 5)
    except Exception:
        return None
    finally:
        await admin.close()
    return str(described.get("cluster_id") or "")
