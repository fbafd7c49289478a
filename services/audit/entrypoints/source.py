"""Where the CLI reads history from: a JSONL export directory, or the topics from offset 0."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiokafka.errors import KafkaError

from schemas.topics import CANDIDACY_EVENTS, DECISION_EVENTS, DECISION_SHADOW, DLQ, INTERVIEW_EVENTS, Topics
from services.audit.adapters import jsonl
from services.audit.adapters.kafka import (
    TopicError,
    existing_topics,
    read_topic,
    require_topics,
    sizes,
    stream_topic,
)
from services.audit.adapters.spool import CHUNK, Spool
from services.audit.domain.records import AUDITED_TOPICS, REQUIRED_TOPICS, LogRecord
from services.audit.entrypoints.progress import progress_bar
from services.platform.cli_habits import load as load_settings
from services.platform.settings import KafkaSettings


class SourceError(RuntimeError):
    """The history cannot be read (no source given, unreachable cluster, bad export)."""


@dataclass(frozen=True)
class Source:
    """The audited records and a description of where they came from."""

    interview: list[LogRecord]
    decision: list[LogRecord]
    description: str
    partitions: dict[str, int] = field(default_factory=dict)
    dlq: list[LogRecord] = field(default_factory=list)
    """``interview.events.dlq``: parked records and operators' releases (empty when absent)."""
    candidacy: list[LogRecord] = field(default_factory=list)
    """``decision.candidacies``: candidacy revisions (ADR 0012; empty when absent)."""
    shadow: list[LogRecord] = field(default_factory=list)
    """``decision.shadow``: revisions of a policy run in shadow (ADR 0024; empty when absent). Only
    ``verify`` reads them; what-if, as-of and calibration read each interview's own policy."""

    def size(self) -> int:
        """Number of records."""
        return (
            len(self.interview) + len(self.decision) + len(self.dlq) + len(self.candidacy) + len(self.shadow)
        )

    def by_topic(self) -> dict[str, list[LogRecord]]:
        """The records per base topic name."""
        return {INTERVIEW_EVENTS: self.interview, DECISION_EVENTS: self.decision, DLQ: self.dlq,
                CANDIDACY_EVENTS: self.candidacy, DECISION_SHADOW: self.shadow}  # fmt: skip


def settings(bootstrap: str | None, prefix: str | None) -> KafkaSettings:
    """``KAFKA_*`` settings with the command-line overrides applied."""
    found = load_settings(KafkaSettings)  # a bad KAFKA_* value: one line, exit 2
    updates = {k: v for k, v in (("bootstrap_servers", bootstrap), ("topic_prefix", prefix)) if v is not None}
    found = found.model_copy(update=updates)
    if not found.bootstrap_servers:
        raise SourceError(
            "no history to read: pass --from DIR (a JSONL export) or set KAFKA_BOOTSTRAP_SERVERS "
            "(or --bootstrap-servers) to read the topics"
        )
    return found


def from_export(directory: Path) -> Source:
    """Records of an export directory, in file order (no DLQ file: an export without DLQ records)."""
    try:
        jsonl.check_export(directory)
        records = {
            t: list(jsonl.read_records(jsonl.file_for(directory, t)))
            for t in AUDITED_TOPICS
            if jsonl.file_for(directory, t).exists()
        }
    except jsonl.ExportError as exc:
        raise SourceError(str(exc)) from None
    return Source(records[INTERVIEW_EVENTS], records[DECISION_EVENTS], f"export {directory}",
                  dlq=records.get(DLQ, []), candidacy=records.get(CANDIDACY_EVENTS, []),
                  shadow=records.get(DECISION_SHADOW, []))  # fmt: skip


def from_kafka(found: KafkaSettings, progress: bool = True) -> Source:
    """Every committed record of both audited topics, from offset 0."""
    client, topics = found.client_kwargs(), Topics(found.topic_prefix)
    try:
        records, partitions = asyncio.run(_read(client, topics, progress))
    except TopicError as exc:
        raise SourceError(f"{exc} on {found.bootstrap_servers}") from None
    except (KafkaError, OSError) as exc:
        raise SourceError(f"cannot read from Kafka at {found.bootstrap_servers}: {exc}") from None
    where = (
        f"kafka {found.bootstrap_servers} topics {topics.name('{interview,decision}.events')}, "
        f"{topics.name(DLQ)}, {topics.name(DECISION_SHADOW)}"
    )
    return Source(records[INTERVIEW_EVENTS], records[DECISION_EVENTS], where, partitions, records[DLQ],
                  records[CANDIDACY_EVENTS], records[DECISION_SHADOW])  # fmt: skip


async def _read(
    client: dict[str, Any], topics: Topics, progress: bool
) -> tuple[dict[str, list[LogRecord]], dict[str, int]]:
    await require_topics(client, topics, REQUIRED_TOPICS)
    present = await existing_topics(client)
    out: dict[str, list[LogRecord]] = {DLQ: [], CANDIDACY_EVENTS: [], DECISION_SHADOW: []}  # maybe absent
    partitions = {}
    for base in [b for b in AUDITED_TOPICS if b in REQUIRED_TOPICS or topics.name(b) in present]:
        offsets = await sizes(client, topics.name(base))
        partitions[base] = len(offsets)
        total = sum(end - begin for begin, end in offsets.values())
        with progress_bar(f"reading {topics.name(base)}", total, progress, bound=True) as advance:
            out[base] = await read_topic(client, topics, base, advance)
    return out, partitions


def load(directory: Path | None, bootstrap: str | None, prefix: str | None, progress: bool) -> Source:
    """From the export when given, else from Kafka."""
    if directory is not None:
        return from_export(directory)
    return from_kafka(settings(bootstrap, prefix), progress)


@dataclass
class Spooled:
    """The audited history grouped per interview on disk (``verify``), the DLQ in memory."""

    spool: Spool
    description: str
    dlq: list[LogRecord] = field(default_factory=list)
    candidacy: list[LogRecord] = field(default_factory=list)
    """``decision.candidacies`` (ADR 0012), held: the candidacy audit replays them after the interviews."""

    def size(self) -> int:
        """Number of records."""
        return self.spool.size + len(self.dlq) + len(self.candidacy)


def spool_export(directory: Path) -> Spooled:
    """An export's records, streamed from its files into a spool."""
    spool = Spool()
    try:
        jsonl.check_export(directory)
        for topic in REQUIRED_TOPICS:
            spool.add(jsonl.read_records(jsonl.file_for(directory, topic)))
        if (shadow_file := jsonl.file_for(directory, DECISION_SHADOW)).exists():  # ADR 0024
            spool.add(jsonl.read_records(shadow_file))
        dlq_file = jsonl.file_for(directory, DLQ)
        dlq = list(jsonl.read_records(dlq_file)) if dlq_file.exists() else []
        cy_file = jsonl.file_for(directory, CANDIDACY_EVENTS)
        candidacy = list(jsonl.read_records(cy_file)) if cy_file.exists() else []
    except jsonl.ExportError as exc:
        spool.close()
        raise SourceError(str(exc)) from None
    return Spooled(spool, f"export {directory}", dlq, candidacy)


def spool_kafka(found: KafkaSettings, progress: bool = True) -> Spooled:
    """Every committed record of the audited topics from offset 0, streamed into a spool."""
    client, topics = found.client_kwargs(), Topics(found.topic_prefix)
    spool = Spool()
    try:
        dlq, candidacy = asyncio.run(_spool(client, topics, spool, progress))
    except TopicError as exc:
        spool.close()
        raise SourceError(f"{exc} on {found.bootstrap_servers}") from None
    except (KafkaError, OSError) as exc:
        spool.close()
        raise SourceError(f"cannot read from Kafka at {found.bootstrap_servers}: {exc}") from None
    where = (
        f"kafka {found.bootstrap_servers} topics {topics.name('{interview,decision}.events')}, "
        f"{topics.name(DLQ)}, {topics.name(DECISION_SHADOW)}"
    )
    return Spooled(spool, where, dlq, candidacy)


async def _spool(
    client: dict[str, Any], topics: Topics, spool: Spool, progress: bool
) -> tuple[list[LogRecord], list[LogRecord]]:
    await require_topics(client, topics, REQUIRED_TOPICS)
    present = await existing_topics(client)
    dlq: list[LogRecord] = []  # a cluster without the DLQ topic has no DLQ records
    candidacy: list[LogRecord] = []  # nor one without decision.candidacies candidacy revisions
    for base in [b for b in AUDITED_TOPICS if b in REQUIRED_TOPICS or topics.name(b) in present]:
        total = sum(end - begin for begin, end in (await sizes(client, topics.name(base))).values())
        with progress_bar(f"reading {topics.name(base)}", total, progress, bound=True) as advance:
            chunk: list[LogRecord] = []
            async for record in stream_topic(client, topics, base, advance):
                if base in (DLQ, CANDIDACY_EVENTS):
                    (dlq if base == DLQ else candidacy).append(record)
                    continue
                chunk.append(record)
                if len(chunk) >= CHUNK:
                    spool.add(chunk)
                    chunk = []
            spool.add(chunk)
    return dlq, candidacy


def load_spooled(
    directory: Path | None, bootstrap: str | None, prefix: str | None, progress: bool
) -> Spooled:
    """``load`` into a spool (``verify``: memory independent of the history's length)."""
    if directory is not None:
        return spool_export(directory)
    return spool_kafka(settings(bootstrap, prefix), progress)
