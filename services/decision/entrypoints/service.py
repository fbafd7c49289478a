"""Run one decision role (or all of them) until a stop event: its processors, jobs and HTTP (ADR 0016)."""

from __future__ import annotations

import asyncio
import dataclasses
import socket
from collections.abc import Coroutine
from typing import Any

import structlog
from fastapi import FastAPI

from schemas.topics import Topics
from services.decision.entrypoints.api import create_app
from services.decision.entrypoints.probes import BrokerProbe, Probes, probe_app
from services.decision.entrypoints.roles import (
    Part,
    candidacy_part,
    combined,
    notary_part,
    projector_part,
    query_part,
    serve_parts,
)
from services.decision.entrypoints.runtime import (
    CandidacyRuntime,
    DecisionRuntime,
    NotaryRuntime,
    ProjectorRuntime,
    QueryRuntime,
    build_candidacy,
    build_notary,
    build_projector,
    build_query,
    build_runtime,
)
from services.decision.entrypoints.settings import DecisionSettings, Role
from services.platform.memory import young_gc_threshold
from services.platform.serving import Http, run_service
from services.platform.startup import prepare_topics

log = structlog.get_logger(__name__)

RoleRuntime = ProjectorRuntime | CandidacyRuntime | QueryRuntime | NotaryRuntime | DecisionRuntime


class DecisionService:
    """The parts of one decision process (run by ``run_service``): one role's, or all of them."""

    def __init__(self, settings: DecisionSettings, role: Role, parts: list[Part]) -> None:
        self.settings, self.role, self.parts = settings, role, parts
        self.name = "decision" if role is Role.SERVE else f"decision-{role.value}"
        self.failed = asyncio.Event()
        self._processing: list[asyncio.Task[None]] = []
        self._helpers: list[asyncio.Task[None]] = []
        self._stopping = False  # parts ending after stop() are not failures

    @property
    def ready(self) -> bool:
        """Every part ready (its own condition: partitions restored, read models caught up), none failed."""
        return all(p.probes.ready() for p in self.parts) and not self.failed.is_set()

    def probes(self) -> Probes:
        """The process's probes: its parts', ready only while nothing failed."""
        probes = self.parts[0].probes if len(self.parts) == 1 else combined(self.parts)
        return dataclasses.replace(probes, ready=lambda: self.ready)

    async def start(self) -> None:
        """Wait for Kafka, create or verify the topics, start the processors and the jobs."""
        kafka, client = self.settings.kafka, self.settings.kafka.client_kwargs()
        await prepare_topics(
            client, Topics(kafka.topic_prefix), create=self.settings.create_topics,
            partitions=kafka.partitions, replication_factor=kafka.replication_factor,
            limit_s=kafka.startup_wait_s, service=self.name,
        )  # fmt: skip
        for part in self.parts:
            self._processing += [self._critical(p.run(), name) for name, p in part.processors.items()]
            self._helpers += [self._critical(job(), name) for name, job in part.jobs.items()]

    def _critical(self, coro: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        task = asyncio.create_task(coro, name=name)
        task.add_done_callback(self._ended)
        return task

    def _ended(self, task: asyncio.Task[None]) -> None:
        if task.cancelled() or self._stopping:
            return
        error = task.exception() or RuntimeError(f"{task.get_name()} ended on its own")
        log.error("decision service part failed", task=task.get_name(), error=repr(error))
        self.failed.set()

    async def stop(self) -> None:
        """Finish or abort the open batches within the grace period, leave the groups, stop the jobs."""
        self._stopping = True
        for part in self.parts:
            for processor in part.processors.values():
                await processor.stop()
        late: set[asyncio.Task[None]] = set()
        if self._processing:
            _, late = await asyncio.wait(self._processing, timeout=self.settings.shutdown_grace_s)
        for task in [*late, *self._helpers]:
            task.cancel()
        await asyncio.gather(*self._processing, *self._helpers, return_exceptions=True)
        log.info("decision service drained", role=self.role.value, late=[t.get_name() for t in late])


def build_role(settings: DecisionSettings, role: Role) -> RoleRuntime:
    """The runtime of ``role`` (no I/O): inspect it while ``run_role`` runs it (tests, benchmarks)."""
    if role is Role.PROJECTOR:
        return build_projector(settings)
    if role is Role.CANDIDACY:
        return build_candidacy(settings)
    if role is Role.NOTARY:
        return build_notary(settings)
    return build_query(settings) if role is Role.QUERY else build_runtime(settings)


def _parts(runtime: RoleRuntime, settings: DecisionSettings) -> list[Part]:
    if isinstance(runtime, NotaryRuntime):
        return [notary_part(runtime, settings.tlog_interval_s)]
    if isinstance(runtime, DecisionRuntime):
        return serve_parts(runtime)
    if isinstance(runtime, ProjectorRuntime):
        return [projector_part(runtime)]
    if isinstance(runtime, CandidacyRuntime):
        return [candidacy_part(runtime)]
    return [query_part(runtime)]


def _app(runtime: RoleRuntime, service: DecisionService) -> FastAPI:
    settings = service.settings
    broker = BrokerProbe(settings.kafka.client_kwargs())
    if isinstance(runtime, DecisionRuntime):
        return create_app(runtime.query, service.probes(), broker)
    if isinstance(runtime, QueryRuntime):
        return create_app(runtime, service.probes(), broker)
    return probe_app(service.probes(), broker, settings.max_request_bytes)


async def run_role(
    settings: DecisionSettings, role: Role, stop_event: asyncio.Event, runtime: RoleRuntime | None = None,
    sock: socket.socket | None = None,
) -> None:
    """Run ``role`` until ``stop_event`` is set, then finish or abort the open batch, leave the group and
    return. ``runtime``: one built by ``build_role`` for the same role (to watch it), else a new one;
    ``sock``: the HTTP socket bound before start-up (``cli_habits.listen``), else uvicorn binds it.

    Raises when a part failed: a crashed part must not look like a clean stop (the supervisor restarts).
    """
    runtime = runtime or build_role(settings, role)
    service = DecisionService(settings, role, _parts(runtime, settings))
    http = Http(_app(runtime, service), settings.host, settings.port_of(role), sock)
    with young_gc_threshold():
        clean = await run_service(service, http, stop_event)
    if not clean:
        raise RuntimeError(f"decision {role.value} stopped after a failure")


async def run_decision_service(
    settings: DecisionSettings, stop_event: asyncio.Event, runtime: DecisionRuntime | None = None
) -> None:
    """All four roles in one process (``decision serve``: development and in-process tests)."""
    await run_role(settings, Role.SERVE, stop_event, runtime)
