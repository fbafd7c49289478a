"""Idempotent creation of the contract's topics (declared in ``schemas.topics``)."""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from schemas.topics import BY_NAME, TOPIC_SPECS, Topics


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
    """Partition count, configuration and error code of topics (status output, start-up checks, tests)."""
    from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

    admin = AIOKafkaAdminClient(**client)
    await admin.start()
    try:
        meta = await admin.describe_topics(names)
        present = [t["topic"] for t in meta if t["error_code"] == 0]
        resources = [ConfigResource(ConfigResourceType.TOPIC, n) for n in present]
        configs = await admin.describe_configs(resources) if resources else []
    finally:
        await admin.close()
    out: dict[str, dict[str, Any]] = {
        t["topic"]: {"partitions": len(t["partitions"]), "error_code": t["error_code"]} for t in meta
    }
    for response in configs:
        for code, _msg, _type, name, entries in response.resources:
            if code == 0:  # else (e.g. 29, not authorised) no "config": the caller says so
                out.setdefault(name, {})["config"] = {e[0]: e[1] for e in entries}
    return out


class TopicsError(RuntimeError):
    """Declared topics are missing, or exist with other partitions or settings (the message names each)."""

    def __init__(self, missing: list[str], wrong: list[str]) -> None:
        self.missing, self.wrong = missing, wrong
        parts = [f"missing: {', '.join(missing)}"] if missing else []
        parts += [f"wrong: {'; '.join(wrong)}"] if wrong else []
        super().__init__(f"the topics are not as schemas/topics.py declares them ({'; '.join(parts)})")


_UNKNOWN_TOPIC = 3


async def verify_topics(
    client: dict[str, Any], topics: Topics, partitions: int | None, bases: list[str] | None = None
) -> None:
    """Check the declared topics exist with their partition counts and configuration (no creation).

    Fixed-count topics must have their count; the co-partitioned ones one count between them (the
    services learn it from the topics), and ``partitions`` when given. Needs Describe and
    DescribeConfigs on the topics (services/launcher/principals.py grants both). Raises ``TopicsError``
    naming every missing topic and every wrong partition count or setting.
    """
    bases = bases or [spec.name for spec in TOPIC_SPECS]
    names = {topics.name(base): base for base in bases}
    found = await describe(client, list(names))
    missing = [n for n in names if _missing(found.get(n, {}))]
    present = {n: b for n, b in names.items() if n not in missing}
    shared = [found[n]["partitions"] for n, b in present.items()
              if BY_NAME[b].partitions is None and not found[n].get("error_code")]  # fmt: skip
    partitions = partitions or (max(set(shared), key=shared.count) if shared else None)
    wrong = [problem for n, b in present.items() for problem in _problems(n, b, found[n], partitions)]
    if missing or wrong:
        raise TopicsError(missing, wrong)


def _missing(got: dict[str, Any]) -> bool:
    """Unknown to the broker (not: hidden by a missing Describe ACL, which is a wrong setting)."""
    code = got.get("error_code", _UNKNOWN_TOPIC)
    return code == _UNKNOWN_TOPIC or (code == 0 and not got.get("partitions"))


def _problems(name: str, base: str, got: dict[str, Any], partitions: int | None) -> list[str]:
    if got.get("error_code"):
        return [f"{name} cannot be described (error {got['error_code']}: a Describe ACL missing?)"]
    want = BY_NAME[base].partitions or partitions
    out = [f"{name} has {got['partitions']} partitions, wants {want}"] if got["partitions"] != want else []
    config = got.get("config")
    if config is None:
        return [*out, f"{name}: its settings cannot be read (a DescribeConfigs ACL missing?)"]
    return out + [
        f"{name} {key}={config.get(key)}, wants {value}"
        for key, value in BY_NAME[base].config.items()
        if config.get(key) != value
    ]
