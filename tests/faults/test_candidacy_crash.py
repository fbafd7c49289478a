"""kill -9 the candidacy projector twice while 120 candidacies' rounds stream through: revisions once.

The roles run as separate processes (ADR 0016); the verdict projector and the query service keep running.

The candidacy processor (ADR 0012) and the repartition written by the decision transaction must both
hold across hard kills: each round verdict revision reaches decision.candidacy-rounds exactly once, and
decision.candidacies equals, byte for byte, a replay of that topic (no duplicate, no gap, chained).
"""

from __future__ import annotations

import asyncio
import random
import signal
from pathlib import Path
from typing import Any

import pytest

from schemas.envelope import Event
from schemas.topics import Topics
from services.decision.adapters.candidacy import round_input
from services.platform.broker import Broker
from services.platform.log_reader import read_all
from testkit.candidacies import SCENARIOS
from testkit.interviews import interleaved
from tests.decision_support import by_key, env_for, produce
from tests.faults.test_decision_crash import kill_leftovers, start_roles
from tests.integration.decision.test_candidacy_service import replayed

pytestmark = [pytest.mark.kafka, pytest.mark.slow, pytest.mark.timeout(300)]

CANDIDACIES = 120
KILLS = 2


def events() -> list[Event]:
    scenarios = [SCENARIOS[i % len(SCENARIOS)](f"cy-k{i}", f"k{i}") for i in range(CANDIDACIES)]
    return interleaved(*(s.events() for s in scenarios))


async def test_candidacy_revisions_exactly_once_across_kill_9(
    kafka: Broker, kafka_client: dict[str, Any], topics: Topics, tmp_path: Path
) -> None:
    items = events()
    env = env_for(kafka, topics, 0) | {"DECISION_STATE_DIR": str(tmp_path / "state")}
    roles = start_roles(env, tmp_path)
    rng = random.Random(5)

    async def feed() -> None:  # slowly enough that the kills land while rounds are still streaming in
        for chunk in range(0, len(items), 100):
            await produce(kafka_client, topics.interview_events, items[chunk : chunk + 100])
            await asyncio.sleep(0.3)

    feeding = asyncio.create_task(feed())
    try:
        for _ in range(KILLS):
            before = len(await read_all(kafka_client, topics.candidacies))
            for _ in range(200):  # the running process publishes something new, then dies
                if len(await read_all(kafka_client, topics.candidacies)) > before:
                    break
                await asyncio.sleep(0.3)
            else:
                pytest.fail(f"no new candidacy revision within 60 s (feeding done: {feeding.done()})")
            await asyncio.sleep(rng.uniform(0.5, 1.5))
            roles.kill("candidacy")
            roles.start("candidacy")
        await feeding
        verdicts = 0
        for _ in range(300):  # settle: every round revision repartitioned and combined
            verdicts = len(await read_all(kafka_client, topics.decision_events))
            rounds = await read_all(kafka_client, topics.candidacy_rounds)
            published = await read_all(kafka_client, topics.candidacies)
            want = await replayed(kafka_client, topics)
            if (
                len(rounds) >= verdicts > 0
                and len(published) == sum(len(v) for v in want.values())
                and (len({r.key for r in published}) == CANDIDACIES)
            ):
                break
            await asyncio.sleep(0.5)
        roles.stop()
    finally:
        feeding.cancel()
        kill_leftovers(roles.all())
    assert [p.returncode for p in roles.procs["candidacy"]] == [-signal.SIGKILL] * KILLS + [0]
    rounds = await read_all(kafka_client, topics.candidacy_rounds)
    assert len(rounds) == verdicts  # one repartition record per verdict revision, none twice
    assert len({(r.key, round_input(r).event_id) for r in rounds}) == len(rounds)
    want = await replayed(kafka_client, topics)
    got = by_key(await read_all(kafka_client, topics.candidacies))
    assert got.keys() == want.keys()
    assert len(got) == CANDIDACIES
    for candidacy, records in got.items():
        assert [(r.value, list(r.headers)) for r in records] == [
            (w.value, w.headers) for w in want[candidacy]
        ]
