"""Golden stored events: one encoded record per event type and version, committed forever.

A golden file is what a consumer reads from Kafka years later: the key, the headers in order and
the value, byte for byte, plus the record's chain hash. Files are only ever added, never
rewritten: ``python -m tests.contract.golden`` writes the missing ones for the current types
from ``tests.contract.samples`` and leaves existing ones alone.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from schemas import KafkaRecord, encode
from schemas.chain import HASH_HEADER
from schemas.upcast import split_type

GOLDEN = Path(__file__).parent / "golden"


def path_for(event_type: str) -> Path:
    """``golden/v<N>/<type>.json`` for a versioned CloudEvents type."""
    parts = split_type(event_type)
    assert parts is not None, event_type
    return GOLDEN / f"v{parts[1]}" / f"{event_type}.json"


def dump(record: KafkaRecord, sha256: str) -> str:
    """A record as golden-file text (the value kept as a string, so its bytes are exact)."""
    pairs = ",\n".join(f"    {_j([name, value.decode()])}" for name, value in record.headers)
    return (
        "{\n"
        f'  "topic": {_j(record.topic)},\n'
        f'  "key": {_j(record.key.decode())},\n'
        f'  "headers": [\n{pairs}\n  ],\n'
        f'  "value": {_j(record.value.decode())},\n'
        f'  "sha256": {_j(sha256)}\n'
        "}\n"
    )


def _j(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def published(record: KafkaRecord) -> KafkaRecord:
    """The record without the ``chainhash`` header the codec added after these files were written.

    The header is not part of the contract's bytes (not a CloudEvents attribute, ADR 0017); the golden
    files, never rewritten, hold everything else, and their ``sha256`` is what the header must carry.
    """
    return replace(record, headers=[(name, value) for name, value in record.headers if name != HASH_HEADER])


def load(path: Path) -> tuple[KafkaRecord, dict[str, Any]]:
    """A golden file back to the exact record, and the file's fields."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    headers = [(name, value.encode()) for name, value in doc["headers"]]
    return KafkaRecord(doc["key"].encode(), doc["value"].encode(), headers, doc["topic"]), doc


def all_files() -> list[Path]:
    """Every golden file of every version."""
    return sorted(GOLDEN.glob("v*/*.json"))


def write_missing() -> list[Path]:
    """Write a golden file for each current type that has none; never overwrite one."""
    from tests.contract.samples import SAMPLES

    written = []
    for event_type, event in SAMPLES.items():
        path = path_for(event_type)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(dump(published(encode(event)), event.chain_hash), encoding="utf-8")
            written.append(path)
    return written


if __name__ == "__main__":
    for written in write_missing():
        print(f"wrote {written}")
