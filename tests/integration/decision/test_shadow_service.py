"""Policy v2 in shadow on the real broker (ADR 0024): v1's consumers see the same bytes, the shadow
revisions land apart on decision.shadow, and ``hiring-audit verify`` proves the mixed history."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from schemas import encode
from schemas.envelope import Event
from schemas.topics import Topics
from services.audit.entrypoints.cli import app
from services.decision.domain.policy import Policies
from services.decision.domain.replay import revisions
from services.decision.entrypoints.cli import release
from services.decision.entrypoints.runtime import ProjectorRuntime
from services.decision.entrypoints.service import build_role, run_role
from services.decision.entrypoints.settings import DecisionSettings, Role
from services.platform.broker import Broker
from services.platform.log_reader import read_all
from services.platform.topics import ensure_topics
from testkit.interviews import Script, checklist, interleaved, story_first
from tests.conftest import TEST_PARTITIONS
from tests.decision_support import (
    all_consumed,
    eventually,
    free_port,
    produce,
    produce_raw,
    settings_for,
)
from tests.integration.audit.conftest import fresh_prefix

pytestmark = pytest.mark.kafka


def opened_under_v2(interview: str) -> list[Event]:
    """A story-first interview opened under v2 itself: v2 is its own policy, nothing to shadow."""
    source = story_first(interview).events
    script = Script(interview).opened("v2")
    for event in source[1:]:
        script._append(event.data, event.attributes.actorid)
    return script.events


HISTORIES = {
    "sf-1": story_first("sf-1").events,
    "cl-1": checklist("cl-1").events,
    "cl-2": checklist("cl-2").events,
    "own-v2": opened_under_v2("own-v2"),
}


async def project_with(settings: DecisionSettings, client: dict[str, Any], topics: Topics) -> None:
    """Run the verdict projector until it has consumed everything written so far, then stop it."""
    stop = asyncio.Event()
    task = asyncio.create_task(run_role(settings, Role.PROJECTOR, stop))
    try:
        assert await all_consumed(client, settings.group, topics.interview_events, timeout=90)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=15)


async def outputs(client: dict[str, Any], topic: str) -> list[tuple[int, bytes, bytes, list[Any]]]:
    """A topic's committed records as (partition, key, value, headers), per key in log order.

    Per key, not per partition: the two runs received the interviews interleaved differently.
    """
    records = sorted(await read_all(client, topic), key=lambda r: (r.partition, r.key, r.offset))
    return [(r.partition, r.key, r.value, list(r.headers)) for r in records]


async def cli(servers: str, prefix: str, *args: str) -> Result:
    where = ["--bootstrap-servers", servers, "--topic-prefix", prefix, "--no-progress"]
    return await asyncio.to_thread(CliRunner().invoke, app, [*args, *where])


async def test_shadow_v2_leaves_v1_outputs_byte_identical_and_verifies(
    kafka: Broker, kafka_client: dict[str, Any], tmp_path: Path
) -> None:
    off, on = Topics(fresh_prefix()), Topics(fresh_prefix())
    for names in (off, on):
        await ensure_topics(kafka_client, names, partitions=TEST_PARTITIONS)
    events = interleaved(*HISTORIES.values())
    half = [e for h in HISTORIES.values() for e in h[: len(h) // 2]]
    rest = [e for e in events if e not in half]

    # Shadow off: the whole history in one run.
    await produce(kafka_client, off.interview_events, events)
    await project_with(settings_for(kafka, off, free_port(), state_dir=tmp_path / "off"), kafka_client, off)

    # Shadow on, with a restart from the changelog alone (a new state directory) half-way through.
    await produce(kafka_client, on.interview_events, half)
    for run, batch in (("on-1", half), ("on-2", rest)):
        if batch is rest:
            await produce(kafka_client, on.interview_events, rest)
        settings = settings_for(kafka, on, free_port(), state_dir=tmp_path / run, shadow_policy="v2")
        await project_with(settings, kafka_client, on)

    # What a v1 consumer reads (read_committed) is byte for byte what it reads with the shadow off.
    for topic in ("decision_events", "verdicts", "candidacy_rounds", "participants"):
        assert await outputs(kafka_client, getattr(on, topic)) == await outputs(
            kafka_client, getattr(off, topic)
        ), topic
    assert await outputs(kafka_client, off.shadow) == []

    # The shadow's revisions are apart, only for interviews opened under v1, and exactly a v2 replay.
    shadow = await outputs(kafka_client, on.shadow)
    by_interview: dict[str, list[tuple[bytes, list[Any]]]] = {}
    for _, key, value, headers in shadow:
        by_interview.setdefault(key.decode(), []).append((value, headers))
    assert set(by_interview) == {"sf-1", "cl-1", "cl-2"}
    for interview, got in by_interview.items():
        want = [encode(e) for e in revisions(HISTORIES[interview], Policies.of("v2"))]
        assert got == [(w.value, w.headers) for w in want], interview
    types = {dict(h)["ce_type"] for _, _, _, h in shadow}
    assert types == {b"hiring.decision.verdict_changed.v2"}

    # verify proves v1, v2 (own) and shadow revisions alike; what-if shows what v2 would change.
    servers = str(kafka.settings.bootstrap_servers)
    result = await cli(servers, on.prefix, "verify", "--json")
    report = json.loads(result.stdout)
    assert result.exit_code == 0, report["discrepancies"]
    c = report["counts"]
    published = len(await outputs(kafka_client, on.decision_events)) + len(shadow)
    assert c["revisions_matched"] == c["revisions_recomputed"] == c["decision_events"] == published
    result = await cli(servers, on.prefix, "what-if", "--policy", "v2", "--json")
    assert result.exit_code == 0, result.output
    changed = {ch["interview"]: ch for ch in json.loads(result.stdout)["changed"]}
    assert {"cl-1", "cl-2"} <= set(changed)
    company = next(p for p in changed["cl-1"]["parts"] if p["part"] == "company")
    assert (company["before"], company["after"]) == ("decline", "undecided")
    assert company["why"][0] == "confidence low"


async def test_a_rebuild_after_a_release_continues_each_shadow_chain_without_duplicates(
    kafka: Broker, kafka_client: dict[str, Any], topics: Topics, tmp_path: Path
) -> None:
    """Poison parks ``pb``; the operator skips it; the partition (``pd`` too: same partition) is rebuilt
    from history and the shadow chains go on from decision.shadow, as if nothing had happened."""
    b, d = checklist("pb"), story_first("pd")  # murmur2: both in partition 0 of 3
    topic = topics.interview_events
    await produce(kafka_client, topic, [*b.events[:6], *d.events[:9]])
    headers = dict(encode(b.events[6]).headers)
    headers["ce_type"] = b"hiring.interview.mood.v1"  # not an interview fact: the operator will skip it
    await produce_raw(kafka_client, topic, b"pb", b"{}", list(headers.items()))
    await produce(kafka_client, topic, [*b.events[6:-1], *d.events[9:]])
    settings = settings_for(kafka, topics, free_port(), state_dir=tmp_path, shadow_policy="v2")
    runtime = build_role(settings, Role.PROJECTOR)
    assert isinstance(runtime, ProjectorRuntime)
    stop = asyncio.Event()
    task = asyncio.create_task(run_role(settings, Role.PROJECTOR, stop, runtime))

    async def shadow_of(interview: str) -> list[bytes]:
        return [v for _, k, v, _ in await outputs(kafka_client, topics.shadow) if k == interview.encode()]

    def v2(events: list[Event]) -> list[bytes]:
        return [encode(e).value for e in revisions(events, Policies.of("v2"))]

    try:

        async def parked_and_pd_done() -> bool:
            return "pb" in runtime.handler.parked() and await shadow_of("pd") == v2(d.events)

        assert await eventually(parked_and_pd_done, timeout=60)
        assert await shadow_of("pb") == v2(b.events[:6])  # its chain so far, up to the poison
        assert [x.interview_id for x in await release(kafka_client, topics, "pb", skip=True)] == ["pb"]

        async def rebuilt() -> bool:
            return not runtime.handler.parked() and not runtime.handler._rebuild

        assert await eventually(rebuilt, timeout=60)
        await produce(kafka_client, topic, b.events[-1:])

        async def pb_complete() -> bool:
            return await shadow_of("pb") == v2(b.events)

        assert await eventually(pb_complete, timeout=60)
        assert await shadow_of("pd") == v2(d.events)  # the rebuild owed nothing more for it
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=15)
    result = await cli(str(kafka.settings.bootstrap_servers), topics.prefix, "verify", "--json")
    report = json.loads(result.stdout)
    assert result.exit_code == 0, report["discrepancies"]
    assert [i["kind"] for i in report["info"]] == ["dlq_skipped"]


async def test_a_shadow_switched_off_and_on_again_never_resumes_a_chain_with_a_gap(
    kafka: Broker, kafka_client: dict[str, Any], topics: Topics, tmp_path: Path
) -> None:
    a, b = story_first("sw-a"), checklist("sw-b")
    topic = topics.interview_events
    runs = [(a.events[:5], "v2"), (a.events[5:10], None), ([*a.events[10:], *b.events], "v2")]
    for n, (batch, shadow) in enumerate(runs):
        await produce(kafka_client, topic, batch)
        settings = settings_for(
            kafka, topics, free_port(), state_dir=tmp_path / "state", shadow_policy=shadow
        )
        await project_with(settings, kafka_client, topics)
        assert n == 2 or shadow is not None or await outputs(kafka_client, topics.shadow)  # chain so far

    shadow = await outputs(kafka_client, topics.shadow)
    got = {k.decode(): [v for _, key, v, _ in shadow if key == k] for k in {k for _, k, _, _ in shadow}}
    a_v2 = [encode(e).value for e in revisions(a.events, Policies.of("v2"))]
    a_v2 = [v for v in a_v2 if json.loads(v)["input_sequence"] <= 5]  # what the shadow saw: sequences 1-5
    assert got["sw-a"] == a_v2  # stopped while off; not resumed after
    assert got["sw-b"] == [encode(e).value for e in revisions(b.events, Policies.of("v2"))]  # new: shadowed
    result = await cli(str(kafka.settings.bootstrap_servers), topics.prefix, "verify", "--json")
    report = json.loads(result.stdout)
    assert result.exit_code == 0, report["discrepancies"]
    assert [(i["kind"], i["interview"]) for i in report["info"]] == [("shadow_stopped", "sw-a")]
