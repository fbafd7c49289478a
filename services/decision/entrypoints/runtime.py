"""The parts of a running decision service, wired once from settings (no I/O at construction)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from schemas.topics import Topics
from services.decision.adapters.calibration_store import CalibrationStore, open_calibration
from services.decision.adapters.candidacy import CandidacyHandler
from services.decision.adapters.handler import DecisionHandler
from services.decision.adapters.metrics import DecisionMetrics
from services.decision.adapters.participants import ParticipantStore, open_participants
from services.decision.adapters.verdict_store import StoreFeed, VerdictStore, open_store
from services.decision.domain.policy import Policies
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
class DecisionRuntime:
    """Processor (the projection, exactly once), store and feed (the query side), progress."""

    settings: DecisionSettings
    client: dict[str, Any]
    topics: Topics
    handler: DecisionHandler
    processor: TransactionalProcessor
    store: VerdictStore
    feed: StoreFeed
    """Every revision, from ``decision.events``: filled in the background (not part of readiness)."""
    progress: Progress
    participants: ParticipantStore
    participant_feed: StoreFeed
    latest_feed: StoreFeed
    """The latest revision of every interview, from compacted ``decision.verdicts`` (ADR 0015)."""
    candidacy: CandidacyRuntime | None = None
    calibration: CalibrationStore | None = None
    calibration_feed: StoreFeed | None = None

    @property
    def ready(self) -> bool:
        """Partitions owned and restored, the latest verdict of every interview read (compacted
        ``decision.verdicts``), and the participant store (who may read what) caught up.

        What grows with history is not waited for (ADR 0015): the revision history (``feed``), the
        candidacy revision history and the calibration fill in the background, and the reads that need
        them answer 503 ``catching_up`` until they have.
        """
        return (
            self.processor.ready
            and self.latest_feed.caught_up.is_set()
            and self.participant_feed.caught_up.is_set()
            and (self.candidacy is None or self.candidacy.processor.ready)
        )

    def history_complete(self) -> bool:
        """Whether the revision history has been read up to its end at start."""
        return self.feed.caught_up.is_set()


@dataclass
class CandidacyRuntime:
    """The candidacy projection (ADR 0012): its processor and its query store and feed."""

    handler: CandidacyHandler
    processor: TransactionalProcessor
    store: VerdictStore
    feed: StoreFeed

    @property
    def ready(self) -> bool:
        """Partitions owned and restored, and the query store caught up with published revisions."""
        return self.processor.ready and self.feed.caught_up.is_set()

    def history_complete(self) -> bool:
        """Whether the candidacy revisions have been read up to their end at start."""
        return self.feed.caught_up.is_set()


def build_candidacy(settings: DecisionSettings, client: dict[str, Any], topics: Topics) -> CandidacyRuntime:
    """The second exactly-once processor, keyed by candidacy id, with its query side."""
    state_dir = settings.state_dir or default_state_dir()
    handler = CandidacyHandler(client, topics, settings.candidacy_group, state_dir)
    processor = TransactionalProcessor(
        client, input_topic=topics.candidacy_rounds, group_id=settings.candidacy_group,
        transactional_prefix=f"{settings.candidacy_group}.rounds", handler=handler,
        max_records=settings.max_records,
    )  # fmt: skip
    store = open_store(state_dir, topics.candidacies)
    return CandidacyRuntime(handler, processor, store, StoreFeed(client, topics.candidacies, store))


def build_runtime(settings: DecisionSettings) -> DecisionRuntime:
    """Wire the service from its settings."""
    client = settings.kafka.client_kwargs()
    topics = Topics(settings.kafka.topic_prefix)
    state_dir = settings.state_dir or default_state_dir()
    policies = Policies.of(settings.policy_version)
    handler = DecisionHandler(client, topics, settings.group, policies, state_dir)
    progress = Progress(handler)
    processor = TransactionalProcessor(
        client, input_topic=topics.interview_events, group_id=settings.group,
        transactional_prefix=settings.transactional_prefix, handler=handler,
        max_records=settings.max_records, on_committed=progress.committed,
    )  # fmt: skip
    store = open_store(state_dir, topics.decision_events)
    feed = StoreFeed(client, topics.decision_events, store)
    participants = open_participants(state_dir, topics.participants)
    participant_feed = StoreFeed(client, topics.participants, participants)
    candidacy = build_candidacy(settings, client, topics)
    latest_feed = StoreFeed(client, topics.verdicts, store, source="latest")  # ADR 0015
    runtime = DecisionRuntime(
        settings, client, topics, handler, processor, store, feed, progress, participants, participant_feed,
        latest_feed, candidacy,
    )
    runtime.calibration = open_calibration(state_dir, topics.verdicts)  # ADR 0013, 0015
    runtime.calibration_feed = StoreFeed(client, topics.verdicts, runtime.calibration)
    return runtime
