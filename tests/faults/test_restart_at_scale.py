"""Restart both services over a history of 300,000 events: ready once, stays ready, serves a new command.

The history is produced as the interview service would have written it; the first start projects it
(decision service) and rebuilds the writer's state from it (its changelog is empty). Then both restart
on the same disk (the local stores' checkpoints), and once more on an empty disk (a new owner: the
changelogs). Each time they must become ready and stay ready, and a new command must reach its verdict.
"""

from __future__ import annotations

import asyncio
import shutil
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from schemas.topics import Topics
from services.platform.broker import Broker
from testkit.auth import bearer, service_headers
from testkit.history import fill_history
from testkit.processes import Child, services

pytestmark = [pytest.mark.kafka, pytest.mark.slow, pytest.mark.timeout(1200)]

HISTORY = 300_000
PARTITIONS = 3


def stays_ready(children: list[Child], seconds: float = 8.0) -> bool:
    """Every probe of every service answers 200 for ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not all(child.ready() for child in children):
            return False
        time.sleep(0.25)
    return True


def new_interview_reaches_its_verdict(interview: Child, decision: Child) -> str:
    """Open an interview over HTTP; its first verdict revision is served by the decision service."""
    iid = f"after-{uuid.uuid4().hex[:8]}"
    body = {
        "actor_id": "alice", "expected_version": 0, "candidacy_id": "cy-9", "round": "technical",
        "position": "Backend engineer", "candidate_id": "cand-9",
        "participants": [{"id": "cand-9", "side": "candidate", "role": "candidate"},
                         {"id": "alice", "side": "company", "role": "interviewer"}],
    }  # fmt: skip
    opened = httpx.post(
        f"{interview.base}/interviews/{iid}/open", json=body, timeout=30, headers=service_headers()
    )
    assert opened.status_code == 201, opened.text
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        verdict = httpx.get(f"{decision.base}/interviews/{iid}/verdict", timeout=5, headers=service_headers())
        if verdict.status_code == 200:
            assert verdict.json()["verdict"]["interview_id"] == iid
            return iid
        time.sleep(0.2)
    raise AssertionError(f"no verdict for {iid} within 30 s of its opening")


def history_is_served(decision: Child, interview_id: str = "h0-0") -> None:
    """An interview from the history: its participants read it (and a stranger does not), and its
    whole revision history is served once the replica has read it (503 ``catching_up`` until then)."""
    url = f"{decision.base}/interviews/{interview_id}"
    mine = httpx.get(f"{url}/verdict", timeout=5, headers=bearer("candidate", "cand"))
    assert mine.status_code == 200, mine.text  # the participant store knows the interview
    assert mine.json()["view"] == "candidate"
    stranger = httpx.get(f"{url}/verdict", timeout=5, headers=bearer("candidate", "mallory"))
    assert stranger.status_code == 404, stranger.text
    deadline = time.monotonic() + 300
    every = f"{url}/revisions?limit=1000"  # one page: an interview has far fewer revisions
    while (found := httpx.get(every, timeout=30, headers=service_headers())).status_code == 503:
        assert found.json()["code"] == "catching_up", found.text
        assert time.monotonic() < deadline, "the revision history was not read within 300 s"
        time.sleep(1)
    assert found.status_code == 200, found.text
    assert found.json()["next"] is None
    revisions = found.json()["items"]
    assert len(revisions) > 1
    current = httpx.get(f"{url}/verdict", timeout=5, headers=service_headers()).json()
    assert [r["verdict"]["revision"] for r in revisions] == list(range(1, len(revisions) + 1))
    assert revisions[-1]["id"] == current["id"] == mine.json()["id"]
    ready = httpx.get(f"{decision.base}/readyz", timeout=5).json()
    assert ready["history"] == "complete", ready


def restart(children: list[Child]) -> dict[str, float]:
    """Stop cleanly, start again; seconds to ready per service."""
    for child in children:
        assert child.stop() == 0, child.log.read_text()[-3000:]
    for child in children:
        child.start()
    return {child.name: child.wait_ready(timeout=120) for child in children}


async def test_restart_over_300k_events(
    kafka: Broker, kafka_client: dict[str, Any], topics: Topics, tmp_path: Path
) -> None:
    produced = await fill_history(kafka_client, topics.interview_events, HISTORY)
    bootstrap = str(kafka.settings.bootstrap_servers)
    kids = services(bootstrap, topics.prefix, PARTITIONS, tmp_path / "state", tmp_path / "logs")
    await asyncio.to_thread(scenario, kids, produced, tmp_path / "state")


def scenario(kids: dict[str, Child], produced: int, state: Path) -> None:
    """First start over the history, a restart on the same disk, and one on an empty disk."""
    interview, decision = kids["interview"], kids["decision"]
    both = [interview, decision]
    try:
        for child in both:
            child.start()
        interview.wait_ready(timeout=600)
        decision.wait_ready(timeout=600)
        deadline = time.monotonic() + 900
        while decision.metric("decision_events_projected_total") < produced:
            assert time.monotonic() < deadline, "the decision service did not project the history"
            time.sleep(1)

        same_disk = restart(both)
        assert stays_ready(both)
        new_interview_reaches_its_verdict(interview, decision)
        history_is_served(decision)

        for child in both:
            assert child.stop() == 0
        shutil.rmtree(state)  # a new owner: no local store, only the changelogs
        for child in both:
            child.start()
        new_disk = {child.name: child.wait_ready(timeout=300) for child in both}
        assert stays_ready(both)
        new_interview_reaches_its_verdict(interview, decision)
        history_is_served(decision)
        print(f"history {produced} events; ready after a restart (s): same disk {same_disk}, "
              f"new disk {new_disk}")  # fmt: skip
    finally:
        for child in both:
            if child.proc is not None:
                child.stop(timeout=30)
