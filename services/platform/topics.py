"""Idempotent creation of the contract's topics (declared in ``schemas.topics``)."""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from schemas.topics import TOPIC_SPECS, Topics


async def ensure_topics(
    client: dict[str, Any], topics: Topics, partitions: int, replication_factor: int = 1
) -> list[str]:
    """Create the missing topics; return the names created (idempotent)."""
    admin = AIOKafkaAdminClient(**client)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [
            NewTopic(
                topics.name(spec.name),
                spec.partitions or partitions,
                replication_factor,
                topic_configs=dict(spec.config),
            )
            for spec in TOPIC_SPECS
            if topics.name(spec.name) not in existing
        ]
        if wanted:
            await _create(admin, wanted)
            await _wait_for_leaders(admin, [topic.name for topic in wanted])
        return [topic.name for topic in wanted]
    finally:
        await admin.close()


async def _create(admin: AIOKafkaAdminClient, wanted: list[NewTopic]) -> None:
    try:
        response = await admin.create_topics(wanted)
    except TopicAlreadyExistsError:
        return  # another process won the race: fine
    for name, code, *rest in getattr(response, "topic_errors", []):
        if code not in (0, TopicAlreadyExistsError.errno):
            raise RuntimeError(f"creating topic {name} failed: error {code} {rest}")


async def _wait_for_leaders(admin: AIOKafkaAdminClient, names: list[str], timeout: float = 30) -> None:
    """New partitions have no leader for a moment; producing then fails with NotLeader."""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        described = await admin.describe_topics(names)
        leaders = [p["leader"] for t in described for p in t["partitions"]]
        if leaders and all(t["error_code"] == 0 for t in described) and min(leaders) >= 0:
            return
        await asyncio.sleep(0.1)
    raise RuntimeError(f"topics {names} have no partition leaders after {timeout}s")


async def describe(client: dict[str, Any], names: list[str]) -> dict[str, dict[str, Any]]:
    """Partition count and configuration of topics, for status output and tests."""
    from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

    admin = AIOKafkaAdminClient(**client)
    await admin.start()
    try:
        meta = await admin.describe_topics(names)
        resources = [ConfigResource(ConfigResourceType.TOPIC, n) for n in names]
        configs = await admin.describe_configs(resources)
    finally:
        await admin.close()
    out: dict[str, dict[str, Any]] = {t["topic"]: {"partitions": len(t["partitions"])} for t in meta}
    for response in configs:
        for _code, _msg, _type, name, entries in response.resources:
            out.setdefault(name, {})["config"] = {e[0]: e[1] for e in entries}
    return out
