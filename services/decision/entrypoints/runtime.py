"""The parts of each decision role, wired once from settings (no I/O at construction; ADR 0016).

Four roles run from the same package: the verdict projector (``interview.events`` to verdicts, exactly
once), the candidacy projector (``decision.candidacy-rounds`` to candidacy verdicts, exactly once), the
notary (transparency-log trees and signed checkpoints, exactly once; ADR 0026) and the query service
(the read models, the proof store and the HTTP API; owns no input partition). ``DecisionRuntime`` is
all of them in one process (``decision serve``: development and in-process tests).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from schemas.tlog import LOGGED_TOPICS, default_base
from schemas.topics import DECISION_CHECKPOINTS, Topics
from services.decision.adapters.calibration_store import CalibrationStore, open_calibration
from services.decision.adapters.candidacy import CandidacyHandler
from services.decision.adapters.handler import DecisionHandler
from services.decision.adapters.metrics import CandidacyMetrics, DecisionMetrics, NotaryMetrics, QueryMetrics
from services.decision.adapters.notary import NotaryHandler
from services.decision.adapters.participants import ParticipantStore, open_participants
from services.decision.adapters.proof_store import ProofStore, open_proof_store
from services.decision.adapters.tlog_keys import KeySet, notary_signers, parse_verifiers, verifier_of
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
    proofs: ProofStore
    """Transparency-log subtrees of every logged partition and the latest checkpoints (ADR 0026)."""
    proof_feeds: list[FanoutFeed]
    """``interview.events`` and ``decision.checkpoints``; ``decision.events`` and ``decision.candidacies``
    feed the proof store from ``feed`` and ``candidacy_feed`` (one consumer per topic)."""
    keys: KeySet

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
        return [self.feed, self.participant_feed, self.verdict_feed, self.candidacy_feed, *self.proof_feeds]


@dataclass
class NotaryRuntime:
    """The notary (ADR 0026): an exactly-once processor per logged topic, each with its trees."""

    handlers: dict[str, NotaryHandler]
    processors: dict[str, TransactionalProcessor]
    metrics: NotaryMetrics
    keys: KeySet

    @property
    def ready(self) -> bool:
        """Every processor's partitions claimed and their trees restored."""
        return all(p.ready for p in self.processors.values())


@dataclass
class DecisionRuntime:
    """All three roles in one process (``decision serve``, for development and in-process tests)."""

    projector: ProjectorRuntime
    candidacy: CandidacyRuntime
    query: QueryRuntime
    notary: NotaryRuntime

    @property
    def ready(self) -> bool:
        """Every role ready."""
        return self.projector.ready and self.candidacy.ready and self.query.ready and self.notary.ready

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
    proofs = open_proof_store(state_dir, topics.prefix)
    feed = StoreFeed(client, topics.decision_events, store)
    candidacy_feed = StoreFeed(client, topics.candidacies, candidacies)
    for fed, base in ((feed, "decision.events"), (candidacy_feed, "decision.candidacies")):
        fed.targets.append(FeedTarget(proofs, source=base))  # one consumer per topic (ADR 0016)
    proof_feeds: list[FanoutFeed] = [
        StoreFeed(client, topics.name(base), proofs, source=base)
        for base in ("interview.events", DECISION_CHECKPOINTS)
    ]
    return QueryRuntime(
        settings, client, topics, store, feed,
        participants, StoreFeed(client, topics.participants, participants),
        FanoutFeed(client, topics.verdicts, [latest, calibrated]), latest, calibration, calibrated,
        candidacies, candidacy_feed, QueryMetrics(), proofs, proof_feeds, query_keys(settings),
    )  # fmt: skip


def query_keys(settings: DecisionSettings) -> KeySet:
    """The verifier keys the query role serves: configured, else those of the notary's signing keys."""
    if settings.tlog_verifier_keys.strip():
        return KeySet(tuple(parse_verifiers(settings.tlog_verifier_keys)))
    signers = notary_signers(settings.tlog_key_file, settings.tlog_insecure_dev_key)
    return KeySet(tuple(verifier_of(s) for s in signers))


def build_notary(settings: DecisionSettings) -> NotaryRuntime:
    """The notary from its settings: one processor per logged topic, group ``<group>.notary.<topic>``."""
    client, topics = settings.kafka.client_kwargs(), Topics(settings.kafka.topic_prefix)
    signers = notary_signers(settings.tlog_key_file, settings.tlog_insecure_dev_key)
    base = settings.tlog_origin or default_base(settings.kafka.topic_prefix)
    metrics = NotaryMetrics()
    handlers, processors = {}, {}
    for topic in LOGGED_TOPICS:
        group = f"{settings.notary_group}.{topic}"
        handlers[topic] = NotaryHandler(
            client, topics, topic, group=group, origin_base=base, signers=signers,
            interval_s=settings.tlog_interval_s, metrics=metrics,
        )  # fmt: skip
        processors[topic] = TransactionalProcessor(
            client, input_topic=topics.name(topic), group_id=group, transactional_prefix=group,
            handler=handlers[topic], max_records=settings.max_records,
        )  # fmt: skip
    return NotaryRuntime(handlers, processors, metrics, KeySet(tuple(verifier_of(s) for s in signers)))


def build_runtime(settings: DecisionSettings) -> DecisionRuntime:
    """All four roles, for ``decision serve``."""
    return DecisionRuntime(
        build_projector(settings), build_candidacy(settings), build_query(settings), build_notary(settings)
    )
