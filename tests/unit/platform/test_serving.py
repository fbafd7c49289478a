"""The services' server stack: uvloop under the event loop, httptools under uvicorn (ADR 0019)."""

from __future__ import annotations

import asyncio

from services.platform.serving import Http, http_server, run_loop


def test_run_loop_runs_the_coroutine_on_uvloop() -> None:
    async def loop_module() -> str:
        await asyncio.sleep(0)
        return type(asyncio.get_running_loop()).__module__

    assert run_loop(loop_module()).startswith("uvloop")


def test_uvicorn_parses_http_with_httptools() -> None:
    server = http_server(Http(app=None, host="127.0.0.1", port=0))
    server.config.load()
    assert server.config.http_protocol_class.__name__ == "HttpToolsProtocol"
