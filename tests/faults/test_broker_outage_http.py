"""During a broker outage the HTTP front says so quickly and honestly, and recovers by itself.

The broker is frozen (SIGSTOP: it accepts connections but answers nothing, the hardest kind of outage
for a client) while an interview service serves HTTP: ``/readyz`` turns 503 within a few seconds,
commands answer 503 with ``Retry-After`` in bounded time instead of hanging, and once the broker
resumes, readiness returns and a command retried with the same ``Idempotency-Key`` is applied once.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from schemas.topics import Topics
from services.platform import local_kafka
from services.platform.topics import ensure_topics
from tests.integration.interview.conftest import events_of, start_replica, stop_replica, wait_until
from tests.integration.interview.script import http_request
from tests.unit.interview.given import ALICE, open_payload, question

pytestmark = [pytest.mark.kafka, pytest.mark.slow, pytest.mark.timeout(300)]


@pytest.fixture
def frozen_broker(tmp_path: Path) -> Iterator[local_kafka.BrokerInfo]:
    """A broker only this test uses (it gets frozen), stopped by pid at the end."""
    info = local_kafka.start_broker(tmp_path / "kafka")
    try:
        local_kafka.wait_ready(info)
        yield info
    finally:
        os.kill(info.pid, signal.SIGCONT)
        local_kafka.stop_broker(info)


async def test_a_frozen_broker_gives_503s_in_bounded_time_then_recovers(
    frozen_broker: local_kafka.BrokerInfo,
) -> None:
    client: dict[str, Any] = {"bootstrap_servers": frozen_broker.bootstrap_servers}
    topics = Topics(f"o{uuid.uuid4().hex[:8]}.")
    await ensure_topics(client, topics, 3)
    service, http = await start_replica(client, topics, result_timeout_s=5)
    try:
        await wait_until(lambda: service.ready, timeout=60, what="replica ready")
        path, body = http_request("iv-out", 0, ALICE, open_payload())
        assert (await http.post(path, json=body)).status_code == 201
        assert (await http.get("/readyz")).status_code == 200

        os.kill(frozen_broker.pid, signal.SIGSTOP)
        began = time.monotonic()
        while (await http.get("/readyz")).status_code == 200:
            assert time.monotonic() - began < 15, "/readyz still 200 15 s into the outage"
            await asyncio.sleep(0.2)
        noticed = time.monotonic() - began
        ask_path, ask_body = http_request("iv-out", 1, ALICE, question("q1", "invite_story"))
        headers = {"Idempotency-Key": "ask-during-outage"}
        sent = time.monotonic()
        refused = await http.post(ask_path, json=ask_body, headers=headers)
        answered_in = time.monotonic() - sent
        assert refused.status_code == 503, refused.text
        assert refused.json()["code"] == "unavailable"
        assert refused.headers["Retry-After"] == "1"
        assert answered_in < 2, f"a command waited {answered_in:.1f} s during the outage"

        os.kill(frozen_broker.pid, signal.SIGCONT)
        await wait_until(lambda: service.ready, timeout=60, what="ready again")
        deadline = time.monotonic() + 60
        while (await http.get("/readyz")).status_code != 200:
            assert time.monotonic() < deadline, "/readyz not 200 within 60 s of the broker's return"
            await asyncio.sleep(0.5)
        accepted = await http.post(ask_path, json=ask_body, headers=headers)
        again = await http.post(ask_path, json=ask_body, headers=headers)
        assert accepted.status_code == again.status_code == 201, accepted.text
        assert again.json()["replayed"] is True
        events = await events_of(client, topics, "iv-out")
        assert [e.attributes.sequence for e in events] == [1, 2]  # applied once
        print(f"outage noticed by /readyz after {noticed:.1f} s; a command answered in {answered_in:.2f} s")
    finally:
        os.kill(frozen_broker.pid, signal.SIGCONT)
        await stop_replica((service, http))
