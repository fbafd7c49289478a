"""hiring-audit on the real broker: an operator's DLQ skip verifies; an edited last event is caught."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from schemas import encode
from schemas.envelope import Event
from schemas.topics import Topics
from services.audit.entrypoints.cli import app
from services.decision.domain.replay import project
from services.decision.entrypoints.cli import release
from services.decision.entrypoints.runtime import build_runtime
from services.decision.entrypoints.service import run_decision_service
from services.platform.broker import Broker
from services.platform.log_reader import read_all
from testkit.interviews import story_first
from tests.decision_support import (
    by_key,
    eventually,
    free_port,
    parked_count,
    produce,
    produce_raw,
    settings_for,
)
from tests.integration.audit.conftest import Invoke, export_dir, fresh_prefix

pytestmark = pytest.mark.kafka


async def cli(servers: str, prefix: str, *args: str) -> Result:
    """``hiring-audit`` against a broker and prefix, in a worker thread (it runs its own loop)."""
    where = [] if "--from" in args else ["--bootstrap-servers", servers, "--topic-prefix", prefix]
    return await asyncio.to_thread(CliRunner().invoke, app, [*args, *where, "--no-progress"])


@pytest.fixture
async def decision_service(kafka: Broker, topics: Topics) -> AsyncIterator[str]:
    settings = settings_for(kafka, topics, free_port())
    stop = asyncio.Event()
    task = asyncio.create_task(run_decision_service(settings, stop, build_runtime(settings)))
    yield f"http://127.0.0.1:{settings.port}"
    stop.set()
    await asyncio.wait_for(task, timeout=10)


def wire(events: list[Event]) -> list[bytes]:
    return [encode(e).value for e in project(events)]


@pytest.mark.slow
async def test_verify_applies_an_operators_skip_from_the_dlq(
    kafka: Broker, kafka_client: dict[str, Any], topics: Topics, tmp_path: Path, decision_service: str
) -> None:
    """test_poison's scenario: poison -> parked -> retry-parked --skip -> resumed; then verify is ok."""
    b, d = story_first("pb"), story_first("pd")
    topic = topics.interview_events
    await produce(kafka_client, topic, [*b.events[:6], *d.events[:9]])
    headers = dict(encode(b.events[6]).headers)
    headers["ce_type"] = b"hiring.interview.mood.v1"  # not an interview fact: the operator will skip it
    await produce_raw(kafka_client, topic, b"pb", b"{}", list(headers.items()))
    await produce(kafka_client, topic, [*b.events[6:-1], *d.events[9:]])

    async def parked_and_others_done() -> bool:
        got = by_key(await read_all(kafka_client, topics.decision_events))
        dlq = await read_all(kafka_client, topics.dlq)
        return len(dlq) == 1 and [r.value for r in got.get("pd", [])] == wire(d.events)

    assert await eventually(parked_and_others_done, timeout=30)
    assert [x.interview_id for x in await release(kafka_client, topics, "pb", skip=True)] == ["pb"]

    async def release_applied() -> bool:  # the partition rebuilt: b no longer parked
        return await parked_count(decision_service) == 0

    assert await eventually(release_applied, timeout=30)
    await produce(kafka_client, topic, b.events[-1:])

    async def b_complete() -> bool:
        got = by_key(await read_all(kafka_client, topics.decision_events))
        return [r.value for r in got.get("pb", [])] == wire(b.events)

    assert await eventually(b_complete, timeout=30)
    [bad] = [
        r for r in await read_all(kafka_client, topic) if dict(r.headers)["ce_type"].endswith(b"mood.v1")
    ]
    servers = str(kafka.settings.bootstrap_servers)

    def skipped_info(result: Result) -> list[tuple[str, str, int, int]]:
        assert result.exit_code == 0, result.output
        report = json.loads(result.stdout)
        assert report["ok"] is True
        assert report["discrepancies"] == []
        return [(i["kind"], i["interview"], i["partition"], i["offset"]) for i in report["info"]]

    expected = [("dlq_skipped", "pb", bad.partition, bad.offset)]
    assert skipped_info(await cli(servers, topics.prefix, "verify", "--json")) == expected

    out = export_dir(tmp_path)
    assert (await cli(servers, topics.prefix, "export", str(out))).exit_code == 0
    assert len((out / "interview.events.dlq.jsonl").read_text().splitlines()) == 2  # parked copy + skip
    assert skipped_info(await cli(servers, topics.prefix, "verify", "--from", str(out), "--json")) == expected

    prefix = fresh_prefix()  # round trip: the import re-points the DLQ words at the new offsets
    assert (await cli(servers, prefix, "import", str(out))).exit_code == 0
    [info] = json.loads((await cli(servers, prefix, "verify", "--json")).stdout)["info"]
    assert (info["kind"], info["interview"]) == ("dlq_skipped", "pb")

    (out / "interview.events.dlq.jsonl").unlink()  # without the operator's word the record counts
    assert (await cli(servers, topics.prefix, "verify", "--from", str(out), "--json")).exit_code == 1


async def test_edited_last_event_in_export_is_an_input_hash_mismatch(audit: Invoke, tmp_path: Path) -> None:
    out = export_dir(tmp_path)
    assert (await audit("export", str(out))).exit_code == 0
    path = out / "interview.events.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    last = max(
        (i for i, r in enumerate(rows) if r["key"] == "iv-keen"),
        key=lambda i: int(rows[i]["attributes"]["sequence"]),
    )
    assert rows[last]["data"]["outcome"] == "completed"
    rows[last]["data"]["outcome"] = "withdrawn_by_company"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))

    result = await audit("verify", "--from", str(out), "--json")
    assert result.exit_code == 1
    found = [d for d in json.loads(result.stdout)["discrepancies"] if d["kind"] == "input_hash_mismatch"]
    assert [(d["interview"], d["sequence"], d["partition"], d["offset"]) for d in found] == [
        ("iv-keen", int(rows[last]["attributes"]["sequence"]), rows[last]["partition"], rows[last]["offset"])
    ]
