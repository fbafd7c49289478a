"""candidacy-v2 on the real broker (ADR 0022): new candidacies under the configured policy, served and
verified as v1's are; the issue's examples end as the worked examples say."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

from schemas import decode
from schemas.decision import CandidacyStatus, CandidacyVerdictChangedV2, Decision
from schemas.topics import CANDIDACY_EVENTS, DECISION_EVENTS, INTERVIEW_EVENTS, Topics
from services.audit.domain.records import records_of
from services.audit.domain.verify import verify
from services.decision.entrypoints.runtime import build_runtime
from services.decision.entrypoints.service import run_decision_service
from services.platform.broker import Broker
from services.platform.log_reader import read_all
from testkit.auth import bearer
from testkit.candidacies import declined_in_final, round_after_withdrawal, still_open
from tests.decision_support import by_key, eventually, free_port, produce, settings_for

pytestmark = pytest.mark.kafka

SCENARIOS = [declined_in_final("cy-v2-a", "v2a"), round_after_withdrawal("cy-v2-b", "v2b"),
             still_open("cy-v2-c", "v2c")]  # fmt: skip


def _latest(records: list[Any]) -> CandidacyVerdictChangedV2:
    data = decode(records[-1].value, records[-1].headers, records[-1].key).data
    assert isinstance(data, CandidacyVerdictChangedV2)
    return data


async def test_new_candidacies_run_under_candidacy_v2_and_verify(
    kafka: Broker, kafka_client: dict[str, Any], topics: Topics, tmp_path: Path
) -> None:
    settings = settings_for(kafka, topics, free_port(), state_dir=tmp_path, candidacy_policy="candidacy-v2")
    stop = asyncio.Event()
    task = asyncio.create_task(run_decision_service(settings, stop, build_runtime(settings)))
    events = [e for s in SCENARIOS for e in s.events()]
    try:
        await produce(kafka_client, topics.interview_events, events)

        async def settled() -> bool:
            published = by_key(await read_all(kafka_client, topics.candidacies))
            if set(published) != {s.candidacy_id for s in SCENARIOS}:
                return False
            latest = [_latest(published[s.candidacy_id]) for s in SCENARIOS]
            # every round seen (in whatever order they arrived), concluded but the open candidacy's final
            concluded = [sorted(r.concluded for r in v.rounds) for v in latest]
            return concluded == [[True] * 3, [True] * 3, [False, True, True]]

        ok = await eventually(settled, timeout=90, every=1.0)
        published = by_key(await read_all(kafka_client, topics.candidacies))
        assert ok, {k: [(r.round, r.concluded) for r in _latest(v).rounds] for k, v in published.items()}
        a, b, c = (_latest(published[s.candidacy_id]) for s in SCENARIOS)
        assert (a.company.decision, a.company.score, [h.round for h in a.company.holds]) == (
            Decision.UNDECIDED, None, ["final"],
        )  # fmt: skip
        counted = {r.round: r.counted for r in b.rounds}
        assert (b.status, counted) == (
            CandidacyStatus.WITHDRAWN,
            {"screen": True, "technical": True, "final": False},
        )
        assert (c.status, c.company.score, c.candidate.score) == (CandidacyStatus.OPEN, None, None)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{settings.port}", timeout=5,
                                     headers=bearer("auditor", "audrey")) as http:  # fmt: skip

            async def served() -> bool:
                r = await http.get("/candidacies/cy-v2-a/verdict")
                return r.status_code == 200 and r.json()["verdict"]["revision"] == a.revision

            assert await eventually(served)
            assert (await http.get("/candidacies/cy-v2-a/verdict")).json()["verdict"] == a.model_dump(
                mode="json"
            )
        decisions = await read_all(kafka_client, topics.decision_events)
        candidacies = await read_all(kafka_client, topics.candidacies)
        audit = verify(
            records_of(events, topic=INTERVIEW_EVENTS),
            records_of([decode(r.value, r.headers, r.key) for r in decisions], topic=DECISION_EVENTS),
            candidacy_records=records_of([decode(r.value, r.headers, r.key) for r in candidacies],
                                         topic=CANDIDACY_EVENTS),
        )  # fmt: skip
        assert audit.report.ok, audit.report.discrepancies[:3]
        assert audit.report.counts.candidacy_revisions_matched == len(candidacies)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=15)
