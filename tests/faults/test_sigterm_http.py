"""SIGTERM to the interview service process while HTTP commands stream in: no answer is a 5xx other
than 503 (with ``Retry-After``), and every acknowledged command is in the log exactly once.

Sixteen clients each drive one interview, command after command, each with its own Idempotency-Key.
Once enough commands are acknowledged the process gets SIGTERM (by its pid) with commands in flight: each
gets its real result (201) or 503 (``stopping``: no result before the drain ended; ``not_ready``: sent
after the drain began); a request sent on a keep-alive connection the server closes as idle gets a
connection error instead (never read by the server: the HTTP/1.1 keep-alive race). Before this change,
uvicorn's 2 s drain cancelled the commands still waiting and answered them 500. A client stops at its
first answer that is not 201 (or a connection error) and, once the service has restarted, sends that
command again with the same key: it is applied once (a 201, new or replayed). The log then holds each
interview's acknowledged commands, each exactly once, in order.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from schemas.topics import Topics
from services.platform.broker import Broker
from services.platform.local_kafka import free_port
from testkit.auth import service_headers
from testkit.processes import Child
from tests.faults.interview_workload import story_first_steps
from tests.integration.interview.conftest import events_of
from tests.integration.interview.script import http_request

pytestmark = [pytest.mark.slow, pytest.mark.kafka, pytest.mark.timeout(300)]
CLIENTS = 16
TERM_AFTER = 120
"""Acknowledged commands before the SIGTERM: the writer is busy and every client has a command in flight."""
STEPS = story_first_steps()


@dataclass
class Driver:
    """One interview's client: the commands acknowledged so far and the one left unanswered."""

    interview_id: str
    acked: list[tuple[str, list[str]]] = field(default_factory=list)
    """(command id, event ids) of each 201, in order."""
    pending: tuple[str, dict[str, Any], str] | None = None
    """(path, body, Idempotency-Key) of the command that got no 201."""

    def request(self) -> tuple[str, dict[str, Any], str]:
        actor, payload = STEPS[len(self.acked)]
        path, body = http_request(self.interview_id, len(self.acked), actor, payload)
        return path, body, f"{self.interview_id}-{len(self.acked)}"


@dataclass
class Tally:
    """What the clients saw."""

    statuses: Counter[str] = field(default_factory=Counter)
    refusals: list[tuple[int, str, str | None]] = field(default_factory=list)
    """(status, code, Retry-After) of every answer that was not 201."""
    straddled: int = 0
    """Requests sent before the SIGTERM and answered after it."""


async def drive(http: httpx.AsyncClient, driver: Driver, tally: Tally, term: asyncio.Event) -> None:
    """Send the interview's commands in turn until one gets no 201."""
    while len(driver.acked) < len(STEPS):
        path, body, key = driver.request()
        before = not term.is_set()
        try:
            response = await http.post(path, json=body, headers={"Idempotency-Key": key})
        except httpx.TransportError as exc:  # the listener closed: nothing was read
            tally.statuses[type(exc).__name__] += 1
            driver.pending = (path, body, key)
            return
        tally.statuses[str(response.status_code)] += 1
        tally.straddled += before and term.is_set()
        if response.status_code != 201:
            problem = response.headers.get("content-type") == "application/problem+json"
            code = response.json()["code"] if problem else f"not problem+json: {response.text[:40]}"
            tally.refusals.append((response.status_code, code, response.headers.get("retry-after")))
            driver.pending = (path, body, key)
            return
        created = response.json()
        driver.acked.append((created["command_id"], created["event_ids"]))


async def terminate_when(child: Child, drivers: list[Driver], term: asyncio.Event) -> float:
    """SIGTERM the process once ``TERM_AFTER`` commands are acknowledged; when it was sent."""
    while sum(len(d.acked) for d in drivers) < TERM_AFTER:  # noqa: ASYNC110 (progress of many clients)
        await asyncio.sleep(0.01)
    assert child.proc is not None
    os.kill(child.proc.pid, signal.SIGTERM)
    term.set()
    return time.monotonic()


async def test_sigterm_under_load_answers_every_command_without_a_500(
    kafka: Broker, topics: Topics, tmp_path: Path
) -> None:
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": kafka.settings.bootstrap_servers or "",
        "KAFKA_TOPIC_PREFIX": topics.prefix,
        "INTERVIEW_PORT": str(free_port()),
        "INTERVIEW_STATE_DIR": str(tmp_path / "state"),
        "INTERVIEW_CREATE_TOPICS": "false",
        "INTERVIEW_LOG_LEVEL": "WARNING",
    }
    child = Child("interview", int(env["INTERVIEW_PORT"]), env, tmp_path / "interview.log").start()
    drivers, tally, term = [Driver(f"iv-{i:02d}") for i in range(CLIENTS)], Tally(), asyncio.Event()
    try:
        await asyncio.to_thread(child.wait_ready, 120)
        async with httpx.AsyncClient(base_url=child.base, headers=service_headers(), timeout=30) as http:
            killer = asyncio.create_task(terminate_when(child, drivers, term))
            await asyncio.gather(*(drive(http, d, tally, term) for d in drivers))
            sent = await killer
        assert child.proc is not None
        code = await asyncio.to_thread(child.proc.wait, 20)
        took = time.monotonic() - sent
        print(f"statuses {dict(tally.statuses)}; in flight at SIGTERM: {tally.straddled}; exit {code} in "
              f"{took:.1f} s; refusals {Counter(r[:2] for r in tally.refusals)}")  # fmt: skip
        assert (code, took < 10) == (0, True), f"SIGTERM: exit {code} after {took:.1f} s"
        assert tally.straddled > 0, "no command was in flight at the SIGTERM: the test proved nothing"
        assert not [s for s in tally.statuses if s.isdigit() and s not in ("201", "503")], tally.statuses
        assert {r[2] for r in tally.refusals} <= {"1"}, "a 503 without Retry-After"
        assert {r[1] for r in tally.refusals} <= {"stopping", "not_ready", "unavailable"}, tally.refusals
        assert "Exception in ASGI application" not in child.log.read_text()

        child.start()  # the same state and group: the unanswered commands, sent again with their keys
        await asyncio.to_thread(child.wait_ready, 120)
        async with httpx.AsyncClient(base_url=child.base, headers=service_headers(), timeout=30) as http:
            for driver in (d for d in drivers if d.pending is not None):
                assert driver.pending is not None
                path, body, key = driver.pending
                again = await http.post(path, json=body, headers={"Idempotency-Key": key})
                assert again.status_code == 201, again.text
                driver.acked.append((again.json()["command_id"], again.json()["event_ids"]))
    finally:
        child.stop(timeout=20)
    await _exactly_once(kafka, topics, drivers)


async def _exactly_once(kafka: Broker, topics: Topics, drivers: list[Driver]) -> None:
    """Each interview's events are its acknowledged commands, each once, in order, numbered 1..n."""
    events = await events_of(kafka.client(), topics)
    assert len({e.attributes.id for e in events}) == len(events), "an event id appears twice"
    for driver in drivers:
        mine = [e for e in events if e.attributes.subject == driver.interview_id]
        assert [e.attributes.sequence for e in mine] == list(range(1, len(mine) + 1)), driver.interview_id
        assert [e.attributes.causationid for e in mine] == [c for c, _ in driver.acked], driver.interview_id
        assert [[e.attributes.id] for e in mine] == [ids for _, ids in driver.acked], driver.interview_id
