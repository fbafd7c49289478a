"""One way to run a service process: start it, serve its HTTP API, stop on a signal or a failure.

Both services run through ``run_service``: start the parts (topics, processors, feeds), serve HTTP,
wait for the stop event or a failed part, stop serving, then drain (finish or abort the open
transaction within the service's grace period, leave the group) and report whether it failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import structlog
import uvicorn
from aiokafka.errors import KafkaConnectionError

from services.platform.http_protocol import http_protocol
from services.platform.startup import StartupError

log = structlog.get_logger("service")
T = TypeVar("T")

HTTP_DRAIN_S = 2.0
"""Time in-flight HTTP requests get once the service stops (inside the service's own grace): a command
still waiting for its result is then answered 503 ``stopping`` by the service itself."""
CANCEL_AFTER_S = HTTP_DRAIN_S + 1
"""When uvicorn cancels what still runs: after the services' own answers. A request cancelled then (a body
still arriving) is answered 503 ``stopping`` by the edge (``http_limits``), never uvicorn's 500."""


class Service(Protocol):
    """What ``run_service`` needs of a service."""

    name: str
    failed: asyncio.Event
    """Set when a part of the service ended on an error: the process must exit non-zero."""

    @property
    def ready(self) -> bool:
        """Partitions owned, state rebuilt, producer and consumers healthy."""
        ...

    async def start(self) -> None:
        """Start every part (returns once they run, not once ready)."""

    async def stop(self) -> None:
        """Drain: finish or abort the open transaction within the grace period, leave the group."""


@dataclass(frozen=True)
class Http:
    """An ASGI app and where to serve it."""

    app: Any
    host: str
    port: int
    sock: socket.socket | None = None
    """Bound before start-up (``cli_habits.listen``): a taken port fails before Kafka is touched."""

    @property
    def bound_port(self) -> int:
        """The port served (the socket's own when bound: port 0 picks a free one)."""
        return int(self.sock.getsockname()[1]) if self.sock is not None else self.port


class QuietServer(uvicorn.Server):
    """uvicorn without its own signal handling: the process's stop event rules shutdown."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def http_server(http: Http) -> QuietServer:
    """uvicorn for a service's API: no access log (metrics count requests), our logging, no lifespan."""
    config = uvicorn.Config(
        http.app, host=http.host, port=http.port, lifespan="off", log_config=None, access_log=False,
        timeout_graceful_shutdown=int(CANCEL_AFTER_S), http=http_protocol(),
    )  # fmt: skip
    return QuietServer(config)


def run_loop(main: Coroutine[Any, Any, T]) -> T:
    """Run ``main`` to completion on uvloop when it is installed, else on asyncio's own loop.

    uvloop (libuv) does the event loop's own work per socket read and write in C; with httptools as
    uvicorn's parser it is the HTTP fronts' server stack (docs/decisions/0019).
    """
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvicorn[standard] installs it
        return asyncio.run(main)
    return uvloop.run(main)


def stop_on_signals(stop: asyncio.Event) -> None:
    """SIGTERM and SIGINT set ``stop`` (the running loop's handlers)."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)


async def run_service(service: Service, http: Http | None, stop: asyncio.Event) -> bool:
    """Run until ``stop`` is set or a part fails; drain and stop; True when it stopped cleanly."""
    try:
        await service.start()
    except StartupError as exc:  # Kafka unreachable for the whole bound, or topics missing or wrong
        log.error("cannot start", service=service.name, error=str(exc))
        with contextlib.suppress(Exception):
            await service.stop()
        return False
    except KafkaConnectionError as exc:
        # aiokafka logged the cause just before (SaslAuthenticationFailed, a TLS verify error, refused).
        log.error(
            "kafka unreachable at start", service=service.name, error=str(exc),
            hint="see the error logged before: SASL credentials (KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD"
            "[_FILE]), TLS trust (KAFKA_SSL_CAFILE) or KAFKA_BOOTSTRAP_SERVERS",
        )  # fmt: skip
        with contextlib.suppress(Exception):
            await service.stop()
        return False
    server = http_server(http) if http is not None else None
    sockets = [http.sock] if http is not None and http.sock is not None else None
    serving = asyncio.create_task(server.serve(sockets), name=f"{service.name}-http") if server else None
    waiters = [asyncio.create_task(stop.wait()), asyncio.create_task(service.failed.wait())]
    log.info("service started", service=service.name, port=http.bound_port if http else None)
    await asyncio.wait([*waiters, *([serving] if serving else [])], return_when=asyncio.FIRST_COMPLETED)
    if serving is not None and serving.done() and not stop.is_set():
        log.error("http server ended on its own", service=service.name, error=repr(serving.exception()))
        service.failed.set()
    for waiter in waiters:
        waiter.cancel()
    log.info("service stopping", service=service.name, failed=service.failed.is_set())
    if server is not None:
        server.should_exit = True
    http_done_by = asyncio.get_running_loop().time() + CANCEL_AFTER_S + 1  # uvicorn drains meanwhile
    await service.stop()
    if serving is not None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(serving, max(http_done_by - asyncio.get_running_loop().time(), 0.1))
    log.info("service stopped", service=service.name, failed=service.failed.is_set())
    return not service.failed.is_set()
