"""Both services' HTTP apps without a broker, for fuzzing thousands of requests in-process.

The interview app runs over ``InProcessGateway``: each command is encoded exactly as the HTTP front
produces it, parsed back as the writer parses a record, and decided by the real domain, with the
idempotency rule of the writer. Every record the writer would produce is measured against the broker's
record size, so fuzzing also checks the bounds hold. The decision app runs over a store holding the
verdicts policy v1 publishes for a scripted interview.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from aiokafka.record.default_records import DefaultRecordBatchBuilder
from fastapi import FastAPI

from schemas.codec import encode
from schemas.commands import CommandEnvelope, CommandResult
from schemas.envelope import Event
from services.decision.adapters.calibration_store import CalibrationStore
from services.decision.adapters.metrics import QueryMetrics
from services.decision.adapters.proof_store import ProofStore
from services.decision.adapters.tlog_keys import KeySet
from services.decision.domain.replay import project
from services.decision.entrypoints.api import create_app as decision_app
from services.decision.entrypoints.probes import Health, Probes
from services.decision.entrypoints.settings import DecisionSettings
from services.interview.adapters import wire
from services.interview.domain import InterviewState, Rejection, Stamp, decide, evolve
from services.interview.domain.state import retired
from services.interview.entrypoints.http import create_app as interview_app
from services.interview.entrypoints.settings import InterviewSettings
from services.platform.settings import KafkaSettings

RECORD_LIMIT = 1_048_576
"""The smaller of the broker's and the producer's default record limits."""


def record_size(key: bytes | None, value: bytes | None, headers: list[tuple[str, bytes]]) -> int:
    """Bytes of a batch holding this one record (aiokafka's estimate)."""
    return int(DefaultRecordBatchBuilder.estimate_size_in_bytes(key, value, headers))


@dataclass
class InProcessGateway:
    """The gateway's contract (``ready``, ``healthy``, ``submit``) over the writer's decision path."""

    ready: bool = True
    healthy: bool = True
    interviews: dict[str, InterviewState] = field(default_factory=dict)
    first: dict[tuple[str, str], CommandResult] = field(default_factory=dict)
    records: int = 0
    largest: int = 0

    async def submit(self, command: CommandEnvelope, timeout: float) -> CommandResult:
        """Decide ``command`` as the writer would decide its record."""
        value = command.model_dump_json(exclude_none=True).encode()
        self._measure(command.interview_id.encode(), value, list(wire.JSON_HEADERS))
        parsed = wire.parse_command(value, command.interview_id.encode(), "fuzz:0:0")
        result, events = self._decide(parsed) if isinstance(parsed, CommandEnvelope) else (parsed, [])
        for event in events:
            record = encode(event)
            self._measure(record.key, record.value, record.headers)
        out = wire.result_record(result, "results", 0)
        self._measure(out.key, out.value, out.headers)
        return result

    def _decide(self, command: CommandEnvelope) -> tuple[CommandResult, list[Event]]:
        first = self.first.get((command.interview_id, command.key))
        if first is not None:
            return wire.replayed(command, first), []  # fuzzed keys are fresh uuids: no reuse to judge
        state = self.interviews.get(command.interview_id) or InterviewState(command.interview_id)
        outcome = decide(state, command, Stamp([str(uuid.uuid4())], datetime.now(UTC)))
        if isinstance(outcome, Rejection):
            result: CommandResult = wire.rejected(command, outcome)
            events: list[Event] = []
        else:
            for event in outcome:
                state = evolve(state, event)
            self.interviews[command.interview_id] = retired(state)  # kept as the writer keeps it
            result, events = wire.accepted(command, outcome), outcome
        self.first[(command.interview_id, command.key)] = result
        return result, events

    def _measure(self, key: bytes | None, value: bytes | None, headers: list[tuple[str, bytes]]) -> None:
        size = record_size(key, value, headers)
        assert size <= RECORD_LIMIT, f"a record of {size} bytes would be refused by the broker"
        self.records += 1
        self.largest = max(self.largest, size)


def interview_service(gateway: InProcessGateway) -> Any:
    """What the interview app needs of its service: settings, readiness and the gateway."""
    return SimpleNamespace(settings=InterviewSettings(), gateway=gateway, ready=True)


def fuzz_interview_app(gateway: InProcessGateway) -> FastAPI:
    """The interview service's real app over an in-process gateway."""
    return interview_app(interview_service(gateway))


class ListStore:
    """Revisions per interview in order: the query methods the decision API calls."""

    def __init__(self, revisions: list[Event]) -> None:
        self._by: dict[str, list[Event]] = {}
        for event in revisions:
            self._by.setdefault(event.attributes.subject, []).append(event)

    def revisions(self, interview_id: str) -> list[Event]:
        return list(self._by.get(interview_id, []))

    def current(self, interview_id: str) -> Event | None:
        held = self._by.get(interview_id)
        return held[-1] if held else None

    def as_of_sequence(self, interview_id: str, sequence: int) -> Event | None:
        held = [e for e in self._by.get(interview_id, []) if e.data.input_sequence <= sequence]  # type: ignore[attr-defined]
        return held[-1] if held else None

    def as_of_time(self, interview_id: str, when: datetime) -> Event | None:
        held = [e for e in self._by.get(interview_id, []) if e.attributes.time <= when]
        return held[-1] if held else None


class AnsweringBroker:
    """A broker probe that always hears an answer (the fuzzed app has no broker)."""

    async def healthy(self) -> bool:
        return True


def fuzz_decision_app(
    events: list[Event], proofs: ProofStore | None = None, keys: KeySet | None = None, ready: bool = True
) -> FastAPI:
    """The decision service's real app over the verdicts of ``events`` (``proofs``: a proof store and the
    verifier ``keys`` of the transparency routes; default none, so they answer 404); ``ready``: its read
    models restored (else each data route must answer 503 ``not_ready``)."""
    settings = DecisionSettings(kafka=KafkaSettings(bootstrap_servers="127.0.0.1:9"))
    query = SimpleNamespace(
        settings=settings,
        client=settings.kafka.client_kwargs(),
        store=ListStore(project(events)),
        history_complete=lambda: True,
        calibration=_calibration(events),
        calibration_ready=lambda: True,
        candidacies=ListStore([]),  # no candidacy revisions: 404s
        candidacy_history_complete=lambda: True,
        proofs=proofs or ProofStore(Path(":memory:")),
        keys=keys or KeySet(()),
        ready=ready,
        metrics=QueryMetrics(),
    )
    metrics = query.metrics
    health = lambda: Health(status="ready", role="query")  # noqa: E731
    probes = Probes("query", lambda: ready, "reading the latest verdicts", health, metrics.render)
    return decision_app(query, probes, AnsweringBroker())  # type: ignore[arg-type]


def _calibration(events: list[Event]) -> CalibrationStore:
    store = CalibrationStore(Path(":memory:"))
    store.add_records([encode(e) for e in project(events)])
    return store
