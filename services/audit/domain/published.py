"""Published revisions proved by their bytes: decoded only when they differ from the recomputation.

A published verdict revision whose key, attributes and value are byte-identical to the record the
audit recomputed for the same policy version and revision number is, by the codec's round trip
(``decode(encode(e)) == e``, held by the contract tests), the recomputed event: decoding it again
would only rebuild that event. Such a record is resolved to the recomputed event after reading two
fields of its value (policy version and revision, to know which recomputation to compare with);
every other record (different bytes, an unknown policy, a value that is not a revision) is decoded
and validated in full as before, so every finding stays what it was (ADR 0020).
"""

from __future__ import annotations

from collections.abc import Callable

import msgspec

from schemas.envelope import Event
from services.audit.domain.history import Entry, InterviewLog, entry_of
from services.audit.domain.records import LogRecord

Recomputed = Callable[[str], dict[int, Event] | None]
"""The recomputed revisions of a policy version by revision number (None: not recomputable here)."""
Same = Callable[[Event, LogRecord], bool]
"""Whether a recomputed event and a published record are byte-identical (key, attributes, value)."""


class _Peek(msgspec.Struct):
    """The two fields that say which recomputed revision a published one must equal."""

    policy_version: str
    revision: int


_PEEK = msgspec.json.Decoder(_Peek)


def _peek(value: bytes | None) -> _Peek | None:
    if value is None:
        return None
    try:
        return _PEEK.decode(value)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None  # not JSON, or not shaped like a revision: decoded in full


def resolve(record: LogRecord, recomputed: Recomputed, same: Same) -> Entry:
    """The published record's entry: the recomputed event when the bytes are equal, else decoded."""
    peek = _peek(record.value)
    wanted = recomputed(peek.policy_version) if peek is not None else None
    event = wanted.get(peek.revision) if wanted is not None and peek is not None else None
    if event is not None and same(event, record):
        return Entry(record, event, None, event.attributes.sequence, None)
    return entry_of(record, hashed=False)


def settle(log: InterviewLog, recomputed: Recomputed, same: Same) -> None:
    """Resolve the log's pending published records into ``log.published``, in log order."""
    if log.pending:
        log.published.extend(resolve(record, recomputed, same) for record in log.pending)
        log.pending = []
