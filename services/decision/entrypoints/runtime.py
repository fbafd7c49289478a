"""The parts of each decision role, wired once from settings (no I/O at construction; ADR 0016).

Three roles run from the same package: the verdict projector (``interview.events`` to verdicts, exactly
once), the candidacy projector (``decision.candidacy-rounds`` to candidacy verdicts, exactly once) and
the query service (the read models and the HTTP API; owns no input partition). ``DecisionRuntime`` is
all three in one process (``decision serve``: development and in-process tests).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from schemas.topics import Topics
from services.decision.adapters.calibration_store import CalibrationStore, open_calibration
from services.decision.adapters.candidacy import CandidacyHandler
from services.decision.adapters.handler import DecisionHandler
from services.decision.adapters.metrics import CandidacyMetrics, DecisionMetrics, QueryMetrics
from services.decision.adapters.participants import ParticipantStore, open_participants
from services.decision.adapters.verdict_store import (
    FanoutFeed,
    FeedTarget,
    StoreFeed,
    VerdictStore,
    open_store,
)
from services.decision.domain.candidacy.versions import PolicyChoice
from services.decision.domain.policy import Policies, policy_for
from services.decision.entrypoints.settings import DecisionSettings
from services.platform.eos import Record, TransactionalProcessor
from services.platform.state import default_state_dir


@dataclass
class Progress:
    """What committed batches did: metrics, and the next offset per input partition (for lag)."""

    handler: DecisionHandler
    metrics: DecisionMetrics = field(default_factory=DecisionMetrics)
    positions: dict[int, int] = field(default_factory=dict)

    def committed(self, partition: int, records: list[Record]) -> None:
        """Engine callback after each committed batch."""
        self.metrics.committed(self.handler.batch.pop(partition, Counter()))
        self.positions[partition] = records[-1].offset + 1


@dataclass
class ProjectorRuntime:
    """The verdict projector: the exactly-once processor of ``interview.events`` and its progress."""

    settings: DecisionSettings
    client: dict[str, Any]
    topics: Topics
    handler: DecisionHandler
    processor: TransactionalProcessor
    progress: Progress

    @property
    def ready(self) -> bool:
        """Partitions claimed and restored."""
        return self.processor.ready


@dataclass
class CandidacyRuntime:
    """The candidacy projector (ADR 0012): the exactly-once processor keyed by candidacy id."""

    handler: CandidacyHandler
    processor: TransactionalProcessor
    metrics: CandidacyMetrics

    @property
    def ready(self) -> bool:
        """Partitions claimed and restored."""
        return self.processor.ready


@dataclass
class QueryRuntime:
    """The query service's read models, each topic tailed once (``decision.verdicts`` fanned out)."""

    settings: DecisionSettings
    client: dict[str, Any]
    topics: Topics
    store: VerdictStore
    feed: StoreFeed
    """Every revision, from ``decision.events``: filled in the background (not part of readiness)."""
    participants: ParticipantStore
    participant_feed: StoreFeed
    verdict_feed: FanoutFeed
    """Compacted ``decision.verdicts``, read once for the latest verdicts and the calibration."""
    latest: FeedTarget
    """The latest revision of every interview, into ``store`` (ADR 0015)."""
    calibration: CalibrationStore
    calibrated: FeedTarget
    candidacies: VerdictStore
    candidacy_feed: StoreFeed
    metrics: QueryMetrics

    @property
    def ready(self) -> bool:
        """The latest verdict of every interview read and the participant store (who may read what)
        caught up. What grows with history fills in the background (ADR 0015): reads that need it
        answer 503 ``catching_up`` until it has."""
        return self.latest.caught_up.is_set() and self.participant_feed.caught_up.is_set()

    def history_complete(self) -> bool:
        """Whether the revision history has been read up to its end at start."""
        return self.feed.caught_up.is_set()

    def candidacy_history_complete(self) -> bool:
        """Whether the candidacy revisions have been read up to their end at start."""
        return self.candidacy_feed.caught_up.is_set()

    def calibration_ready(self) -> bool:
        """Whether the calibration store has read ``decision.verdicts`` up to its end at start."""
        return self.calibrated.caught_up.is_set()

    def feeds(self) -> list[FanoutFeed]:
        """Every feed, one per topic tailed."""
        return [self.feed, self.participant_feed, self.verdict_feed, self.candidacy_feed]


@dataclass
class DecisionRuntime:
    """All three roles in one process (``decision serve``, for development and in-process tests)."""

    projector: ProjectorRuntime
    candidacy: CandidacyRuntime
    query: QueryRuntime

    @property
    def ready(self) -> bool:
        """Every role ready."""
        return self.projector.ready and self.candidacy.ready and self.query.ready

    @property
    def settings(self) -> DecisionSettings:
        """The settings the roles were built from."""
        return self.projector.settings

    @property
    def handler(self) -> DecisionHandler:
        """The verdict projector's handler."""
        return self.projector.handler

    @property
    def processor(self) -> TransactionalProcessor:
        """The verdict projector's processor."""
        return self.projector.processor

    @property
    def progress(self) -> Progress:
        """The verdict projector's progress."""
        return self.projector.progress

    @property
    def participants(self) -> ParticipantStore:
        """The query service's participant store."""
        return self.query.participants


def _state_dir(settings: DecisionSettings) -> Any:
    return settings.state_dir or default_state_dir()


def build_projector(settings: DecisionSettings) -> ProjectorRuntime:
    """The verdict projector from its settings."""
    client, topics = settings.kafka.client_kwargs(), Topics(settings.kafka.topic_prefix)
    shadow = policy_for(settings.shadow_policy) if settings.shadow_policy else None  # ADR 0024
    handler = DecisionHandler(
        client, topics, settings.group, Policies.of(settings.policy_version), _state_dir(settings), shadow
    )
    progress = Progress(handler)
    processor = TransactionalProcessor(
        client, input_topic=topics.interview_events, group_id=settings.group,
        transactional_prefix=settings.transactional_prefix, handler=handler,
        max_records=settings.max_records, on_committed=progress.committed,
        on_aborted=lambda reason: progress.metrics.aborted.labels(reason).inc(),
    )  # fmt: skip
    return ProjectorRuntime(settings, client, topics, handler, processor, progress)


def build_candidacy(settings: DecisionSettings) -> CandidacyRuntime:
    """The candidacy projector from its settings: its own group ``<group>.candidacy``."""
    client, topics = settings.kafka.client_kwargs(), Topics(settings.kafka.topic_prefix)
    choice = PolicyChoice(settings.candidacy_policy, settings.candidacy_policy_since)
    handler = CandidacyHandler(client, topics, settings.candidacy_group, _state_dir(settings), choice)
    metrics = CandidacyMetrics()
    processor = TransactionalProcessor(
        client, input_topic=topics.candidacy_rounds, group_id=settings.candidacy_group,
        transactional_prefix=f"{settings.candidacy_group}.rounds", handler=handler,
        max_records=settings.max_records, on_committed=lambda _, done: metrics.projected.inc(len(done)),
        on_aborted=lambda reason: metrics.aborted.labels(reason).inc(),
    )  # fmt: skip
    return CandidacyRuntime(handler, processor, metrics)


def build_query(settings: DecisionSettings) -> QueryRuntime:
    """The query service from its settings: its stores and one feed per topic."""
    client, topics = settings.kafka.client_kwargs(), Topics(settings.kafka.topic_prefix)
    state_dir = _state_dir(settings)
    store = open_store(state_dir, topics.decision_events)
    participants = open_participants(state_dir, topics.participants)
    calibration = open_calibration(state_dir, topics.verdicts)  # ADR 0013, 0015
    latest, calibrated = FeedTarget(store, source="latest"), FeedTarget(calibration)
    candidacies = open_store(state_dir, topics.candidacies)
    return QueryRuntime(
        settings, client, topics, store, StoreFeed(client, topics.decision_events, store),
        participants, StoreFeed(client, topics.participants, participants),
        FanoutFeed(client, topics.verdicts, [latest, calibrated]), latest, calibration, calibrated,
        candidacies, StoreFeed(client, topics.candidacies, candidacies), QueryMetrics(),
    )  # fmt: skip


def build_runtime(settings: DecisionSettings) -> DecisionRuntime:
    """All three roles, for ``decision serve``."""
    return DecisionRuntime(build_projector(settings), build_candidacy(settings), build_query(settings))
