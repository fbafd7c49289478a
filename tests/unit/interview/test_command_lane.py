"""The command lane answers exactly what the FastAPI routes answer, and builds the same commands."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest

from schemas.commands import CommandEnvelope
from services.interview.entrypoints import lane
from services.interview.entrypoints.http import CommandCreated, create_app
from services.launcher.samples import OPEN
from testkit.auth import bearer, service_headers
from tests.fuzz.inprocess import InProcessGateway, interview_service

IID = "lane-1"
OPEN_BODY = {"actor_id": "alice", "expected_version": 0, **OPEN, "round": "technical"}
STORY = {"actor_id": "cand-7", "expected_version": 1, "story_id": "s1", "kind": "success", "title": "T",
         "summary": "S"}  # fmt: skip
JSON = {"content-type": "application/json"}
CANDIDATE = bearer("candidate", "cand-7")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

Request = tuple[str, bytes, dict[str, str]]
"""(path, body, headers) of a POST."""


def post(route: str, body: Any, iid: str = IID, **headers: str) -> Request:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return f"/interviews/{iid}/{route}", raw, service_headers() | JSON | headers


REQUESTS: list[Request] = [
    post("open", OPEN_BODY, **{"Idempotency-Key": "open-1", "X-Correlation-Id": "c-1"}),
    post("open", OPEN_BODY, **{"Idempotency-Key": "open-1"}),  # a retry: replayed
    post("open", OPEN_BODY, **{"Idempotency-Key": "open-2"}),  # already_opened
    post("stories", STORY, **{"content-type": "application/json; charset=utf-8"}),
    post("stories", STORY | {"story_id": "s2"}),  # version_conflict
    post("stories", STORY | {"expected_version": 2, "kind": "nonsense"}),  # invalid body
    post("stories", STORY | {"expected_version": "2"}),  # not a strict integer
    post("stories", b"{not json"),
    post("stories", b"[1, 2]"),
    post("stories", b""),
    post("stories", STORY, **{"content-type": "text/plain"}),
    post("stories", STORY, **{"content-type": "application/jsonx"}),
    post("stories", STORY, **{"Idempotency-Key": ""}),
    post("stories", STORY, **{"Idempotency-Key": "k" * 201}),
    post("stories", STORY, **{"Idempotency-Key": "a\tb"}),
    post("stories", STORY, **{"X-Correlation-Id": "\x1b[31m"}),
    post("stories", STORY, iid="bad id"),
    post("stories", STORY, Authorization="Bearer nonsense"),
    post("stories", STORY | {"actor_id": "alice"}, **CANDIDATE),  # actor_mismatch
    post("stories", STORY, **bearer("recruiter", "rita")),  # forbidden_role
    post("stories", STORY, **bearer("candidate", "cand-7", interviews=["other"])),  # narrowed token
    post("stories", STORY | {"actor_id": None, "expected_version": 2, "story_id": "s3"}, **CANDIDATE),
    post("conclusion", {"actor_id": "alice", "expected_version": 3, "outcome": "completed"}),
    post("conclusion", {"actor_id": "alice", "expected_version": 4, "outcome": "completed"}),  # concluded
    # After conclusion (the interview retired as the writer keeps it): a participant hears concluded,
    # a stranger what a stranger hears of an interview nobody opened (docs/decisions/0022).
    post("stories", STORY | {"actor_id": None, "expected_version": 4, "story_id": "s4"}, **CANDIDATE),
    post("stories", STORY | {"actor_id": None, "expected_version": 4}, **bearer("candidate", "cand-9")),
    post("stories", STORY | {"actor_id": None, "expected_version": 0}, iid="lane-x", **CANDIDATE),
]


def _unauthenticated(request: Request) -> Request:
    path, body, headers = request
    return path, body, {k: v for k, v in headers.items() if k != "Authorization"}


async def _answers(fast_lane: bool, requests: list[Request]) -> list[tuple[int, list[Any], str]]:
    app = create_app(interview_service(InProcessGateway()), fast_lane=fast_lane)
    answers = []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
        for path, body, headers in requests:
            response = await http.post(path, content=body, headers=headers)
            masked = [(k, _UUID.sub("<uuid>", v)) for k, v in response.headers.multi_items()]
            answers.append((response.status_code, masked, _UUID.sub("<uuid>", response.text)))
    return answers


async def test_the_lane_answers_every_request_as_the_routes_do(monkeypatch: pytest.MonkeyPatch) -> None:
    served: list[int] = []
    original = lane.CommandLane._serve

    async def counting(self: lane.CommandLane, *args: Any) -> Any:
        response = await original(self, *args)
        served.append(0 if response is None else response.status_code)
        return response

    monkeypatch.setattr(lane.CommandLane, "_serve", counting)
    requests = [*REQUESTS, _unauthenticated(REQUESTS[5])]
    routes = await _answers(False, requests)
    assert served == []
    lanes = await _answers(True, requests)
    for request, by_route, by_lane in zip(requests, routes, lanes, strict=True):
        assert by_lane == by_route, request
    for status, _, text in lanes:  # the answer built without validation is what validation builds
        if status == 201:
            assert CommandCreated.model_validate_json(text).model_dump_json() == text
    statuses = [status for status, _, _ in routes]
    assert statuses.count(201) == 5, statuses  # open, its replay, a story (twice), the conclusion
    assert {401, 403, 404, 409, 422} <= set(statuses)
    # The lane itself answered the well-formed ones (accepted or refused by the writer), and the
    # access refusals; it handed the malformed ones to the routes.
    assert served.count(201) == 5
    assert {401, 403, 404, 409} <= set(served)
    assert 0 in served


@pytest.mark.parametrize("fast_lane", [True, False])
async def test_the_command_sent_equals_the_envelope_validated_afresh(fast_lane: bool) -> None:
    gateway = InProcessGateway()
    sent: list[CommandEnvelope] = []
    submit = gateway.submit

    async def capture(command: CommandEnvelope, timeout: float) -> Any:
        sent.append(command)
        return await submit(command, timeout)

    gateway.submit = capture  # type: ignore[method-assign]
    app = create_app(interview_service(gateway), fast_lane=fast_lane)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
        for path, body, headers in REQUESTS:
            await http.post(path, content=body, headers=headers)
    assert len(sent) >= 8
    for command in sent:
        wire = command.model_dump_json(exclude_none=True)
        again = CommandEnvelope.model_validate_json(wire)
        assert again == command
        assert again.model_dump_json(exclude_none=True) == wire
        assert again.model_dump_json() == command.model_dump_json()


@pytest.mark.parametrize("fast_lane", [True, False])
async def test_after_conclusion_a_participant_hears_concluded_and_a_stranger_nothing(fast_lane: bool) -> None:
    participant, stranger, unknown = (
        (status, json.loads(text)) for status, _, text in (await _answers(fast_lane, REQUESTS))[-3:]
    )
    assert (participant[0], participant[1]["code"]) == (409, "concluded")
    assert participant[1]["current_version"] == 4
    assert (stranger[0], stranger[1]["code"]) == (403, "not_a_participant")
    assert "current_version" not in stranger[1]
    assert "concluded" not in stranger[1]["detail"]
    assert (unknown[0], unknown[1]["code"]) == (403, "not_a_participant")
    assert unknown[1]["detail"] == stranger[1]["detail"].replace(IID, "lane-x")
