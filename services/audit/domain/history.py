"""Decode audited records and group them per interview, keeping each record's position."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from schemas.chain import record_hash
from schemas.codec import ContractError, decode_parts
from schemas.decision import VerdictChanged
from schemas.envelope import Event
from schemas.interview import InterviewOpened
from services.audit.domain.dlq import NO_WORDS, DlqEntry, DlqWords, dlq_words, resolve
from services.audit.domain.records import LogRecord
from services.decision.domain.revisions import Poison

DEFAULT_POLICY = "v1"


@dataclass(frozen=True)
class Entry:
    """A record, its decoded event (or why it does not decode), and its stored-form hash."""

    record: LogRecord
    event: Event | None
    problem: ContractError | None
    sequence: int | None
    hash: str | None
    word: DlqEntry | None = None
    """The DLQ's latest word on this record: ``poison`` (still parked), ``retry`` or ``skip``."""

    def item(self) -> Event | Poison:
        """What the decision service would make of this record: the event, or a poison pill."""
        if self.word is not None:
            resolved = resolve(self.record, self.word).item
            if resolved is not None:
                return resolved
        if self.event is not None:
            return self.event
        code = self.problem.code if self.problem else "undecodable"
        return Poison(self.record.subject(), self.record.offset, code, str(self.problem))


@dataclass
class InterviewLog:
    """One interview's interview events (log order) and published decision events.

    Records an operator released with ``skip`` (DLQ) are not part of the history: they are in
    ``skipped``, not in ``entries``, exactly as the decision service leaves them out.
    """

    interview_id: str
    entries: list[Entry] = field(default_factory=list)
    published: list[Entry] = field(default_factory=list)
    skipped: list[Entry] = field(default_factory=list)
    pending: list[LogRecord] = field(default_factory=list)
    """Published records not decoded yet (``decode_log(..., lazy=True)``): the audit resolves them
    against its recomputation (``published.settle``) before it reads ``published``."""

    def items(self) -> list[Event | Poison]:
        """The decision service's inputs for this interview, in log order (DLQ words applied)."""
        return [entry.item() for entry in self.entries]

    def policy_version(self) -> str:
        """The policy version recorded at ``interview.opened`` (v1 when unknown)."""
        for entry in self.entries:
            if entry.event is not None and isinstance(entry.event.data, InterviewOpened):
                return entry.event.data.policy_version
        return DEFAULT_POLICY

    def events(self) -> list[Event]:
        """The decoded interview events, in log order."""
        return [e.event for e in self.entries if e.event is not None]


def stored_hash(attributes: dict[str, str], value: bytes | None) -> str | None:
    """The chain hash of the record as stored (before any upcast); None if its value is not JSON."""
    if value is None:
        return None
    try:
        return record_hash(attributes, value)
    except ValueError:  # not UTF-8 / not JSON: reported as undecodable
        return None


def quick_hash(attributes: dict[str, str], value: bytes | None) -> str | None:
    """``stored_hash`` for a value in canonical form (as the codec writes it), without re-encoding it.

    A value that is not canonical gives another hash, so a mismatch must be confirmed with
    ``stored_hash`` (the chain check does).
    """
    return record_hash(attributes, value, canonical_value=True) if value is not None else None


def entry_of(record: LogRecord, hashed: bool = True) -> Entry:
    """Decode one record; a contract violation is kept as the entry's problem.

    ``hashed``: the entry's hash is the stored record's chain hash, taken from the one parse the
    decoding makes (the event's ``chain_hash`` is set to it, so the replay does not hash the record
    again); a record that does not decode gets ``quick_hash``, which the chain check confirms.
    """
    attributes = dict(record.attributes)
    key = record.key.encode() if record.key is not None else None
    try:
        event: Event | None = decode_parts(attributes, record.value, key, exact_hash=hashed)
        problem = None
    except ContractError as exc:
        event, problem = None, exc
    sequence = event.attributes.sequence if event else _int(attributes.get("sequence"))
    if not hashed:
        digest = None
    elif event is not None:
        digest = event.chain_hash
    else:
        digest = quick_hash(attributes, record.value)
    return Entry(record, event, problem, sequence, digest)


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


@dataclass
class RawLog:
    """One interview's records before decoding (its interview events and decision events)."""

    interview_id: str
    interview: list[LogRecord] = field(default_factory=list)
    decision: list[LogRecord] = field(default_factory=list)

    def size(self) -> int:
        """Number of records."""
        return len(self.interview) + len(self.decision)


def split(interview_records: Iterable[LogRecord], decision_records: Iterable[LogRecord]) -> list[RawLog]:
    """Records per interview (by ``ce_subject``), in order of first appearance, given order kept."""
    logs: dict[str, RawLog] = {}
    for record in interview_records:
        logs.setdefault(record.subject(), RawLog(record.subject())).interview.append(record)
    for record in decision_records:
        logs.setdefault(record.subject(), RawLog(record.subject())).decision.append(record)
    return list(logs.values())


def decode_log(raw: RawLog, words: DlqWords = NO_WORDS, lazy: bool = False) -> InterviewLog:
    """Decode one interview's records; apply the DLQ's words (``skip`` leaves a record out).

    ``lazy`` leaves the published records ``pending`` for ``audit_interview`` to resolve.
    """
    entries, skipped = [], []
    for record in raw.interview:
        entry = entry_of(record)
        word = words.word(record)
        if word is not None:
            entry = replace(entry, word=word)
            if resolve(record, word).item is None:
                skipped.append(entry)
                continue
        entries.append(entry)
    if lazy:
        return InterviewLog(raw.interview_id, entries, [], skipped, list(raw.decision))
    published = [entry_of(r, hashed=False) for r in raw.decision]
    return InterviewLog(raw.interview_id, entries, published, skipped)


def group(
    interview_records: Iterable[LogRecord],
    decision_records: Iterable[LogRecord],
    dlq_records: Iterable[LogRecord] = (),
) -> list[InterviewLog]:
    """Decoded interview logs, in order of first appearance, with the DLQ's words applied."""
    words = dlq_words(dlq_records)
    return [decode_log(raw, words) for raw in split(interview_records, decision_records)]


def revision_data(entry: Entry) -> VerdictChanged | None:
    """The verdict revision carried by a decision entry, if it decoded as one."""
    data = entry.event.data if entry.event is not None else None
    return data if isinstance(data, VerdictChanged) else None
