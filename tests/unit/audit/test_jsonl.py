"""JSONL exports keep every attribute, position and byte; bad lines are named by file and line."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from services.audit.adapters.jsonl import (
    ExportError,
    Manifest,
    read_manifest,
    read_records,
    write_manifest,
    write_records,
)
from services.audit.domain.history import quick_hash, stored_hash
from services.audit.domain.verify import verify
from tests.unit.audit.history import clean, index_of


def test_records_round_trip_byte_for_byte(tmp_path: Path) -> None:
    events, decisions = clean()
    odd = [
        replace(events[0], value=b'{ "spaced": true }', headers=(("x-trace", "abc"),), timestamp=17),
        replace(events[1], value=b"\xff\xfe not utf-8"),
        replace(events[2], value=None),
    ]
    records = [*odd, *events[3:], *decisions]
    path = tmp_path / "all.jsonl"
    assert write_records(path, records) == len(records)
    assert list(read_records(path)) == records


def test_canonical_payloads_are_written_as_readable_json(tmp_path: Path) -> None:
    events, _ = clean()
    write_records(tmp_path / "e.jsonl", events[:1])
    line = json.loads((tmp_path / "e.jsonl").read_text())
    assert line["data"]["policy_version"] == "v1"
    assert line["attributes"]["sequence"] == "00000000000000000001"
    assert (line["topic"], line["partition"], line["offset"], line["key"]) == (
        "interview.events", events[0].partition, 0, events[0].key,
    )  # fmt: skip


def test_a_bad_line_is_named(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"topic": "interview.events"}\n')
    with pytest.raises(ExportError, match=r"bad.jsonl:1: not an export line \(KeyError"):
        list(read_records(path))


def test_manifest_round_trip_and_wrong_format(tmp_path: Path) -> None:
    write_manifest(tmp_path, Manifest({"interview.events": 3}, {"interview.events": 5}, "p.", "now"))
    assert read_manifest(tmp_path).partitions == {"interview.events": 3}
    (tmp_path / "manifest.json").write_text('{"format": "other/9"}')
    with pytest.raises(ExportError, match=r"expected 'hiring-audit\.export/1'"):
        read_manifest(tmp_path)


def test_splice_hash_equals_the_exact_hash_for_codec_output() -> None:
    events, _ = clean()
    for r in events:
        assert quick_hash(dict(r.attributes), r.value) == stored_hash(dict(r.attributes), r.value)


def test_a_non_canonical_spelling_of_the_same_content_keeps_the_chain() -> None:
    events, decisions = clean()
    i = index_of(events, "iv-a", 4)
    spaced = json.dumps(json.loads(events[i].value or b""), indent=1).encode()
    events[i] = replace(events[i], value=spaced)
    assert verify(events, decisions).report.ok


def test_html_timeline_flags_the_tampered_event_only(tmp_path: Path) -> None:
    from services.audit.entrypoints.html import write_html

    events, decisions = clean()
    i = index_of(events, "iv-b", 3)
    events[i] = replace(events[i], attributes={**events[i].attributes, "actorid": "forged"})
    page = tmp_path / "r.html"
    write_html(page, verify(events, decisions))
    flagged = [row for row in page.read_text().split("<tr") if row.startswith(" class='flag'")]
    assert len(flagged) == 1
    assert "chain_broken" in flagged[0]
    assert f"interview.events[{events[i].partition}]@{events[i].offset}" in flagged[0]
