"""kill -9 the notary twice while interview events stream through (ADR 0026): no tree ever forks.

The notary runs as its own process beside the verdict projector, as deployed. Every checkpoint it ever
published — before and after each kill — must sign a prefix of the history an auditor recomputes from the
records afterwards: each root is the root of the first ``size`` recomputed leaves, sizes never shrink,
and each checkpoint's consistency proof from the one before it verifies.
"""

from __future__ import annotations

import asyncio
import random
import signal
from pathlib import Path
from typing import Any

import pytest

from schemas import merkle
from schemas.checkpoint import generate_key, open_note, parse_verifier
from schemas.codec import headers_to_attributes
from schemas.tlog import LOGGED_TOPICS, record_leaf
from schemas.topics import Topics
from services.decision.adapters.tlog_records import CheckpointRecord
from services.decision.domain.replay import project
from services.platform.broker import Broker
from services.platform.log_reader import partitions_of, read_all, read_partition
from testkit.interviews import stream
from tests.decision_support import env_for, eventually, wait_for_records
from tests.faults.test_decision_crash import Roles, feed, kill_leftovers
from tests.faults.test_decision_roles import grows, wait_ready

pytestmark = [pytest.mark.kafka, pytest.mark.slow, pytest.mark.timeout(300)]

EVENTS = 6_000
KILLS = 2


async def leaves_of(client: dict[str, Any], topic: str, partition: int) -> list[bytes]:
    """A partition's leaf hashes as an auditor recomputes them (no header trusted)."""
    return [merkle.leaf_hash(record_leaf(headers_to_attributes(list(r.headers)), r.value))
            async for r in read_partition(client, topic, partition)]  # fmt: skip


async def history(client: dict[str, Any], topics: Topics) -> dict[tuple[str, int], list[bytes]]:
    """Every logged partition's recomputed leaves."""
    out = {}
    for topic in LOGGED_TOPICS:
        for partition in await partitions_of(client, topics.name(topic)):
            out[topic, partition] = await leaves_of(client, topics.name(topic), partition)
    return out


def published(records: list[Any]) -> dict[tuple[str, int], list[CheckpointRecord]]:
    """Every checkpoint record, per tree, in the order published."""
    out: dict[tuple[str, int], list[CheckpointRecord]] = {}
    for record in records:
        found = CheckpointRecord.decode(record.value)
        out.setdefault((found.topic, found.partition), []).append(found)
    return out


async def covered(client: dict[str, Any], topics: Topics) -> bool:
    """The latest checkpoint of every logged partition holding records covers all of them."""
    latest = {
        tree: found[-1].size for tree, found in published(await read_all(client, topics.checkpoints)).items()
    }
    return all(latest.get(tree, 0) == len(leaves) for tree, leaves in (await history(client, topics)).items())


async def test_kill_9_the_notary_mid_stream_never_forks_a_tree(
    kafka: Broker, kafka_client: dict[str, Any], topics: Topics, tmp_path: Path
) -> None:
    skey, vkey = generate_key("fault-notary")
    (tmp_path / "notary.key").write_text(skey + "\n")
    env = env_for(kafka, topics, 0) | {
        "DECISION_STATE_DIR": str(tmp_path / "state"),
        "DECISION_TLOG_KEY_FILE": str(tmp_path / "notary.key"),
        "DECISION_TLOG_INTERVAL_S": "0.3",
    }
    items = stream(EVENTS // 15, prefix="notary")[:EVENTS]
    expected = project(items)
    roles = Roles(env, tmp_path)
    roles.start("projector")
    roles.start("notary")
    rng = random.Random(26)
    for name in ("projector", "notary"):
        await wait_ready(roles, name)
    feeding = asyncio.create_task(feed(kafka_client, topics.interview_events, items, chunk=150))
    try:
        for _ in range(KILLS):
            await grows(kafka_client, topics.checkpoints)
            await asyncio.sleep(rng.uniform(0.3, 1.0))
            roles.kill("notary")
            roles.start("notary")
        assert not feeding.done(), "the kills must land while records still stream in"
        await feeding
        await wait_for_records(kafka_client, topics.decision_events, len(expected), timeout=150)
        assert await eventually(lambda: covered(kafka_client, topics), timeout=120, every=1.0)
        roles.stop()
    finally:
        feeding.cancel()
        kill_leftovers(roles.all())
    assert [p.returncode for p in roles.procs["notary"]] == [-signal.SIGKILL] * KILLS + [0]
    verifier, leaves = parse_verifier(vkey), await history(kafka_client, topics)
    trees = published(await read_all(kafka_client, topics.checkpoints))
    assert sum(len(found) for found in trees.values()) > 2 * len(trees), "too few checkpoints to mean much"
    for tree, found in trees.items():
        held = leaves[tree]
        for before, after in zip([None, *found], found, strict=False):
            signed = open_note(after.note, [verifier])
            assert (signed.size, signed.root) == (after.size, after.root)
            assert after.root == merkle.root(held[: after.size]), f"{tree}: a checkpoint forked the tree"
            if before is not None:
                assert before.size <= after.size, tree
                proof = merkle.consistency_proof(held, before.size, after.size) if before.size else []
                assert before.size == 0 or merkle.verify_consistency(
                    before.size, after.size, before.root, after.root, proof
                ), tree
