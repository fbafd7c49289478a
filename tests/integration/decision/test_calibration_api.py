"""Interviewer calibration over HTTP: the decision service reads the sample's final verdicts and flags vic."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from schemas.topics import Topics
from services.decision.entrypoints.runtime import build_runtime
from services.decision.entrypoints.service import run_decision_service
from services.launcher.calibration_sample import OFFSET_INTERVIEWER
from services.platform.broker import Broker
from testkit.auth import bearer
from testkit.calibration import calibration_stream
from tests.decision_support import eventually, free_port, produce, settings_for

pytestmark = pytest.mark.kafka
INTERVIEWS = 36


@pytest.fixture
async def base(kafka: Broker, topics: Topics, tmp_path: Path) -> AsyncIterator[str]:
    settings = settings_for(kafka, topics, free_port(), state_dir=tmp_path)
    stop = asyncio.Event()
    task = asyncio.create_task(run_decision_service(settings, stop, build_runtime(settings)))
    yield f"http://127.0.0.1:{settings.port}"
    stop.set()
    await asyncio.wait_for(task, timeout=10)


async def test_calibration_routes_flag_the_offset_interviewer(
    kafka_client: dict[str, Any], topics: Topics, base: str
) -> None:
    await produce(kafka_client, topics.interview_events, calibration_stream(INTERVIEWS), transactional=True)
    async with httpx.AsyncClient(base_url=base, timeout=5, headers=bearer("auditor", "audrey")) as http:

        async def all_read() -> bool:
            r = await http.get("/calibration")
            return r.status_code == 200 and r.json()["interviews"] == INTERVIEWS

        assert await eventually(all_read, timeout=60)
        report = (await http.get("/calibration")).json()
        assert report["flagged"] == [OFFSET_INTERVIEWER]
        assert report["method"] == "rater-effects/2"
        assert report["rules"]["min_shared_interviews"] == 8
        assert report["rules"]["scale"] == {"strong_no": -2, "no": -1, "yes": 1, "strong_yes": 2}
        vic = (await http.get(f"/calibration/interviewers/{OFFSET_INTERVIEWER}")).json()
        assert vic["flagged"] is True
        assert all(g["offset"] < -1 and g["flagged"] for g in vic["goals"])
        assert vic["severity_flagged"] is True
        assert vic["severity"] < -1
        assert vic["interval"][1] < 0
        ana = (await http.get("/calibration/interviewers/ana")).json()
        assert ana["flagged"] is False
        assert abs(ana["severity"]) < 0.75
        missing = await http.get("/calibration/interviewers/nobody")
        assert (missing.status_code, missing.json()["code"]) == (404, "interviewer_not_found")
        assert missing.headers["content-type"] == "application/problem+json"
        paths = (await http.get("/openapi.json")).json()["paths"]
        assert {"/calibration", "/calibration/interviewers/{interviewer_id}"} <= set(paths)
