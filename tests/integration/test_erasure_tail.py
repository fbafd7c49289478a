"""Erasure with a bounded tail, read off the broker's own files (issue 19, ADR 0030).

After ``privacy erase`` no file under the broker's log directory may hold the erased candidate's
wrapped data key or the clear text their commands carried, within the bound ``privacy/tail.py``
computes from the topics' settings and the broker's timings. The production settings give about
1.5 hours (docs/security.md); here ``privacy.keys`` and ``interview.commands`` of a test prefix get
second-long segment, compaction-lag and file-deletion settings, the writers tick every 0.5 s, and the
local broker checks every second or two: the same mechanism, the same formula, in seconds.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from schemas.topics import BY_NAME, INTERVIEW_COMMANDS, PRIVACY_KEYS, Topics
from services.interview.entrypoints.settings import InterviewSettings, writer_group
from services.platform.broker import Broker
from services.platform.log_reader import read_all
from services.platform.privacy.erase import erase_candidate
from services.platform.privacy.settings import PrivacySettings
from services.platform.privacy.tail import Cadence, commands_tail_s, keys_tail_s
from services.platform.topics import describe, ensure_topics
from tests.decision_support import eventually
from tests.integration.interview.conftest import start_replica, stop_replica, wait_until
from tests.integration.test_crypto_shredding import _script, _send

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

FAST = {"segment.ms": "1500", "file.delete.delay.ms": "1000"}
KEYS = {**BY_NAME[PRIVACY_KEYS].config, **FAST, "max.compaction.lag.ms": "1500"}
COMMANDS = {**BY_NAME[INTERVIEW_COMMANDS].config, **FAST}
TICK_S, KEEP_S = 0.5, 10.0  # KEEP_S: the text is still on disk when the test first looks


async def _shorten(client: dict[str, Any], topics: Topics) -> None:
    """The test topics' settings (AlterConfigs replaces them all: the whole set is sent)."""
    wanted = {topics.privacy_keys: KEYS, topics.commands: COMMANDS}
    admin = AIOKafkaAdminClient(**client)
    await admin.start()
    try:
        resources = [ConfigResource(ConfigResourceType.TOPIC, n, c) for n, c in wanted.items()]
        for response in await admin.alter_configs(resources):
            assert all(code == 0 for code, *_ in response.resources), response
    finally:
        await admin.close()

    async def in_force() -> bool:
        found = await describe(client, list(wanted))
        return all(found[n].get("config", {}).get(k) == v for n, c in wanted.items() for k, v in c.items())

    assert await eventually(in_force, timeout=20)


async def _broker_s(client: dict[str, Any], key: str) -> float:
    admin = AIOKafkaAdminClient(**client)
    await admin.start()
    try:
        (response,) = await admin.describe_configs([ConfigResource(ConfigResourceType.BROKER, "1")])
    finally:
        await admin.close()
    ((_, _, _, _, entries),) = response.resources
    return int({e[0]: e[1] for e in entries}[key]) / 1000


def _holders(log_dir: Path, prefix: str, needle: bytes) -> list[str]:
    """Files of the test's partitions (segments, indexes, .deleted, .cleaned, .swap) holding ``needle``."""
    return [
        f"{path.parent.name}/{path.name}"
        for folder in log_dir.iterdir() if folder.name.startswith(prefix)
        for path in folder.iterdir() if path.is_file() and needle in path.read_bytes()
    ]  # fmt: skip


async def test_erased_key_and_deleted_commands_leave_the_disks_within_the_bound(kafka: Broker) -> None:
    if kafka.local is None:
        pytest.skip("reads the broker's segment files: needs the local broker (no KAFKA_BOOTSTRAP_SERVERS)")
    client, log_dir = kafka.client(), Path(kafka.local.data_dir) / "log"
    topics = Topics(f"tail{uuid.uuid4().hex[:8]}.")
    await ensure_topics(client, topics, partitions=1)
    replica = await start_replica(client, topics, roll_tick_s=TICK_S, commands_keep_s=KEEP_S)
    try:
        await wait_until(lambda: replica[0].ready, what="replica ready")
        await _shorten(client, topics)  # after the start-up check, which wants the production settings
        word = f"Tailword{uuid.uuid4().hex[:8]}"
        await _send(client, topics, "iv-tail", _script("iv-tail", "cand-tail", word))
        (record,) = [r for r in await read_all(client, topics.privacy_keys)
                     if r.key and r.key.startswith(b"cand-tail/") and r.value]  # fmt: skip
        needles = {"clear text": word.encode(), "wrapped key": json.loads(record.value)["wrapped"].encode()}
        # The files do hold both now (what the test looks for is really where it looks).
        assert all(_holders(log_dir, topics.prefix, n) for n in needles.values())

        group = writer_group(InterviewSettings(), topics)
        done = await erase_candidate(client, topics, PrivacySettings().load_kek(), "cand-tail", group)
        erased_at = time.monotonic()
        assert done.kids
        cadence = Cadence(
            tick_s=TICK_S, cleaner_backoff_s=await _broker_s(client, "log.cleaner.backoff.ms"),
            retention_check_s=await _broker_s(client, "log.retention.check.interval.ms"),
            commands_keep_s=KEEP_S, purge_every_s=KEEP_S,
        )  # fmt: skip
        bound = max(keys_tail_s(KEYS, cadence), commands_tail_s(COMMANDS, cadence))
        left: dict[str, list[str]] = {}

        async def gone() -> bool:
            left.clear()
            for what, needle in needles.items():
                if found := await asyncio.to_thread(_holders, log_dir, topics.prefix, needle):
                    left[what] = found
            return not left

        assert await eventually(gone, timeout=bound + 30, every=0.5), f"still on disk: {left}"
        took = time.monotonic() - erased_at
        print(f"erasure tail: gone after {took:.1f} s; bound {bound:.1f} s")
        assert took <= bound, f"gone after {took:.1f} s, over the bound of {bound:.1f} s"
        assert replica[0].ready  # the ticks were skipped by the writer, not taken for commands
    finally:
        await stop_replica(replica)
