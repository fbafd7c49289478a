"""Recompute an interview's revisions and compare them byte for byte with the published ones."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from schemas.codec import encode, headers_to_attributes
from schemas.decision import VerdictChanged
from schemas.envelope import Event
from schemas.topics import DECISION_EVENTS
from services.audit.domain.chain import finding
from services.audit.domain.diff import diff
from services.audit.domain.history import Entry, InterviewLog, revision_data
from services.audit.domain.records import LogRecord
from services.audit.domain.report import Discrepancy, FieldDiff, Kind
from services.decision.domain.replay import project
from services.decision.domain.revisions import Poison


def recompute(log: InterviewLog, version: str, thresholds: Any | None = None) -> list[Event]:
    """Every revision the decision service publishes for this interview's log under ``version``."""
    return recompute_items(log.items(), version, thresholds)


def recompute_items(items: list[Event | Poison], version: str, thresholds: Any | None = None) -> list[Event]:
    """The decision service's revisions for these inputs (the decision domain's pure replay)."""
    return project(items, version, thresholds)


def wire_doc(key: str | None, attributes: dict[str, str], value: bytes | None) -> dict[str, Any]:
    """A record as one JSON document: key, attributes, data (the raw text if it is not JSON)."""
    try:
        data: Any = json.loads(value) if value is not None else None
    except (UnicodeDecodeError, json.JSONDecodeError):
        data = value.decode("utf-8", errors="replace") if value is not None else None
    return {"key": key, "attributes": attributes, "data": data}


def revision_diff(expected: Event, record: LogRecord) -> list[FieldDiff] | None:
    """None when the published record is byte-identical to the recomputed one, else the diff."""
    # What the codec writes for ``expected``: the value is ``data_bytes()``, the key the partition key,
    # the ``ce_*`` and ``content-type`` headers ``wire()``; so the equal case needs no encoding.
    attributes = expected.wire()
    if (expected.data_bytes() == record.value and attributes["partitionkey"] == record.key
            and attributes == _as_dict(record.attributes)):  # fmt: skip
        return None
    wire = encode(expected)
    key = wire.key.decode()
    attributes = headers_to_attributes(wire.headers)
    found = diff(
        wire_doc(key, attributes, wire.value), wire_doc(record.key, dict(record.attributes), record.value)
    )
    if found:
        return found
    raw = (record.value or b"").decode("utf-8", errors="replace")
    return [FieldDiff(path="value", change="changed", expected=wire.value.decode(), actual=raw)]


def _as_dict(attributes: Mapping[str, str]) -> dict[str, str]:
    return attributes if isinstance(attributes, dict) else dict(attributes)


def published_by_version(log: InterviewLog) -> tuple[dict[str, list[Entry]], list[Discrepancy]]:
    """Decoded published revisions per policy version; undecodable ones as findings."""
    by_version: dict[str, list[Entry]] = {}
    problems = []
    for entry in log.published:
        data = revision_data(entry)
        if data is None:
            why = entry.problem or f"type {entry.record.attributes.get('type')} is not a verdict revision"
            problems.append(finding(Kind.UNDECODABLE, entry, f"{entry.record.where()}: {why}", sequence=None))
            continue
        by_version.setdefault(data.policy_version, []).append(entry)
    return by_version, problems


def revision_of(event: Event) -> VerdictChanged:
    """The data of a recomputed revision."""
    if not isinstance(event.data, VerdictChanged):
        raise TypeError(f"{event.attributes.type} is not a verdict revision")
    return event.data


def compare(
    log: InterviewLog, expected: list[Event], published: list[Entry]
) -> tuple[list[Discrepancy], int]:
    """Findings for one interview and policy version, and how many revisions matched exactly."""
    wanted = {revision_of(e).revision: e for e in expected}
    first: dict[int, Entry] = {}
    out: list[Discrepancy] = []
    matched = 0
    for entry in published:
        found, ok = _published_finding(entry, wanted, first)
        out.extend(found)
        matched += ok
    out.extend(_missing(log, [e for r, e in wanted.items() if r not in first]))
    return out, matched


def _published_finding(
    entry: Entry, wanted: dict[int, Event], first: dict[int, Entry]
) -> tuple[list[Discrepancy], bool]:
    """Findings about one published revision, and whether it matched its recomputation exactly."""
    data = revision_data(entry)
    if data is None:
        return [], False
    r, where = data.revision, {"revision": data.revision, "policy_version": data.policy_version}
    if r in first:
        detail = f"revision {r} published again; first at {first[r].record.where()}"
        return [finding(Kind.DUPLICATE_REVISION, entry, detail, sequence=data.input_sequence, **where)], False
    out = []
    if first and r < max(first):
        detail = f"revision {r} published after revision {max(first)} at {first[max(first)].record.where()}"
        out.append(finding(Kind.REVISION_OUT_OF_ORDER, entry, detail, sequence=data.input_sequence, **where))
    first[r] = entry
    if r not in wanted:
        detail = f"revision {r} (input sequence {data.input_sequence}) is not reproduced by the history"
        extra = finding(Kind.EXTRA_REVISION, entry, detail, sequence=data.input_sequence, **where)
        return [*out, extra], False
    # A record ``published.settle`` resolved to this very recomputed event was found byte-identical.
    changes = None if entry.event is wanted[r] else revision_diff(wanted[r], entry.record)
    if changes:
        paths = ", ".join(c.path for c in changes[:4]) + (" …" if len(changes) > 4 else "")
        detail = f"revision {r} differs from its recomputation in {len(changes)} field(s): {paths}"
        kw = {"sequence": data.input_sequence, "diff": tuple(changes), **where}
        out.append(finding(Kind.REVISION_DIFFERS, entry, detail, **kw))
    return out, not changes


def _missing(log: InterviewLog, events: list[Event]) -> list[Discrepancy]:
    out = []
    for event in events:
        data = revision_of(event)
        detail = (
            f"revision {data.revision} (after interview sequence {data.input_sequence}, "
            f"cause {event.attributes.causationid}) was never published"
        )
        out.append(Discrepancy(
            kind=Kind.MISSING_REVISION, interview=log.interview_id, topic=DECISION_EVENTS,
            sequence=data.input_sequence, revision=data.revision, policy_version=data.policy_version,
            detail=detail,
        ))  # fmt: skip
    return out
