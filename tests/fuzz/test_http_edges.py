"""Every client mistake gets a fast, bounded problem+json answer from both APIs; never a 500."""

from __future__ import annotations

import asyncio
import codecs
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi import FastAPI

from schemas.commands import CommandEnvelope, CommandResult
from services.interview.adapters.gateway import BrokerUnavailableError, ResultTimeoutError, StoppingError
from testkit.auth import issuer, service_headers
from testkit.interviews import Script
from tests.fuzz.inprocess import InProcessGateway, fuzz_decision_app, fuzz_interview_app

PROBLEM = "application/problem+json"
CONCLUDE = {"actor_id": "ana", "expected_version": 1, "outcome": "completed"}


APPS: dict[str, Callable[[], FastAPI]] = {
    "interview": lambda: fuzz_interview_app(InProcessGateway()),
    "decision": lambda: fuzz_decision_app(Script("iv-1").opened().events),
}


def client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test", headers=service_headers()
    )


@pytest.fixture
async def interview() -> AsyncIterator[httpx.AsyncClient]:
    async with client(APPS["interview"]()) as http:
        yield http


@pytest.fixture
async def decision() -> AsyncIterator[httpx.AsyncClient]:
    async with client(APPS["decision"]()) as http:
        yield http


def problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert (body["code"], body["status"]) == (code, status)
    return body


@pytest.mark.parametrize("name", list(APPS))
async def test_unknown_route_and_wrong_method(name: str) -> None:
    async with client(APPS[name]()) as http:
        problem(await http.get("/no/such/route"), 404, "not_found")
        body = problem(await http.delete("/healthz"), 405, "method_not_allowed")
    assert "allowed: GET" in body["detail"]


@pytest.mark.parametrize("name", list(APPS))
async def test_a_body_over_the_limit_is_refused_unread(name: str) -> None:
    async with client(APPS[name]()) as http:
        response = await http.post("/interviews/iv-1/conclusion", content=b"x" * 300_000)
    assert "at most" in problem(response, 413, "too_large")["detail"]


async def test_a_streamed_body_over_the_limit_is_refused(interview: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(100):
            yield b" " * 10_000  # no Content-Length: chunked

    response = await interview.post("/interviews/iv-1/conclusion", content=chunks())
    problem(response, 413, "too_large")


@pytest.mark.parametrize(
    "content",
    [b"{not json", b"[" * 50_000, b'{"expected_version": ' + b"9" * 5000 + b"}", b'{"\\ud800": 1}', b""],
)
async def test_malformed_bodies_are_problems(interview: httpx.AsyncClient, content: bytes) -> None:
    headers = {"content-type": "application/json"}
    response = await interview.post("/interviews/iv-1/conclusion", content=content, headers=headers)
    assert response.status_code in (400, 422)
    assert response.headers["content-type"] == PROBLEM


@pytest.mark.parametrize(
    ("headers", "field"),
    [
        ({"Idempotency-Key": ""}, "header.Idempotency-Key"),
        ({"Idempotency-Key": "k" * 201}, "header.Idempotency-Key"),
        ({"Idempotency-Key": "a\tb"}, "Idempotency-Key"),
        ({"X-Correlation-Id": ""}, "header.X-Correlation-Id"),
    ],
)
async def test_bad_headers_are_422_naming_the_header(
    interview: httpx.AsyncClient, headers: dict[str, str], field: str
) -> None:
    response = await interview.post("/interviews/iv-1/conclusion", json=CONCLUDE, headers=headers)
    assert problem(response, 422, "invalid_command")["field"] == field


@pytest.mark.parametrize("version", ["1", True, 1.0, 2**64, -1])
async def test_expected_version_is_a_strict_integer(interview: httpx.AsyncClient, version: Any) -> None:
    response = await interview.post(
        "/interviews/iv-1/conclusion", json=CONCLUDE | {"expected_version": version}
    )
    assert problem(response, 422, "invalid_command")["field"] == "expected_version"


async def test_validation_errors_are_capped(interview: httpx.AsyncClient) -> None:
    body = {f"unknown{i}": i for i in range(5_000)}
    response = await interview.post("/interviews/iv-1/stories", json=body)
    detail = problem(response, 422, "invalid_command")["detail"]
    assert "more problem(s) not listed" in detail
    assert len(response.content) < 4_000


async def test_oversized_lists_are_one_error(interview: httpx.AsyncClient) -> None:
    story = {"actor_id": "c", "expected_version": 1, "story_id": "s", "kind": "other", "title": "t"}
    response = await interview.post(
        "/interviews/iv-1/stories", json=story | {"summary": "s", "skills": ["X"] * 30_000}
    )
    assert (
        problem(response, 422, "invalid_command")["detail"]
        == "skills: has 30000 items; at most 50 are allowed"
    )


async def test_the_decision_api_names_bad_parameters(decision: httpx.AsyncClient) -> None:
    problem(await decision.get("/interviews/iv-1/verdict?as_of_sequence=abc"), 422, "invalid_request")
    problem(await decision.get("/interviews/bad%20id/verdict"), 422, "invalid_request")
    assert (await decision.get("/interviews/iv-1/verdict?as_of_sequence=1")).status_code == 200


class Outage(InProcessGateway):
    """A gateway whose broker is gone (``healthy`` false) or stalls (``submit`` raises)."""

    def __init__(self, healthy: bool, error: Exception) -> None:
        super().__init__(healthy=healthy)
        self.error = error

    async def submit(self, command: CommandEnvelope, timeout: float) -> CommandResult:
        raise self.error


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (BrokerUnavailableError("the broker is unavailable; nothing was sent"), 503, "unavailable"),
        (ResultTimeoutError("no result within 10s"), 504, "timeout"),
        (StoppingError("this replica stopped before the result arrived"), 503, "stopping"),
    ],
)
async def test_an_outage_answers_at_once_with_retry_after(error: Exception, status: int, code: str) -> None:
    app = fuzz_interview_app(Outage(healthy=False, error=error))
    async with client(app) as http:
        response = await asyncio.wait_for(http.post("/interviews/iv-1/conclusion", json=CONCLUDE), 2)
        assert "same Idempotency-Key" in problem(response, status, code)["detail"]
        assert response.headers["Retry-After"] == "1"
        ready = await http.get("/readyz")
        problem(ready, 503, "unavailable")
        assert ready.headers["Retry-After"] == "1"


def _forged_token(alg: str) -> str:
    """Signed by a fresh ``alg`` key, but naming the trusted (EdDSA) key's kid."""
    key: Any = (
        rsa.generate_private_key(65537, 2048) if alg == "RS256" else ec.generate_private_key(ec.SECP256R1())
    )
    now = int(time.time())
    claims = {"iss": "x", "aud": "y", "sub": "eve", "iat": now, "exp": now + 60, "roles": ["service"]}
    return jwt.encode(claims, key, algorithm=alg, headers={"kid": issuer().kid})


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
@pytest.mark.parametrize("name", list(APPS))
async def test_a_header_algorithm_not_the_keys_is_401(name: str, alg: str) -> None:
    headers = {"Authorization": f"Bearer {_forged_token(alg)}"}
    async with client(APPS[name]()) as http:
        if name == "interview":
            response = await http.post("/interviews/iv-1/conclusion", json=CONCLUDE, headers=headers)
        else:
            response = await http.get("/interviews/iv-1/verdict", headers=headers)
        assert "does not match the key" in problem(response, 401, "invalid_token")["detail"]
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


BODY = json.dumps(CONCLUDE)


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (codecs.BOM_UTF16_LE + BODY.encode("utf-16-le"), "application/json"),
        (BODY.encode("utf-16"), "application/json"),  # with the platform's BOM
        (BODY.encode("utf-16-be"), "application/json"),  # no BOM: ASCII with zero bytes
        (BODY.encode("utf-32"), "application/json"),
        (codecs.BOM_UTF8 + BODY.encode(), "application/json"),
        (BODY.replace("completed", "compl\xe9ted").encode("latin-1"), "application/json"),
        (BODY.encode(), "application/json; charset=utf-16"),
    ],
    ids=["utf16-bom", "utf16", "utf16be-no-bom", "utf32", "utf8-bom", "latin1", "charset-utf16"],
)
@pytest.mark.parametrize("name", list(APPS))
async def test_a_body_not_utf8_json_is_415(name: str, content: bytes, content_type: str) -> None:
    async with client(APPS[name]()) as http:
        response = await http.post(
            "/interviews/iv-1/conclusion", content=content, headers={"content-type": content_type}
        )
    assert "UTF-8 JSON" in problem(response, 415, "unsupported_media_type")["detail"]


async def test_the_same_body_in_utf8_is_taken(interview: httpx.AsyncClient) -> None:
    """The 415s above are for the encoding alone: this body, in UTF-8, reaches the domain."""
    response = await interview.post(
        "/interviews/iv-1/conclusion", content=BODY.encode(), headers={"content-type": "application/json"}
    )
    problem(response, 404, "not_opened")


@pytest.mark.parametrize("header", ["Idempotency-Key", "X-Correlation-Id", "Authorization", "Content-Type"])
async def test_a_repeated_single_valued_header_is_400(interview: httpx.AsyncClient, header: str) -> None:
    base = {"content-type": "application/json", **service_headers()}
    value = base.get(header.lower(), base.get(header, "k-1"))
    headers = [(k, v) for k, v in base.items() if k.lower() != header.lower()]
    headers += [(header, value), (header, value if header != "Idempotency-Key" else "k-2")]
    response = await interview.post("/interviews/iv-1/conclusion", content=BODY.encode(), headers=headers)
    assert header.lower() in problem(response, 400, "repeated_header")["detail"]


DATA_ROUTES = [
    "/interviews/iv-1/verdict",
    "/interviews/iv-1/verdict?as_of_sequence=1",
    "/interviews/iv-1/revisions",
    "/interviews/nobody/verdict",
    "/candidacies/cy-1/verdict",
    "/candidacies/cy-1/revisions",
    "/calibration",
    "/calibration/interviewers/ana",
]


@pytest.mark.parametrize("path", DATA_ROUTES)
async def test_an_unready_query_service_is_503_not_404(path: str) -> None:
    app = fuzz_decision_app(Script("iv-1").opened().events, ready=False)
    async with client(app) as http:
        response = await http.get(path)
        assert response.headers["Retry-After"] == "1"
        problem(response, 503, "not_ready")
        problem(await http.get(path, headers={"Authorization": "Bearer x"}), 401, "invalid_token")


class Stalled(InProcessGateway):
    """A gateway whose result never comes: the request is in flight until the server cancels it."""

    def __init__(self) -> None:
        super().__init__()
        self.waiting = asyncio.Event()

    async def submit(self, command: CommandEnvelope, timeout: float) -> CommandResult:
        self.waiting.set()
        await asyncio.Event().wait()
        raise AssertionError("never answered")


async def test_a_request_the_server_cancels_at_shutdown_is_503_not_500() -> None:
    """What uvicorn does once its drain time is over: cancel the request's task."""
    gateway = Stalled()
    app = fuzz_interview_app(gateway)
    sent: list[dict[str, Any]] = []
    body = json.dumps(CONCLUDE).encode()
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": "/interviews/iv-1/conclusion", "raw_path": b"/interviews/iv-1/conclusion",
        "query_string": b"", "root_path": "", "client": ("127.0.0.1", 1), "server": ("test", 80),
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                    *((k.lower().encode(), v.encode()) for k, v in service_headers().items())],
    }  # fmt: skip

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    request = asyncio.create_task(app(scope, receive, send))
    await asyncio.wait_for(gateway.waiting.wait(), 5)
    request.cancel()
    await asyncio.wait_for(request, 5)  # answered, not cancelled
    start, done = sent
    headers = dict(start["headers"])
    assert (start["status"], headers[b"retry-after"]) == (503, b"1")
    assert headers[b"content-type"] == PROBLEM.encode()
    assert json.loads(done["body"])["code"] == "stopping"
