"""After conclusion, on the real broker: participants hear 409 ``concluded``, a stranger nothing (0022).

Both HTTP paths (the command lane and the FastAPI routes), before and after a restart that restores
the writer's state from its changelog (where a concluded interview is kept retired).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from schemas.topics import Topics
from services.interview.entrypoints.http import create_app
from testkit.auth import bearer
from tests.integration.interview.conftest import start_replica, stop_replica, wait_until
from tests.integration.interview.script import http_request
from tests.unit.interview.given import ALICE, CANDIDATE, MALLORY, conclude, open_payload

pytestmark = pytest.mark.kafka

IID, NOBODY = "iv-over", "iv-nobody-opened"
QUESTION = {"question_id": "q9", "kind": "about_role", "text": "What would I own?", "expected_version": 2}


async def _answers(http: httpx.AsyncClient) -> dict[str, tuple[int, dict[str, Any]]]:
    """The answers to a command after conclusion, by who sends it."""
    path = f"/interviews/{IID}/questions"
    senders = {
        "interviewer": (path, QUESTION, bearer("interviewer", ALICE)),
        "candidate": (path, QUESTION, bearer("candidate", CANDIDATE)),
        "service": (path, QUESTION | {"actor_id": ALICE}, {}),  # the client's default: a service token
        "stranger": (path, QUESTION, bearer("interviewer", MALLORY)),
        "stranger, unknown interview": (path.replace(IID, NOBODY), QUESTION, bearer("interviewer", MALLORY)),
    }
    found = {}
    for who, (where, body, headers) in senders.items():
        response = await http.post(where, json=body, headers=headers)
        found[who] = (response.status_code, response.json())
    return found


def _plain(found: dict[str, tuple[int, dict[str, Any]]]) -> dict[str, tuple[Any, ...]]:
    """The answers without their per-request ids."""
    return {who: (s, sorted(set(b) - {"command_id", "correlation_id", "instance"}), b["code"], b["detail"])
            for who, (s, b) in found.items()}  # fmt: skip


def _check(found: dict[str, tuple[int, dict[str, Any]]]) -> None:
    for who in ("interviewer", "candidate", "service"):
        status, body = found[who]
        assert (status, body["code"], body["current_version"]) == (409, "concluded", 2), (who, body)
    status, body = found["stranger"]
    assert (status, body["code"]) == (403, "not_a_participant"), body
    assert "current_version" not in body
    unknown = found["stranger, unknown interview"][1]
    assert found["stranger, unknown interview"][0] == 403
    assert unknown["detail"] == body["detail"].replace(IID, NOBODY)  # the same answer as for no interview


async def test_participants_hear_concluded_and_a_stranger_nothing(
    kafka_client: dict[str, Any], topics: Topics
) -> None:
    service, http = first = await start_replica(kafka_client, topics)
    try:
        await wait_until(lambda: service.ready, what="replica ready")
        for version, payload in enumerate([open_payload(), conclude()]):
            path, body = http_request(IID, version, ALICE, payload)
            assert (await http.post(path, json=body)).status_code == 201
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_app(service, fast_lane=False)),
            base_url="http://interview", headers=dict(http.headers),
        ) as routes:  # fmt: skip
            by_lane, by_route = await _answers(http), await _answers(routes)
        _check(by_lane)
        assert _plain(by_route) == _plain(by_lane)  # the lane and the routes answer alike
    finally:
        await stop_replica(first)
    again = await start_replica(kafka_client, topics)  # the state comes back from the changelog
    try:
        await wait_until(lambda: again[0].ready, what="replica ready again")
        _check(await _answers(again[1]))
    finally:
        await stop_replica(again)
