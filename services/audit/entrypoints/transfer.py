"""``export`` and ``import``: JSONL files that keep every attribute and position, and back into topics."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import typer
from aiokafka.errors import KafkaError
from rich.console import Console

from schemas.envelope import format_time
from schemas.topics import CANDIDACY_EVENTS, Topics
from services.audit.adapters import jsonl
from services.audit.adapters.kafka import TopicError, import_into
from services.audit.domain.records import AUDITED_TOPICS
from services.audit.domain.report import TransferReport
from services.audit.domain.select import chosen_interviews, only
from services.audit.entrypoints.options import JSON, PREFIX, QUIET, SERVERS, emit, fail, parse_time
from services.audit.entrypoints.progress import progress_bar
from services.audit.entrypoints.source import Source, SourceError, from_export, from_kafka, settings
from services.platform.settings import KafkaSettings


def _print(console: Console, report: TransferReport) -> None:
    verb = "exported" if report.report.endswith("export/1") else "imported"
    for base, count in report.records.items():
        console.print(f"{verb} {count} records of {report.topics[base]} ({report.interviews} interviews)")
    console.print(f"directory: {report.directory}")


def export_command(
    out: Path = typer.Argument(..., help="Directory to write (created if missing)."),
    interview: list[str] = typer.Option([], "--interview", help="Only this interview (repeatable)."),
    since: str = typer.Option(None, "--since", help="Interviews with an event at or after this time."),
    until: str = typer.Option(None, "--until", help="Interviews with an event at or before this time."),
    prefix: str = PREFIX, servers: str = SERVERS, as_json: bool = JSON, quiet: bool = QUIET,
) -> None:  # fmt: skip
    """Write interview.events, decision.events and the DLQ to JSONL (every attribute, partition, offset)."""
    window = (parse_time(since), parse_time(until))
    try:
        found = settings(servers, prefix)
        source = from_kafka(found, not quiet)
    except SourceError as exc:
        raise fail(str(exc)) from None
    chosen = chosen_interviews(source.interview, set(interview), *window)
    unknown = sorted(set(interview) - chosen)
    if unknown and not any(window):
        raise fail(f"no events for interview(s) {', '.join(unknown)} in {source.description}")
    out.mkdir(parents=True, exist_ok=True)
    counts = _write(out, source, chosen, everything=not interview and not any(window))
    filters = {"interviews": sorted(interview), "since": since, "until": until}
    manifest = jsonl.Manifest(
        source.partitions, counts, found.topic_prefix, format_time(datetime.now(UTC)), filters
    )
    jsonl.write_manifest(out, manifest)
    emit(_report("hiring-audit.export/1", out, found, len(chosen), counts), as_json, _print)


def _write(out: Path, source: Source, chosen: set[str], everything: bool = True) -> dict[str, int]:
    """Candidacy revisions span interviews: exported whole, and only by an unfiltered export."""
    return {
        base: jsonl.write_records(jsonl.file_for(out, base), records if everything else [])
        if base == CANDIDACY_EVENTS
        else jsonl.write_records(jsonl.file_for(out, base), only(records, chosen))
        for base, records in source.by_topic().items()
    }


def _report(
    kind: str, directory: Path, found: KafkaSettings, interviews: int, counts: dict[str, int]
) -> TransferReport:
    topics = Topics(found.topic_prefix)
    return TransferReport.model_validate({
        "report": kind, "directory": str(directory), "topics": {b: topics.name(b) for b in AUDITED_TOPICS},
        "interviews": interviews, "records": counts,
    })  # fmt: skip


def import_command(
    directory: Path = typer.Argument(..., help="An export directory written by `hiring-audit export`."),
    prefix: str = PREFIX, servers: str = SERVERS,
    force: bool = typer.Option(False, "--force", help="Append even when the topics already hold records."),
    as_json: bool = JSON, quiet: bool = QUIET,
) -> None:  # fmt: skip
    """Load an export into the topics under --topic-prefix (created with the export's partition count)."""
    try:
        source, manifest = from_export(directory), jsonl.read_manifest(directory)
        found = settings(servers, prefix)
    except (SourceError, jsonl.ExportError) as exc:
        raise fail(str(exc)) from None
    partitions = max(manifest.partitions.values(), default=found.partitions)
    records = [*source.interview, *source.decision, *source.candidacy, *source.dlq, *source.shadow]
    try:
        with progress_bar("importing", len(records), not quiet) as advance:
            counts = asyncio.run(import_into(found.client_kwargs(), Topics(found.topic_prefix), partitions,
                                             records, force=force, progress=advance))  # fmt: skip
    except TopicError as exc:
        raise fail(str(exc)) from None
    except (KafkaError, OSError) as exc:
        raise fail(f"cannot write to Kafka at {found.bootstrap_servers}: {exc}") from None
    interviews = len({r.subject() for r in source.interview})
    emit(_report("hiring-audit.import/1", directory, found, interviews, counts), as_json, _print)
