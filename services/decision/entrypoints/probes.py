"""Liveness, readiness and metrics of a decision role (each role answers its own; ADR 0016)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import structlog
from aiokafka.admin import AIOKafkaAdminClient
from fastapi import FastAPI, Response
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field

from services.decision.entrypoints.problems import PROBLEM_RESPONSES, ProblemError, install, problem_response

log = structlog.get_logger("decision.probes")
STALE_AFTER_S = 3.0
"""Readiness fails once the broker has not answered for this long."""


class BrokerProbe:
    """Whether the broker answered lately: a cluster description, asked at most once a second.

    The processors' and the feeds' clients retry quietly through an outage; this probe is what lets
    ``/readyz`` say so within a few seconds (a killed broker refuses, a frozen one does not answer).
    """

    def __init__(self, client: dict[str, Any], every_s: float = 1.0, timeout_s: float = 2.0) -> None:
        self._client, self._every_s, self._timeout_s = client, every_s, timeout_s
        self._last_ok = self._asked = time.monotonic()
        self._task: asyncio.Task[None] | None = None

    async def healthy(self) -> bool:
        """Ask again if due (waiting at most the timeout); True if the broker answered lately."""
        if self._task is None and time.monotonic() - self._asked >= self._every_s:
            self._asked = time.monotonic()
            self._task = asyncio.create_task(self._ask(), name="decision-broker-probe")
        if self._task is not None:
            await asyncio.wait([self._task], timeout=self._timeout_s + 0.5)
            self._task = None if self._task.done() else self._task
        return time.monotonic() - self._last_ok < STALE_AFTER_S

    async def _ask(self) -> None:
        admin = AIOKafkaAdminClient(**self._client, request_timeout_ms=int(self._timeout_s * 1000))
        try:
            await asyncio.wait_for(self._describe(admin), self._timeout_s)
            self._last_ok = time.monotonic()
        except Exception as exc:  # any failure to answer is the answer
            log.warning("decision.broker_probe_failed", error=repr(exc))
        finally:
            with contextlib.suppress(Exception):
                await admin.close()

    @staticmethod
    async def _describe(admin: AIOKafkaAdminClient) -> None:
        await admin.start()
        await admin.describe_cluster()


class Health(BaseModel):
    """Liveness or readiness."""

    status: str
    role: str = Field(default="", description="projector, candidacy, query, notary, or serve (all).")
    partitions: list[int] = Field(
        default_factory=list, description="Input partitions this process owns (the projectors, the notary)."
    )
    parked: int = Field(
        default=0,
        description="How many interviews are parked (the verdict projector; ids: `hiring-pipeline decision "
        "parked`, an operator command; probes are anonymous, so no id is shown here).",
    )
    history: str = Field(
        default="complete",
        description="`complete`, or `catching_up` while a new query replica still reads the revision "
        "history (revisions and as-of reads answer 503 until then; ADR 0015).",
    )


@dataclass
class Probes:
    """What a role's probes answer: whether it is ready (and what it waits for), its health, its metrics."""

    role: str
    ready: Callable[[], bool]
    waiting: str
    """What a role that is not ready is still doing (the 503's detail)."""
    health: Callable[[], Health]
    metrics: Callable[[], bytes]


def add_probes(app: FastAPI, probes: Probes, broker: BrokerProbe) -> None:
    """``/healthz``, ``/readyz`` (the role ready and the broker answering) and ``/metrics``."""

    @app.get("/healthz", operation_id="getHealth")
    async def healthz() -> Health:
        """Liveness: the process answers."""
        return Health(status="ok", role=probes.role)

    @app.get("/readyz", operation_id="getReadiness", responses={503: PROBLEM_RESPONSES[503]})
    async def readyz() -> Response:
        """Readiness: this role's own condition, and the broker answering."""
        if not probes.ready():
            return problem_response(ProblemError(503, "not_ready", "Not ready", probes.waiting).problem)
        if not await broker.healthy():
            detail = f"the broker has not answered for {STALE_AFTER_S:.0f} s or more"
            return problem_response(ProblemError(503, "unavailable", "Broker unavailable", detail).problem)
        return Response(probes.health().model_dump_json(), media_type="application/json")

    @app.get("/metrics", operation_id="getMetrics", response_class=PlainTextResponse)
    async def metrics() -> Response:
        """Prometheus metrics of this role (every sample labelled with it)."""
        return Response(probes.metrics(), media_type="text/plain; version=0.0.4")


def probe_app(probes: Probes, broker: BrokerProbe, max_request_bytes: int) -> FastAPI:
    """The HTTP surface of a projector role: probes and metrics only (anonymous, like the query API's)."""
    app = FastAPI(title=f"hiring-pipeline decision {probes.role}", version="1.0.0", docs_url=None,
                  redoc_url=None, openapi_url=None)  # fmt: skip
    install(app, max_request_bytes)
    add_probes(app, probes, broker)
    return app
