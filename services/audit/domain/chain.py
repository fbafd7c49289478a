"""Per-interview integrity: contiguous sequence from 1 and an intact ``prevhash`` chain."""

from __future__ import annotations

from schemas.chain import GENESIS_HASH
from services.audit.domain.history import Entry, InterviewLog, stored_hash
from services.audit.domain.report import Discrepancy, Kind


def finding(kind: Kind, entry: Entry, detail: str, **extra: object) -> Discrepancy:
    """A discrepancy located at ``entry``'s record."""
    r = entry.record
    fields: dict[str, object] = {"sequence": entry.sequence, **extra}
    return Discrepancy.model_validate(
        {"kind": kind, "interview": r.subject(), "topic": r.topic, "partition": r.partition,
         "offset": r.offset, "detail": detail, **fields}
    )  # fmt: skip


def check_chain(log: InterviewLog) -> list[Discrepancy]:
    """Undecodable records, sequence gaps/reorders/duplicates and broken hash links, in log order."""
    undecodable = [
        finding(Kind.UNDECODABLE, e, f"{e.record.where()} does not decode: {e.problem}")
        for e in log.entries
        if e.problem is not None
    ]
    return undecodable + check_sequence(log.entries) + check_links(log.entries)


def check_sequence(entries: list[Entry]) -> list[Discrepancy]:
    """Each sequence once, ascending in log order, none missing from 1 to the highest."""
    present = {e.sequence for e in entries if e.sequence is not None}
    first: dict[int, Entry] = {}
    top: Entry | None = None
    out: list[Discrepancy] = []
    for entry in entries:
        if entry.sequence is None:
            continue
        found = _sequence_finding(entry, first, top, present)
        out.extend([found] if found else [])
        first.setdefault(entry.sequence, entry)
        top = entry if top is None or entry.sequence > (top.sequence or 0) else top
    return out


def _sequence_finding(
    entry: Entry, first: dict[int, Entry], top: Entry | None, present: set[int]
) -> Discrepancy | None:
    s = entry.sequence or 0
    if s in first:
        return finding(
            Kind.DUPLICATE_SEQUENCE, entry, f"sequence {s} again; first at {first[s].record.where()}"
        )
    if top is not None and s < (top.sequence or 0):
        detail = f"sequence {s} comes after sequence {top.sequence} at {top.record.where()}"
        return finding(Kind.OUT_OF_ORDER, entry, detail)
    return _gap(entry, (top.sequence or 0) if top else 0, present)


def _gap(entry: Entry, below: int, present: set[int]) -> Discrepancy | None:
    s = entry.sequence or 0
    between = sum(1 for k in present if below < k < s)
    missing = s - below - 1 - between
    if missing <= 0:
        return None
    first_missing = below + 1
    while first_missing in present:
        first_missing += 1
    detail = (
        f"{missing} event(s) missing between sequence {below} and sequence {s} "
        f"(first missing: {first_missing}; the next present one is at {entry.record.where()})"
    )
    return finding(Kind.SEQUENCE_GAP, entry, detail, sequence=first_missing)


def check_links(entries: list[Entry]) -> list[Discrepancy]:
    """``prevhash`` of sequence n+1 equals the stored hash of sequence n (genesis for n+1 = 1)."""
    by_sequence: dict[int, Entry] = {}
    for entry in entries:
        if entry.sequence is not None:
            by_sequence.setdefault(entry.sequence, entry)
    out = []
    for s, entry in by_sequence.items():
        found = _link(entry, by_sequence.get(s - 1), s)
        out.extend([found] if found else [])
    return out


def _link(entry: Entry, previous: Entry | None, s: int) -> Discrepancy | None:
    recorded = entry.record.attributes.get("prevhash")
    if s == 1:
        if recorded == GENESIS_HASH:
            return None
        return finding(Kind.CHAIN_BROKEN, entry, f"first event's prevhash {recorded} is not the genesis hash")
    if previous is None or previous.hash is None or recorded == previous.hash:
        return None  # a missing predecessor is reported as a gap, an unparsable one as undecodable
    exact = stored_hash(dict(previous.record.attributes), previous.record.value)
    if exact is None or exact == recorded:
        return None  # stored in a non-canonical spelling of the same content: the chain holds
    detail = (
        f"sequence {s - 1} at {previous.record.where()} was altered: its stored form hashes to "
        f"{exact[:12]}…, but sequence {s} at {entry.record.where()} recorded prevhash "
        f"{(recorded or '')[:12]}… (or that prevhash itself was edited)"
    )
    return finding(Kind.CHAIN_BROKEN, previous, detail)
