"""The decision roles as separate processes (ADR 0016): kill -9 each while the others run; scale out.

1. kill -9 the verdict projector, the candidacy projector and the query service, one after the other,
   each mid-stream while the two others keep running, and restart it: ``decision.events`` and
   ``decision.candidacies`` hold every revision exactly once, in order, byte for byte, and the restarted
   query service answers every interview's and candidacy's latest revision.
2. Three projector processes in one group over the same records, one killed -9 and restarted: its
   partitions move to the others and back, and nothing is lost or duplicated.
"""

from __future__ import annotations

import asyncio
import random
import signal
from pathlib import Path
from typing import Any

import httpx
import pytest

from schemas.topics import Topics
from services.decision.domain.replay import project
from services.platform.broker import Broker
from services.platform.log_reader import read_all
from testkit.auth import service_headers
from tests.decision_support import by_key, env_for, eventually, wait_for_records
from tests.faults.test_candidacy_crash import events as candidacy_events
from tests.faults.test_decision_crash import (
    ROLES,
    Roles,
    assert_exactly_once,
    feed,
    kill_leftovers,
    start_roles,
)
from tests.integration.decision.test_candidacy_service import replayed

pytestmark = [pytest.mark.kafka, pytest.mark.slow, pytest.mark.timeout(300)]


def ready(roles: Roles, name: str) -> bool:
    """``/readyz`` of process ``name`` answers 200."""
    try:
        return httpx.get(f"{roles.base(name)}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


async def wait_ready(roles: Roles, name: str, timeout: float = 90) -> None:
    """Until ``name`` is ready (fails if it exits)."""

    async def check() -> bool:
        assert roles.procs[name][-1].poll() is None, f"{name} exited; see {roles.log(name)}"
        return await asyncio.to_thread(ready, roles, name)

    assert await eventually(check, timeout=timeout), f"{name} not ready; see {roles.log(name)}"


async def grows(client: dict[str, Any], topic: str, timeout: float = 60) -> None:
    """Until ``topic`` holds more (committed) records than now."""
    before = len(await read_all(client, topic))

    async def more() -> bool:
        return len(await read_all(client, topic)) > before

    assert await eventually(more, timeout=timeout, every=0.3), f"{topic} did not grow in {timeout:.0f} s"


async def latest_answered(roles: Roles, client: dict[str, Any], topics: Topics) -> bool:
    """The query service answers the latest revision of every interview and every candidacy."""
    interviews = {k: v[-1] for k, v in by_key(await read_all(client, topics.decision_events)).items()}
    candidacies = {k: v[-1] for k, v in by_key(await read_all(client, topics.candidacies)).items()}
    async with httpx.AsyncClient(base_url=roles.base("query"), timeout=10, headers=service_headers()) as http:
        for path, latest in (("interviews", interviews), ("candidacies", candidacies)):
            for key, record in latest.items():
                answer = await http.get(f"/{path}/{key}/verdict")
                if answer.status_code != 200 or answer.json()["id"] != dict(record.headers)["ce_id"].decode():
                    return False
    return True


async def test_kill_9_each_role_while_the_others_run(
    kafka: Broker, kafka_client: dict[str, Any], topics: Topics, tmp_path: Path
) -> None:
    items = candidacy_events()
    expected = project(items)
    env = env_for(kafka, topics, 0) | {"DECISION_STATE_DIR": str(tmp_path / "state")}
    roles = start_roles(env, tmp_path)
    rng = random.Random(18)
    feeding = asyncio.create_task(feed(kafka_client, topics.interview_events, items, chunk=60))
    try:
        for role in ROLES:
            await wait_ready(roles, role)
        # Each role is killed once it has done something since the last kill; the others keep going.
        await grows(kafka_client, topics.decision_events)
        await asyncio.sleep(rng.uniform(0.5, 1.5))
        for role, output in (("projector", topics.decision_events), ("candidacy", topics.candidacies)):
            await grows(kafka_client, output)
            await asyncio.sleep(rng.uniform(0.5, 1.5))
            roles.kill(role)
            roles.start(role)
        roles.kill("query")  # the feeds mid-read: its stores must neither miss nor double a record
        roles.start("query")
        assert not feeding.done(), "the kills must land while records still stream in"
        await feeding
        for role in ROLES:
            await wait_ready(roles, role)
        await wait_for_records(kafka_client, topics.decision_events, len(expected), timeout=120)

        async def settled() -> bool:
            published = await read_all(kafka_client, topics.candidacies)
            return len(published) >= sum(len(v) for v in (await replayed(kafka_client, topics)).values())

        assert await eventually(settled, timeout=90)
        assert await eventually(lambda: latest_answered(roles, kafka_client, topics), timeout=60)
        roles.stop()
    finally:
        feeding.cancel()
        kill_leftovers(roles.all())
    for role in ROLES:
        assert [p.returncode for p in roles.procs[role]] == [-signal.SIGKILL, 0], role
    records = await read_all(kafka_client, topics.decision_events)
    assert_exactly_once(records, expected)
    want = await replayed(kafka_client, topics)
    got = by_key(await read_all(kafka_client, topics.candidacies))
    assert got.keys() == want.keys()
    for candidacy, published in got.items():
        mine = [(w.value, w.headers) for w in want[candidacy]]
        assert [(r.value, list(r.headers)) for r in published] == mine, candidacy


async def owned(roles: Roles, name: str) -> list[int]:
    """The input partitions process ``name`` owns, by its ``/readyz`` (none while not ready)."""
    try:
        async with httpx.AsyncClient(timeout=2) as http:
            answer = await http.get(f"{roles.base(name)}/readyz")
    except httpx.HTTPError:
        return []
    return list(answer.json()["partitions"]) if answer.status_code == 200 else []


async def test_three_projectors_in_one_group_kill_9_one(
    kafka: Broker, kafka_client: dict[str, Any], topics: Topics, tmp_path: Path
) -> None:
    items = candidacy_events()
    expected = project(items)
    roles = Roles(env_for(kafka, topics, 0), tmp_path)
    names = [f"projector-{n}" for n in range(3)]
    for name in names:  # like pods: each its own disk
        roles.start(name, DECISION_STATE_DIR=str(tmp_path / name))
    feeding = asyncio.create_task(feed(kafka_client, topics.interview_events, items, chunk=60))
    try:

        async def spread() -> bool:  # three partitions, one each
            each = [await owned(roles, name) for name in names]
            return sorted(p for mine in each for p in mine) == [0, 1, 2] and all(each)

        assert await eventually(spread, timeout=90), "the group did not spread over the three projectors"
        await grows(kafka_client, topics.decision_events)
        await asyncio.sleep(random.Random(3).uniform(0.5, 1.5))
        roles.kill(names[1])

        async def taken_over() -> bool:  # the two survivors own every partition again
            return sorted([p for name in (names[0], names[2]) for p in await owned(roles, name)]) == [0, 1, 2]

        assert await eventually(taken_over, timeout=90)
        roles.start(names[1])
        assert not feeding.done(), "the kill must land while records still stream in"
        await feeding
        await wait_for_records(kafka_client, topics.decision_events, len(expected), timeout=120)
        roles.stop()  # then nothing more can arrive: what is read below is final
    finally:
        feeding.cancel()
        kill_leftovers(roles.all())
    assert [p.returncode for p in roles.procs[names[1]]] == [-signal.SIGKILL, 0]
    assert_exactly_once(await read_all(kafka_client, topics.decision_events), expected)
