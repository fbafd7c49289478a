"""The transparency-log trees of the history read (export or topics), and the keys the auditor trusts."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiokafka.errors import KafkaError

from schemas.checkpoint import NoteError, Signer, Verifier, open_note, parse_signer, parse_verifier
from schemas.tlog import LOGGED_TOPICS, default_base
from schemas.topics import Topics
from services.audit.adapters import jsonl
from services.audit.adapters.checkpoints import StoreError, read_kept
from services.audit.adapters.kafka import TopicError, existing_topics, require_topics, sizes, stream_topic
from services.audit.domain.records import REQUIRED_TOPICS, LogRecord
from services.audit.domain.transparency import Kept, Logs, OrderError, PartitionLog, leaf_of
from services.audit.entrypoints.options import fail
from services.audit.entrypoints.progress import progress_bar
from services.audit.entrypoints.source import SourceError, settings

Watch = Callable[[LogRecord], bool]


@dataclass
class Trees:
    """The leaves of every logged partition, the records a ``watch`` picked, and the origin base."""

    logs: Logs
    description: str
    base: str
    picked: list[tuple[LogRecord, int]] = field(default_factory=list)
    """``(record, leaf index)`` of each record the watch picked."""


class _Builder:
    def __init__(self, watch: Watch | None) -> None:
        self.logs: Logs = {}
        self.watch = watch
        self.picked: list[tuple[LogRecord, int]] = []

    def add(self, record: LogRecord) -> None:
        key = (record.topic, record.partition)
        log = self.logs.setdefault(key, PartitionLog(*key))
        log.add(leaf_of(record))
        if self.watch is not None and self.watch(record):
            self.picked.append((record, len(log.leaves) - 1))


def read_trees(
    from_dir: Path | None, servers: str | None, prefix: str | None, quiet: bool, watch: Watch | None = None
) -> Trees:
    """The trees of the export or the topics (streamed: only leaves are held); exit 2 if unreadable."""
    builder = _Builder(watch)
    try:
        if from_dir is not None:
            manifest = _export_trees(from_dir, builder)
            where, base = f"export {from_dir}", default_base(manifest.topic_prefix)
        else:
            found = settings(servers, prefix)
            asyncio.run(_kafka_trees(found.client_kwargs(), Topics(found.topic_prefix), builder, not quiet))
            where, base = f"kafka {found.bootstrap_servers}", default_base(found.topic_prefix)
    except (SourceError, jsonl.ExportError, OrderError, TopicError) as exc:
        raise fail(str(exc)) from None
    except (KafkaError, OSError) as exc:
        raise fail(f"cannot read the history: {exc}") from None
    return Trees(builder.logs, where, base, builder.picked)


def _export_trees(directory: Path, builder: _Builder) -> jsonl.Manifest:
    jsonl.check_export(directory)
    manifest = jsonl.read_manifest(directory)
    if any((manifest.filters or {}).values()):
        raise jsonl.ExportError(
            f"{directory} is a filtered export (--interview/--since/--until): it does not hold whole "
            "partitions, so their trees cannot be recomputed from it"
        )
    for topic in LOGGED_TOPICS:
        path = jsonl.file_for(directory, topic)
        if path.exists():
            for record in jsonl.read_records(path):
                builder.add(record)
    return manifest


async def _kafka_trees(client: dict[str, Any], topics: Topics, builder: _Builder, progress: bool) -> None:
    await require_topics(client, topics, REQUIRED_TOPICS)
    present = await existing_topics(client)
    for base in [b for b in LOGGED_TOPICS if topics.name(b) in present]:
        total = sum(end - begin for begin, end in (await sizes(client, topics.name(base))).values())
        with progress_bar(f"hashing {topics.name(base)}", total, progress, bound=True) as advance:
            async for record in stream_topic(client, topics, base, advance):
                builder.add(record)


def key_text(value: str) -> str:
    """A key given on the command line, or read from the file it names."""
    path = Path(value)
    try:
        return path.read_text(encoding="utf-8").strip() if path.is_file() else value.strip()
    except OSError as exc:
        raise fail(f"cannot read key file {value}: {exc}") from None


def verifiers(keys: list[str], what: str = "--key") -> list[Verifier]:
    """The verifier keys given (strings or files); exit 2 when one is malformed or none given."""
    if not keys:
        raise fail(f"pass the log's verifier key with {what} (name+hexid+base64, or a file holding it)")
    try:
        return [parse_verifier(key_text(k)) for k in keys]
    except NoteError as exc:
        raise fail(str(exc)) from None


def signer(path: Path) -> Signer:
    """The signing key in a file (PRIVATE+KEY+...); never printed."""
    try:
        return parse_signer(path.read_text(encoding="utf-8").strip())
    except (OSError, NoteError) as exc:
        raise fail(f"{path}: not a signer key ({type(exc).__name__})") from None


def kept_checkpoints(directory: Path, keys: list[Verifier]) -> list[Kept]:
    """The checkpoints kept in ``directory``, each signed by one of ``keys``; exit 2 otherwise."""
    try:
        kept = read_kept(directory)
        for k in kept:
            open_note(k.note, keys)
    except StoreError as exc:
        raise fail(str(exc)) from None
    except NoteError as exc:
        raise fail(f"{k.name}: {exc}") from None
    if not kept:
        raise fail(f"{directory} holds no kept checkpoint (*.note); run `hiring-audit checkpoint save`")
    return kept
