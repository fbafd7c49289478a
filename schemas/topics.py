"""The topics of the contract, declared once: names, keys, cleanup, retention, co-partitioning.

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
DLQ = "interview.events.dlq"

_KEEP_FOREVER = {"cleanup.policy": "delete", "retention.ms": FOREVER, "retention.bytes": FOREVER}
_WEEK = {"cleanup.policy": "delete", "retention.ms": str(7 * DAY_MS)}


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

    @property
    def cleanup(self) -> str:
        """``delete`` or ``compact``."""
        return self.config.get("cleanup.policy", "delete")


TOPIC_SPECS: tuple[TopicSpec, ...] = (
    TopicSpec(
        INTERVIEW_COMMANDS,
        "Commands to the interview service, keyed by interview id and co-partitioned with interview.events "
        "(same partition count, murmur2 on the key).",
        _WEEK,
    ),
    TopicSpec(
        COMMAND_RESULTS, "Exactly one result per command record: same key, same partition number.", _WEEK
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
        "Compacted: the latest verdict revision per interview (same records as decision.events).",
        {"cleanup.policy": "compact", "min.compaction.lag.ms": "0"},
    ),
    TopicSpec(
        DLQ,
        "Records of interview.events the decision service could not decode or apply, with their original "
        "value, key and headers, plus the reason; and operators' releases of them.",
        _KEEP_FOREVER,
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
    def dlq(self) -> str:
        return self.name(DLQ)
