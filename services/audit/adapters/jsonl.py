"""JSONL exports: one record per line, every CloudEvents attribute and the Kafka position kept.

A line is ``{"topic", "partition", "offset", "timestamp", "key", "attributes", "headers", <value>}``
where ``<value>`` is ``"data"`` (the JSON payload, when the stored bytes are its canonical RFC 8785
form, so the bytes round-trip exactly), else ``"value"`` (the exact text) or ``"value_base64"``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import rfc8785

from schemas import canonical
from services.audit.domain.records import AUDITED_TOPICS, REQUIRED_TOPICS, LogRecord

FORMAT = "hiring-audit.export/1"
MANIFEST = "manifest.json"


class ExportError(ValueError):
    """An export directory or line that cannot be read; says which file and line."""


def file_for(directory: Path, topic: str) -> Path:
    """The JSONL file of a base topic name in an export directory."""
    return directory / f"{topic}.jsonl"


def line_of(record: LogRecord) -> dict[str, Any]:
    """A record as one JSON object."""
    line: dict[str, Any] = {
        "topic": record.topic, "partition": record.partition, "offset": record.offset,
        "timestamp": record.timestamp, "key": record.key, "attributes": dict(record.attributes),
        "headers": [list(h) for h in record.headers],
    }  # fmt: skip
    line.update(_value_fields(record.value))
    return line


def _value_fields(value: bytes | None) -> dict[str, Any]:
    if value is None:
        return {"value": None}
    try:
        data = json.loads(value)
        if canonical.dumps(data) == value:
            return {"data": data}
    except (UnicodeDecodeError, json.JSONDecodeError, rfc8785.CanonicalizationError):
        pass
    try:
        return {"value": value.decode("utf-8")}
    except UnicodeDecodeError:
        return {"value_base64": base64.b64encode(value).decode()}


def record_of_line(line: dict[str, Any]) -> LogRecord:
    """The record a line describes; ``KeyError``/``TypeError``/``ValueError`` when malformed."""
    headers = tuple((str(name), str(value)) for name, value in line.get("headers", []))
    return LogRecord(
        topic=str(line["topic"]), partition=int(line["partition"]), offset=int(line["offset"]),
        key=line["key"], attributes={str(k): str(v) for k, v in line["attributes"].items()},
        value=_value_of(line), timestamp=line.get("timestamp"), headers=headers,
    )  # fmt: skip


def _value_of(line: dict[str, Any]) -> bytes | None:
    if "data" in line:
        return canonical.dumps(line["data"])
    if "value_base64" in line:
        return base64.b64decode(line["value_base64"])
    value = line["value"]
    return None if value is None else str(value).encode()


def write_records(path: Path, records: Iterable[LogRecord]) -> int:
    """Write records to a JSONL file; return how many."""
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(line_of(record), ensure_ascii=False, separators=(",", ":")) + "\n")
            count += 1
    return count


def read_records(path: Path) -> Iterator[LogRecord]:
    """Records of a JSONL file, in file order; an ``ExportError`` names the bad line."""
    with path.open(encoding="utf-8") as lines:
        for number, text in enumerate(lines, 1):
            if text.strip():
                yield _parse(path, number, text)


def _parse(path: Path, number: int, text: str) -> LogRecord:
    try:
        return record_of_line(json.loads(text))
    except (json.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ExportError(f"{path}:{number}: not an export line ({type(exc).__name__}: {exc})") from None


@dataclass(frozen=True)
class Manifest:
    """What an export holds: partition counts per topic, record counts, filters, provenance."""

    partitions: dict[str, int]
    records: dict[str, int]
    topic_prefix: str = ""
    exported_at: str = ""
    filters: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        """The manifest file's content."""
        return {
            "format": FORMAT, "topic_prefix": self.topic_prefix, "exported_at": self.exported_at,
            "partitions": self.partitions, "records": self.records, "filters": self.filters or {},
        }  # fmt: skip


def write_manifest(directory: Path, manifest: Manifest) -> None:
    """Write ``manifest.json``."""
    (directory / MANIFEST).write_text(json.dumps(manifest.to_json(), indent=2) + "\n", encoding="utf-8")


def read_manifest(directory: Path) -> Manifest:
    """Read ``manifest.json`` (or infer partition counts from the files when it is absent)."""
    path = directory / MANIFEST
    if not path.exists():
        return _inferred(directory)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if raw.get("format") != FORMAT:
            raise ExportError(f"{path}: format {raw.get('format')!r}, expected {FORMAT!r}")
        return Manifest(dict(raw["partitions"]), dict(raw["records"]), raw.get("topic_prefix", ""),
                        raw.get("exported_at", ""), raw.get("filters"))  # fmt: skip
    except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
        raise ExportError(f"{path}: not a manifest ({exc})") from None


def _inferred(directory: Path) -> Manifest:
    partitions, records = {}, {}
    for topic in AUDITED_TOPICS:
        found = list(read_records(file_for(directory, topic))) if file_for(directory, topic).exists() else []
        partitions[topic] = max((r.partition for r in found), default=0) + 1
        records[topic] = len(found)
    return Manifest(partitions, records)


def check_export(directory: Path) -> None:
    """Raise ``ExportError`` unless the directory holds the interview and decision JSONL files.

    The DLQ file is optional: an export without it is read as one without DLQ records.
    """
    if not directory.is_dir():
        raise ExportError(f"{directory} is not a directory (expected an export from `hiring-audit export`)")
    for topic in REQUIRED_TOPICS:
        if not file_for(directory, topic).exists():
            raise ExportError(f"{directory} has no {file_for(directory, topic).name}")
