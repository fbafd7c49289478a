"""The topics, declared once: names, keys, cleanup, retention, co-partitioning (internal ones too).

The platform creates them (``services.platform.topics.ensure_topics``) under an optional prefix; the
AsyncAPI document, the Strimzi ``KafkaTopic`` resources and the audit read this declaration too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

DAY_MS = 24 * 3600 * 1000
FOREVER = "-1"

INTERVIEW_COMMANDS = "interview.commands"
COMMAND_RESULTS = "interview.command-results"
INTERVIEW_EVENTS = "interview.events"
DECISION_EVENTS = "decision.events"
DECISION_VERDICTS = "decision.verdicts"
DECISION_SHADOW = "decision.shadow"
DLQ = "interview.events.dlq"
WRITER_STATE = "interview.writer-state"
DECISION_STATE = "decision.state"
DECISION_PARTICIPANTS = "decision.participants"
CANDIDACY_ROUNDS = "decision.candidacy-rounds"
CANDIDACY_EVENTS = "decision.candidacies"
CANDIDACY_STATE = "decision.candidacy-state"
PRIVACY_KEYS = "privacy.keys"
DECISION_CHECKPOINTS = "decision.checkpoints"

_KEEP_FOREVER = {"cleanup.policy": "delete", "retention.ms": FOREVER, "retention.bytes": FOREVER}
_WEEK = {"cleanup.policy": "delete", "retention.ms": str(7 * DAY_MS)}
# A service's own state, written in the same transactions as its outputs: compacted, and compacted
# early (small segments, a low dirty ratio), so a new owner reads about one record per live key. Only
# closed segments are compacted: a segment closes after an hour or at 16 MiB, whichever comes first, so
# the uncompacted tail a new owner reads is at most 16 MiB per partition however busy the hour was.
_CHANGELOG = {
    "cleanup.policy": "compact",
    "segment.ms": str(3600 * 1000),
    "segment.bytes": str(16 * 1024 * 1024),
    "min.cleanable.dirty.ratio": "0.1",
    "min.compaction.lag.ms": "0",
}
HOUR_MS = 3600 * 1000
# Erasure with a bounded tail (docs/decisions/0030, docs/security.md). Kafka rolls a segment only when a
# record is appended (the interview service appends a roll tick every INTERVIEW_ROLL_TICK_S), compacts
# and deletes only closed segments, and removes replaced segment files file.delete.delay.ms later.
# The data keys (docs/decisions/0011): a destroyed key's wrapped record must leave the disks within the
# stated bound. Segments roll hourly, any dirt makes the log cleanable, and max.compaction.lag.ms makes
# it cleanable an hour after the tombstone even when the dirt is a tiny part of the log; the tombstone
# itself (ids only, no key material) stays a day (delete.retention.ms) so a reader briefly away sees it.
_KEYS = {
    "cleanup.policy": "compact",
    "segment.ms": str(HOUR_MS),
    "min.cleanable.dirty.ratio": "0.01",
    "min.compaction.lag.ms": "0",
    "max.compaction.lag.ms": str(HOUR_MS),
    "delete.retention.ms": str(DAY_MS),
    "file.delete.delay.ms": "60000",
}
# Commands carry text in the clear; consumed ones are deleted (DeleteRecords), which only moves the log
# start: their bytes leave with their segment, once it is closed (hourly) and wholly below the log start.
# The week's retention is for commands the writers have not consumed yet (a long writer outage).
_COMMANDS = {
    "cleanup.policy": "delete",
    "retention.ms": str(7 * DAY_MS),
    "segment.ms": str(HOUR_MS),
    "file.delete.delay.ms": "60000",
}


@dataclass(frozen=True)
class TopicSpec:
    """A topic's base name (without prefix), key, configuration and partitioning."""

    name: str
    description: str
    config: dict[str, str] = field(default_factory=dict)
    key: str = "interview id"
    co_partitioned: bool = True
    """Shares the interview-keyed partition count, so partition p of each holds the same interviews."""
    partitions: int | None = None
    """A fixed count; None: the interview-keyed partition count (``KAFKA_PARTITIONS``)."""
    internal: bool = False
    """A service's own changelog: not part of the contract other services read (not in AsyncAPI)."""

    @property
    def cleanup(self) -> str:
        """``delete`` or ``compact``."""
        return self.config.get("cleanup.policy", "delete")


TOPIC_SPECS: tuple[TopicSpec, ...] = (
    TopicSpec(
        INTERVIEW_COMMANDS,
        "Commands to the interview service, keyed by interview id and co-partitioned with interview.events "
        "(same partition count, murmur2 on the key). Records without a value and with the "
        "hiring-pipeline-roll-tick header are roll ticks, not commands (ADR 0030).",
        _COMMANDS,
    ),
    TopicSpec(
        COMMAND_RESULTS,
        "Exactly one result per command record (roll ticks get none): same key, same partition number.",
        _WEEK,
    ),
    TopicSpec(
        INTERVIEW_EVENTS,
        "The history: every interview's events as CloudEvents in binary mode, with a contiguous "
        "per-interview sequence and a hash chain. Never compacted, never expired.",
        _KEEP_FOREVER,
    ),
    TopicSpec(DECISION_EVENTS, "Every revision of every interview's verdicts.", _KEEP_FOREVER),
    TopicSpec(
        DECISION_VERDICTS,
        "Compacted: the latest verdict revision per interview (same records as decision.events). A new "
        "decision-service replica reads it to answer current verdicts (ADR 0015).",
        _CHANGELOG,
    ),
    TopicSpec(
        DECISION_SHADOW,
        "Verdict revisions of a policy run in shadow (DECISION_SHADOW_POLICY) for interviews opened under "
        "another: the same records as decision.events would carry under that policy, kept apart so "
        "consumers of decision.events and decision.verdicts see nothing new (ADR 0024).",
        _KEEP_FOREVER,
    ),
    TopicSpec(
        DLQ,
        "Records of interview.events the decision service could not decode or apply, with their original "
        "value, key and headers, plus the reason; and operators' releases of them.",
        _KEEP_FOREVER,
    ),
    TopicSpec(
        WRITER_STATE,
        "Changelog of the interview writer's state (internal): per interview what later commands need, "
        "and the first result of each idempotency key; written in the writer's transactions.",
        _CHANGELOG,
        key="store key: i:<interview id>, or k:<interview id> and the idempotency key",
        internal=True,
    ),
    TopicSpec(
        DECISION_STATE,
        "Changelog of the decision service's state (internal): per interview its projection, last "
        "published revision and parking; written in the service's transactions.",
        _CHANGELOG,
        key="store key: i:<interview id>, or d:<DLQ source offset>",
        internal=True,
    ),
    TopicSpec(
        DECISION_PARTICIPANTS,
        "Who takes part in each interview, for scoping reads (internal, compacted): its candidacy, its "
        "opener and its participants with their sides, written in the decision service's transaction "
        "that applies interview.opened (ADR 0015).",
        _CHANGELOG,
        internal=True,
    ),
    TopicSpec(
        CANDIDACY_ROUNDS,
        "Repartition of the decision service's verdict revisions by candidacy id (internal): each revision, "
        "as on decision.events, with its round and outcome, written in the same transaction (ADR 0012).",
        _KEEP_FOREVER,
        key="candidacy id",
        internal=True,
    ),
    TopicSpec(
        CANDIDACY_EVENTS,
        "Every revision of every candidacy's verdicts (all rounds combined), keyed by candidacy id.",
        _KEEP_FOREVER,
        key="candidacy id",
    ),
    TopicSpec(
        CANDIDACY_STATE,
        "Changelog of the candidacy projection's state (internal): per candidacy its rounds and last "
        "published revision; written in the candidacy processor's transactions.",
        _CHANGELOG,
        key="store key: r:<candidacy id>/<interview id> (format 2, ADR 0018; c:<candidacy id> before)",
        internal=True,
    ),
    TopicSpec(
        DECISION_CHECKPOINTS,
        "Compacted: the latest signed checkpoint (C2SP tlog-checkpoint note) of every transparency-log tree, "
        "one tree per partition of interview.events, decision.events and decision.candidacies, with the "
        "notary's state at it; written in the notary's transactions (ADR 0026).",
        _CHANGELOG,
        key="origin: <base>/<topic>/<partition>",
        co_partitioned=False,
        partitions=1,
        internal=True,
    ),
    TopicSpec(
        PRIVACY_KEYS,
        "Compacted: one record per candidate data key, wrapped by the key-encryption key; a tombstone "
        "destroys the key and so erases the candidate's sealed text (crypto-shredding).",
        _KEYS,
        key="<candidate id>/<key id>",
        co_partitioned=False,
        partitions=1,
    ),
)

BY_NAME: dict[str, TopicSpec] = {spec.name: spec for spec in TOPIC_SPECS}


@dataclass(frozen=True)
class Topics:
    """Concrete topic names under a prefix (tests use a unique prefix per test)."""

    prefix: str = ""

    def name(self, base: str) -> str:
        """Full topic name for a base name such as ``interview.events``."""
        return f"{self.prefix}{base}"

    def all(self) -> list[str]:
        """Every declared topic's full name."""
        return [self.name(spec.name) for spec in TOPIC_SPECS]

    @property
    def commands(self) -> str:
        return self.name(INTERVIEW_COMMANDS)

    @property
    def command_results(self) -> str:
        return self.name(COMMAND_RESULTS)

    @property
    def interview_events(self) -> str:
        return self.name(INTERVIEW_EVENTS)

    @property
    def decision_events(self) -> str:
        return self.name(DECISION_EVENTS)

    @property
    def verdicts(self) -> str:
        return self.name(DECISION_VERDICTS)

    @property
    def shadow(self) -> str:
        return self.name(DECISION_SHADOW)

    @property
    def dlq(self) -> str:
        return self.name(DLQ)

    @property
    def writer_state(self) -> str:
        return self.name(WRITER_STATE)

    @property
    def decision_state(self) -> str:
        return self.name(DECISION_STATE)

    @property
    def participants(self) -> str:
        return self.name(DECISION_PARTICIPANTS)

    @property
    def candidacy_rounds(self) -> str:
        return self.name(CANDIDACY_ROUNDS)

    @property
    def candidacies(self) -> str:
        return self.name(CANDIDACY_EVENTS)

    @property
    def candidacy_state(self) -> str:
        return self.name(CANDIDACY_STATE)

    @property
    def checkpoints(self) -> str:
        return self.name(DECISION_CHECKPOINTS)

    @property
    def privacy_keys(self) -> str:
        return self.name(PRIVACY_KEYS)
