"""Releasing a parked record resumes its interview on a quiet partition: no new input is needed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import pytest

from schemas import encode
from schemas.common import QuestionKind
from schemas.topics import Topics
from services.decision.domain.policy import Policies, policy_for
from services.decision.domain.replay import revisions
from services.decision.entrypoints.cli import parked_entries, release
from services.decision.entrypoints.runtime import DecisionRuntime, build_runtime
from services.decision.entrypoints.service import run_decision_service
from services.platform.broker import Broker
from services.platform.log_reader import read_all
from testkit.interviews import Script, story_first
from tests.decision_support import by_key, eventually, free_port, produce, settings_for

pytestmark = pytest.mark.kafka

# What a deployed fix looks like: a build that knows the policy the interview was opened under.
V9 = replace(policy_for("v1"), version="v9")
FIXED = Policies(known={**Policies().known, "v9": V9})


def under_v9(interview_id: str) -> Script:
    """An interview opened under v9, which the current build does not know: it parks (unknown_policy)."""
    s = Script(interview_id).opened(policy_version="v9").ask("q1", QuestionKind.INVITE_STORY)
    return s.story("s1", in_reply_to="q1").ask("q2", QuestionKind.CLARIFYING, about="s1").answer("a1", "q2")


@asynccontextmanager
async def service(
    kafka: Broker, topics: Topics, policies: Policies | None = None
) -> AsyncIterator[DecisionRuntime]:
    """A running decision service (optionally a build with other policies); stopped on exit."""
    settings = settings_for(kafka, topics, free_port())
    runtime = build_runtime(settings)
    if policies is not None:
        runtime.handler.policies = policies
    stop = asyncio.Event()
    task = asyncio.create_task(run_decision_service(settings, stop, runtime))
    try:
        yield runtime
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=15)


async def published(client: dict[str, Any], topics: Topics, key: str) -> list[bytes]:
    return [r.value for r in by_key(await read_all(client, topics.decision_events)).get(key, [])]


def expected(script: Script) -> list[bytes]:
    return [encode(e).value for e in revisions(script.events, FIXED)]


async def wait_for(check: Callable[[], Any], timeout: float = 30) -> bool:
    return await eventually(check, timeout=timeout)


async def park(kafka: Broker, client: dict[str, Any], topics: Topics, script: Script) -> None:
    """Run the current build until the interview is parked, with a healthy one beside it."""
    healthy = story_first("ok")
    async with service(kafka, topics) as runtime:
        await produce(client, topics.interview_events, [*script.events, *healthy.events])

        async def parked() -> bool:
            return script.interview_id in runtime.handler.parked() and bool(
                await published(client, topics, "ok")
            )

        assert await wait_for(parked)
        assert runtime.handler.parked()[script.interview_id] == "unknown_policy"
    assert [e.code for e in await parked_entries(client, topics)] == ["unknown_policy"]
    assert await published(client, topics, script.interview_id) == []


async def test_retry_resumes_a_parked_interview_with_no_new_input(
    kafka: Broker, kafka_client: dict[str, Any], topics: Topics
) -> None:
    script = under_v9("iv-v9")
    await park(kafka, kafka_client, topics, script)
    async with service(kafka, topics, FIXED):
        await asyncio.sleep(3)  # the fix alone resumes nothing: the record stays parked until released
        assert await published(kafka_client, topics, script.interview_id) == []
        assert [e.interview_id for e in await release(kafka_client, topics, None, skip=False)] == ["iv-v9"]

        async def resumed() -> bool:
            return await published(kafka_client, topics, script.interview_id) == expected(script)

        assert await wait_for(resumed, timeout=20)  # nothing else was produced
    assert await parked_entries(kafka_client, topics) == []


async def test_a_release_written_while_the_service_is_down_is_not_lost(
    kafka: Broker, kafka_client: dict[str, Any], topics: Topics
) -> None:
    script = under_v9("iv-down")
    await park(kafka, kafka_client, topics, script)
    await release(kafka_client, topics, script.interview_id, skip=False)
    async with service(kafka, topics, FIXED):

        async def resumed() -> bool:
            return await published(kafka_client, topics, script.interview_id) == expected(script)

        assert await wait_for(resumed, timeout=30)
