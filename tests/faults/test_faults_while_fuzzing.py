"""Faults during fuzzing: kill -9 of each service and a frozen broker while valid and garbage requests
pour in. Afterwards nothing acknowledged is missing or doubled, no client mistake ever got a 5xx other
than the outage's 503/504, and ``hiring-audit verify`` proves the whole history.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from schemas.codec import decode
from schemas.topics import Topics
from services.launcher.samples import CHECKLIST, STORY_FIRST, Step
from services.platform import local_kafka
from services.platform.log_reader import read_all
from services.platform.topics import ensure_topics
from testkit.auth import service_headers
from testkit.processes import Child, services

pytestmark = [pytest.mark.kafka, pytest.mark.slow, pytest.mark.timeout(600)]

WORKERS = 16
"""Interviews run at once; each worker starts another until every fault has been injected."""
RETRYABLE = {502, 503, 504}


def garbage(rng: random.Random) -> tuple[str, dict[str, Any]]:
    """One malformed request: (route, httpx keyword arguments)."""
    iid = rng.choice(["iv-g", "x" * 300, "iv-\u202e", ""])
    route = rng.choice(["open", "stories", "questions", "answers", "assessments", "conclusion", "nope"])
    depth = rng.choice([1, 50, 30_000])
    deep = b'{"actor_id": "alice", "deep": ' + b"[" * depth + b"0" + b"]" * depth + b"}"
    body = rng.choice([
        {"content": rng.randbytes(rng.randint(0, 4000)), "headers": {"content-type": "application/json"}},
        {"json": {"actor_id": "alice", "expected_version": rng.choice(["2", True, 2.5, -1, 2**64])}},
        {"json": {"actor_id": "a" * 10_000, "expected_version": 0, "text": "\x00\x07"}},
        {"content": deep, "headers": {"content-type": "application/json"}},
        {"content": b"x" * 300_000, "headers": {"content-type": "application/json"}},
        {"json": {}, "headers": {"Idempotency-Key": ""}},
    ])  # fmt: skip
    return f"/interviews/{iid}/{route}", body


async def fuzz(http: httpx.AsyncClient, stop: asyncio.Event, seen: Counter[int]) -> None:
    """Garbage until ``stop``; every status counted (connection errors while a service restarts too)."""
    rng = random.Random(7)
    while not stop.is_set():
        path, kwargs = garbage(rng)
        try:
            seen[(await http.post(path, **kwargs)).status_code] += 1
        except httpx.HTTPError:
            seen[0] += 1
            await asyncio.sleep(0.2)


async def send_until_answered(http: httpx.AsyncClient, iid: str, n: int, step: Step, version: int) -> Any:
    """One command, retried with its idempotency key through restarts and outages; its final answer."""
    route, actor, body = step
    payload = {"actor_id": actor, "expected_version": version} | body
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            answer = await http.post(f"/interviews/{iid}/{route}", json=payload,
                                     headers={"Idempotency-Key": f"{iid}-{n}"})  # fmt: skip
        except httpx.HTTPError:
            await asyncio.sleep(0.5)
            continue
        if answer.status_code not in RETRYABLE:
            return answer
        await asyncio.sleep(0.5)
    raise AssertionError(f"{iid} step {n} never answered")


async def interview(
    http: httpx.AsyncClient, iid: str, steps: list[Step], acked: dict[str, list[str]]
) -> None:
    """A whole interview; the event ids of every acknowledged (201) command."""
    version = 0
    for n, step in enumerate(steps, 1):
        answer = await send_until_answered(http, iid, n, step, version)
        assert answer.status_code == 201, f"{iid} step {n}: {answer.status_code} {answer.text}"
        version = answer.json()["version"]
        acked.setdefault(iid, []).extend(answer.json()["event_ids"])
    acked.setdefault("_finished", []).append(str(time.monotonic()))


async def interviews_until(
    done: asyncio.Event, http: httpx.AsyncClient, worker: int, acked: dict[str, list[str]]
) -> None:
    """Whole interviews one after another until ``done`` (the one under way is finished)."""
    n = 0
    while not done.is_set():
        await interview(http, f"iv-{worker}-{n}", STORY_FIRST if n % 2 else CHECKLIST, acked)
        n += 1


async def faults_then(done: asyncio.Event, kids: dict[str, Child], broker_pid: int, log: list[str]) -> None:
    """The faults, then ``done``."""
    try:
        await faults(kids, broker_pid, log)
    finally:
        done.set()


async def faults(kids: dict[str, Child], broker_pid: int, log: list[str]) -> None:
    """kill -9 the interview service, then the decision service, then freeze the broker for 4 s."""
    for name in ("interview", "decision"):
        await asyncio.sleep(3)
        child = kids[name]
        assert child.proc is not None
        os.kill(child.proc.pid, signal.SIGKILL)
        child.proc.wait(timeout=10)
        child.start()
        log.append(f"kill -9 {name}")
    await asyncio.sleep(3)
    log.append(f"freeze at {time.monotonic()}")
    os.kill(broker_pid, signal.SIGSTOP)
    await asyncio.sleep(4)
    os.kill(broker_pid, signal.SIGCONT)
    log.append("broker frozen 4 s")


def audit(bootstrap: str, prefix: str) -> subprocess.CompletedProcess[str]:
    """``hiring-audit verify`` over the whole history."""
    cli = [sys.executable, "-m", "services.audit.entrypoints.cli", "verify", "--bootstrap-servers", bootstrap,
           "--topic-prefix", prefix, "--no-progress"]  # fmt: skip
    return subprocess.run(cli, capture_output=True, text=True, timeout=300, check=False)


async def test_faults_while_fuzzing_lose_nothing_acknowledged(tmp_path: Path) -> None:
    broker = local_kafka.start_broker(tmp_path / "kafka")
    kids: dict[str, Child] = {}
    try:
        local_kafka.wait_ready(broker)
        client = {"bootstrap_servers": broker.bootstrap_servers}
        topics = Topics("f.")
        await ensure_topics(client, topics, 3)
        kids = services(broker.bootstrap_servers, topics.prefix, 3, tmp_path / "state", tmp_path / "logs")
        for child in kids.values():
            child.start()
        for child in kids.values():
            await asyncio.to_thread(child.wait_ready, 120)
        acked: dict[str, list[str]] = {}
        seen: Counter[int] = Counter()
        injected: list[str] = []
        stop = asyncio.Event()
        base, auth = kids["interview"].base, service_headers()
        async with httpx.AsyncClient(base_url=base, timeout=30, headers=auth) as http:
            fuzzing = [asyncio.create_task(fuzz(http, stop, seen)) for _ in range(2)]
            done = asyncio.Event()
            work = [interviews_until(done, http, w, acked) for w in range(WORKERS)]
            await asyncio.gather(faults_then(done, kids, broker.pid, injected), *work)
            stop.set()
            await asyncio.gather(*fuzzing)
        frozen_at = float(injected.pop(2).split()[-1])
        assert injected == ["kill -9 interview", "kill -9 decision", "broker frozen 4 s"]
        finished = [float(t) for t in acked.pop("_finished")]
        assert max(finished) > frozen_at, "the load ended before the last fault: nothing was tested"
        assert not {s for s in seen if s >= 500} - RETRYABLE, seen  # no 500 for any client mistake
        assert sum(seen.values()) > 100

        records = await read_all(client, topics.interview_events)
        ids = Counter(decode(r.value, r.headers, r.key).attributes.id for r in records)
        every_acked = [e for events in acked.values() for e in events]
        assert all(ids[e] == 1 for e in every_acked), "an acknowledged event is missing or doubled"
        assert set(ids) == set(every_acked)  # nothing unacknowledged was appended either
        decision = kids["decision"]
        deadline = time.monotonic() + 120
        while decision.metric("decision_consumer_lag") > 0 or not decision.ready():
            assert time.monotonic() < deadline, "the decision service did not catch up"
            await asyncio.sleep(0.5)
        verified = await asyncio.to_thread(audit, broker.bootstrap_servers, topics.prefix)
        assert verified.returncode == 0, verified.stdout[-3000:] + verified.stderr[-2000:]
        print(f"faults {injected}; {sum(seen.values())} garbage requests {dict(seen)}; "
              f"{len(every_acked)} acknowledged events, all present once; audit ok")  # fmt: skip
    finally:
        for child in kids.values():
            if child.proc is not None:
                child.stop(timeout=20)
        if local_kafka.pid_alive(broker.pid):
            os.kill(broker.pid, signal.SIGCONT)
        local_kafka.stop_broker(broker)
