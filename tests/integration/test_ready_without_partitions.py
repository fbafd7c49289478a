"""The readiness rule for a member that owns no partition (issue 19): it is ready, as a standby.

More consumers than partitions happen in every rollout (maxSurge 1 with replicas = partitions) and
after a scale-up past the partition count. The member has joined its group and takes partitions over
at the next rebalance; were it unready, a rollout would wait for it forever and a PodDisruptionBudget
would count it as down. The services' readiness is the engine's (``TransactionalProcessor.ready``).
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from schemas.topics import Topics
from services.platform.eos import TransactionalProcessor
from services.platform.log_reader import partitions_of
from tests.decision_support import eventually
from tests.integration.test_eos import CountingHandler

pytestmark = pytest.mark.kafka


def _member(client: dict[str, Any], topic: str, out: str, group: str) -> TransactionalProcessor:
    handler = CountingHandler(client, out)
    return TransactionalProcessor(
        client, input_topic=topic, group_id=group, transactional_prefix=f"{group}.tx", handler=handler
    )


async def test_two_members_of_a_one_partition_topic_are_both_ready(
    kafka_client: dict[str, Any], topics: Topics
) -> None:
    topic = topics.privacy_keys  # one partition (a fixed count)
    assert len(await partitions_of(kafka_client, topic)) == 1
    group = f"g-{uuid.uuid4().hex[:6]}"
    first = _member(kafka_client, topic, topics.command_results, group)
    second = _member(kafka_client, topic, topics.command_results, group)
    tasks = [asyncio.create_task(first.run())]
    try:
        assert await eventually(lambda: _true(first.ready and first.assigned == {0}), timeout=30)
        assert not second.ready  # not ready before it has joined (ready means: its assignment is handled)
        tasks.append(asyncio.create_task(second.run()))

        async def both_ready_one_idle() -> bool:
            owned = sorted([first.assigned, second.assigned], key=len)
            return first.ready and second.ready and owned == [set(), {0}]

        assert await eventually(both_ready_one_idle, timeout=30)
        idle = first if not first.assigned else second
        assert idle._consumer is not None
        assert idle._consumer.assignment() == set()  # a member of the group with an empty assignment
    finally:
        await first.stop()
        await second.stop()
        await asyncio.wait_for(asyncio.gather(*tasks), 20)


async def _true(value: bool) -> bool:
    return value
