"""The services' server stack: uvloop under the event loop, httptools under uvicorn (ADR 0019)."""

from __future__ import annotations

import asyncio
import json

import pytest
from fastapi import FastAPI, Request
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from services.platform.http_protocol import ProblemH11
from services.platform.local_kafka import free_port
from services.platform.serving import Http, http_server, run_loop


def test_run_loop_runs_the_coroutine_on_uvloop() -> None:
    async def loop_module() -> str:
        await asyncio.sleep(0)
        return type(asyncio.get_running_loop()).__module__

    assert run_loop(loop_module()).startswith("uvloop")


def test_uvicorn_parses_http_with_httptools() -> None:
    server = http_server(Http(app=None, host="127.0.0.1", port=0))
    server.config.load()
    assert issubclass(server.config.http_protocol_class, HttpToolsProtocol)


MALFORMED = [
    b"GARBAGE\r\n\r\n",
    b"GET /healthz HTTP/1.1\r\nHost: x\r\nbad header line\r\n\r\n",
    b"GET /\x00 HTTP/1.1\r\nHost: x\r\n\r\n",
    b"POST /interviews/x/open HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\nhello",
    b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
]


@pytest.mark.parametrize("parser", ["httptools", "h11"])
@pytest.mark.parametrize("request_bytes", MALFORMED, ids=["line", "header", "nul", "two-lengths", "chunk"])
async def test_malformed_http_is_answered_with_problem_json(request_bytes: bytes, parser: str) -> None:
    """What uvicorn's parser refuses before any app runs is still a problem, not uvicorn's plain text."""
    server = http_server(Http(app=FastAPI(), host="127.0.0.1", port=free_port()))
    if parser == "h11":  # the fallback when httptools is not installed
        server.config.http = ProblemH11
    serving = asyncio.create_task(server.serve())
    try:
        while not server.started:  # noqa: ASYNC110 (uvicorn's own flag)
            await asyncio.sleep(0.01)
        reader, writer = await asyncio.open_connection("127.0.0.1", server.config.port)
        writer.write(request_bytes)
        answer = await asyncio.wait_for(reader.read(), 5)  # until the server closes
        writer.close()
    finally:
        server.should_exit = True
        await asyncio.wait_for(serving, 10)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 "), answer
    assert b"content-type: application/problem+json" in head.lower()
    problem = json.loads(body)
    assert (problem["status"], problem["code"]) == (400, "bad_request")
    assert "RFC 9112" in problem["detail"]


@pytest.mark.parametrize("size", [100_000, 2_000_000])
async def test_a_request_head_over_64_kib_is_431_problem_json(size: int) -> None:
    """httptools buffers a header of any size; the protocol stops reading it past the bound."""
    app = FastAPI()

    @app.get("/x")
    async def x() -> dict[str, int]:
        return {"ok": 1}

    @app.post("/body")
    async def body(request: Request) -> dict[str, int]:
        return {"read": len(await request.body())}

    server = http_server(Http(app=app, host="127.0.0.1", port=free_port()))
    serving = asyncio.create_task(server.serve())
    try:
        while not server.started:  # noqa: ASYNC110 (uvicorn's own flag)
            await asyncio.sleep(0.01)
        reader, writer = await asyncio.open_connection("127.0.0.1", server.config.port)
        for _ in range(3):  # large bodies on one connection: a body is not part of the head
            writer.write(b"POST /body HTTP/1.1\r\nHost: x\r\nContent-Length: 900000\r\n\r\n" + b"b" * 900_000)
            status = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            assert status.startswith(b"HTTP/1.1 200 "), status
            await reader.readuntil(b"}")
        writer.close()
        answers = []
        for head in (b"X-Small: " + b"a" * 1000, b"X-Big: " + b"a" * size):
            reader, writer = await asyncio.open_connection("127.0.0.1", server.config.port)
            writer.write(b"GET /x HTTP/1.1\r\nHost: x\r\n" + head + b"\r\nConnection: close\r\n\r\n")
            answers.append(await asyncio.wait_for(reader.read(), 10))
            writer.close()
    finally:
        server.should_exit = True
        await asyncio.wait_for(serving, 10)
    assert answers[0].startswith(b"HTTP/1.1 200 ")
    head, _, problem = answers[1].partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 431 "), answers[1][:200]
    assert json.loads(problem)["code"] == "headers_too_large"
