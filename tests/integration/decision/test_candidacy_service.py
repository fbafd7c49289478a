"""The candidacy projection on the real broker (ADR 0012): rounds in, candidacy revisions out, once."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from schemas import decode, encode
from schemas.chain import GENESIS_HASH
from schemas.decision import CandidacyStatus, CandidacyVerdictChanged, Decision, Mutual
from schemas.envelope import Event
from schemas.topics import Topics
from services.decision.adapters.candidacy import round_input
from services.decision.domain.candidacy.revisions import CandidacyState, step
from services.decision.entrypoints.runtime import build_runtime
from services.decision.entrypoints.service import run_decision_service
from services.platform.broker import Broker
from services.platform.log_reader import read_all
from testkit.auth import bearer
from testkit.candidacies import disagreeing, missing_round, still_open, three_rounds, withdrawn
from tests.decision_support import by_key, eventually, free_port, produce, settings_for

pytestmark = pytest.mark.kafka

SCENARIOS = [three_rounds("cy-a", "a"), disagreeing("cy-b", "b"), missing_round("cy-c", "c"),
             withdrawn("cy-d", "d"), still_open("cy-e", "e")]  # fmt: skip
WANT = {  # candidacy -> (status, company, candidate, mutual)
    "cy-a": (CandidacyStatus.CONCLUDED, Decision.PROCEED, Decision.PROCEED, Mutual.MUTUAL_FIT),
    "cy-b": (CandidacyStatus.CONCLUDED, Decision.PROCEED, Decision.PROCEED, Mutual.MUTUAL_FIT),
    "cy-c": (CandidacyStatus.CONCLUDED, Decision.PROCEED, Decision.UNDECIDED, Mutual.UNDECIDED),
    "cy-d": (CandidacyStatus.WITHDRAWN, Decision.PROCEED, Decision.DECLINE, Mutual.COMPANY_ONLY),
    "cy-e": (CandidacyStatus.OPEN, Decision.UNDECIDED, Decision.UNDECIDED, Mutual.UNDECIDED),
}


class Running:
    """One decision service in this process, on its own state directory."""

    def __init__(self, kafka: Broker, topics: Topics, state_dir: Path) -> None:
        self.settings = settings_for(kafka, topics, free_port(), state_dir=state_dir)
        self.stop = asyncio.Event()
        self.task = asyncio.create_task(
            run_decision_service(self.settings, self.stop, build_runtime(self.settings))
        )
        self.base = f"http://127.0.0.1:{self.settings.port}"

    async def close(self) -> None:
        self.stop.set()
        await asyncio.wait_for(self.task, timeout=15)


async def replayed(client: dict[str, Any], topics: Topics) -> dict[str, list[Any]]:
    """What the candidacy projection must publish for the repartition topic's order, per candidacy."""
    states: dict[str, CandidacyState] = {}
    out: dict[str, list[Any]] = {}
    for record in sorted(
        await read_all(client, topics.candidacy_rounds), key=lambda r: (r.partition, r.offset)
    ):
        item = round_input(record)
        states[item.candidacy_id], revision = step(states.get(item.candidacy_id, CandidacyState()), item)
        if revision is not None:
            out.setdefault(item.candidacy_id, []).append(encode(revision))
    return out


async def settle(client: dict[str, Any], topics: Topics, done: Any) -> dict[str, list[Any]]:
    async def check() -> bool:
        published = by_key(await read_all(client, topics.candidacies))
        return done(published) and {k: len(v) for k, v in published.items()} == {
            k: len(v) for k, v in (await replayed(client, topics)).items()
        }

    assert await eventually(check, timeout=90, every=1.0)
    return by_key(await read_all(client, topics.candidacies))


def latest(records: list[Any]) -> CandidacyVerdictChanged:
    event: Event = decode(records[-1].value, records[-1].headers, records[-1].key)
    assert isinstance(event.data, CandidacyVerdictChanged)
    return event.data


def outcome(data: CandidacyVerdictChanged) -> tuple[Any, ...]:
    return (data.status, data.company.decision, data.candidate.decision, data.mutual)


async def test_candidacies_are_published_once_across_a_restart_and_served(
    kafka: Broker, kafka_client: dict[str, Any], topics: Topics, tmp_path: Path
) -> None:
    first = Running(kafka, topics, tmp_path / "first")
    try:
        await produce(kafka_client, topics.interview_events, [e for s in SCENARIOS for e in s.events()])
        published = await settle(kafka_client, topics, lambda p: set(p) == set(WANT) and all(
            outcome(latest(p[c])) == WANT[c] for c in WANT))  # fmt: skip
    finally:
        await first.close()
    # A new owner on an empty disk (restores from decision.candidacy-state), then the open round concludes.
    second = Running(kafka, topics, tmp_path / "second")
    try:
        open_round = SCENARIOS[-1].rounds[-1]
        before = len(open_round.events)
        open_round.conclude()
        await produce(kafka_client, topics.interview_events, open_round.events[before:])
        published = await settle(
            kafka_client, topics, lambda p: latest(p["cy-e"]).status is CandidacyStatus.CONCLUDED
        )
        want = await replayed(kafka_client, topics)
        for candidacy, records in published.items():  # byte for byte, no duplicate, no gap, chained
            assert [(r.value, list(r.headers)) for r in records] == [
                (w.value, w.headers) for w in want[candidacy]
            ]
            events = [decode(r.value, r.headers, r.key) for r in records]
            assert [e.attributes.sequence for e in events] == list(range(1, len(events) + 1))
            assert [e.attributes.prevhash for e in events] == [GENESIS_HASH] + [
                e.chain_hash for e in events[:-1]
            ]
        assert outcome(latest(published["cy-e"])) == (
            CandidacyStatus.CONCLUDED,
            Decision.PROCEED,
            Decision.PROCEED,
            Mutual.MUTUAL_FIT,
        )
        # Each round's every verdict revision reached the candidacy once (the repartition is exactly once).
        rounds = await read_all(kafka_client, topics.candidacy_rounds)
        assert len(rounds) == len({(r.key, round_input(r).event_id) for r in rounds})
        assert len(rounds) == len(await read_all(kafka_client, topics.decision_events))
        async with httpx.AsyncClient(
            base_url=second.base, timeout=5, headers=bearer("auditor", "audrey")
        ) as http:

            async def served() -> bool:
                r = await http.get("/candidacies/cy-e/revisions", params={"limit": 1000})
                return r.status_code == 200 and len(r.json()["items"]) == len(published["cy-e"])

            assert await eventually(served)
            current = (await http.get("/candidacies/cy-b/verdict")).json()["verdict"]
            assert current == latest(published["cy-b"]).model_dump(mode="json")
            history = (await http.get("/candidacies/cy-b/revisions", params={"limit": 1000})).json()["items"]
            times = [datetime.fromisoformat(h["time"]) for h in history]
            assert times == sorted(times)  # a candidacy's revisions never go back in time
            middle = times[len(times) // 2]
            as_of = await http.get("/candidacies/cy-b/verdict", params={"as_of_time": middle.isoformat()})
            got = as_of.json()["verdict"]["revision"]
            assert times[got - 1] == middle
            assert got == len(times) or times[got] > middle
            too_early = await http.get(
                "/candidacies/cy-b/verdict", params={"as_of_time": "2000-01-01T00:00:00Z"}
            )
            assert too_early.status_code == 404
            missing = await http.get("/candidacies/nobody/verdict")
            assert missing.status_code == 404
            assert missing.json()["code"] == "candidacy_not_found"
    finally:
        await second.close()
