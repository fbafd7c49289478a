"""Which record ``prove`` proves: an interview's verdict revision, or a record at a position."""

from __future__ import annotations

from schemas import canonical
from schemas.topics import DECISION_EVENTS
from services.audit.domain.records import LogRecord
from services.audit.entrypoints.options import fail
from services.audit.entrypoints.trees import Watch

VERDICT_TYPES = ("hiring.decision.verdict_changed.v1", "hiring.decision.verdict_changed.v2")
"""Every version of a verdict revision (policy v1 writes .v1, policy v2 .v2: ADR 0023)."""


def pick(
    interview: str | None, revision: int | None, policy: str | None,
    topic: str | None, partition: int | None, offset: int | None,
) -> Watch:  # fmt: skip
    """The record chooser for ``prove``; exit 2 unless exactly one way of naming a record is given."""
    if interview is not None and revision is not None and topic is None:
        return lambda r: _is_revision(r, interview, revision, policy)
    if topic is not None and partition is not None and offset is not None and interview is None:
        return lambda r: (r.topic, r.partition, r.offset) == (topic, partition, offset)
    raise fail("name the record: --interview ID --revision N [--policy V], or --topic T --partition P "
               "--offset O, or give --proof FILE")  # fmt: skip


def _is_revision(record: LogRecord, interview: str, revision: int, policy: str | None) -> bool:
    if record.topic != DECISION_EVENTS or record.subject() != interview or record.value is None:
        return False
    if record.attributes.get("type") not in VERDICT_TYPES:
        return False
    try:
        data = canonical.loads(record.value)
    except ValueError:
        return False
    if not isinstance(data, dict) or data.get("revision") != revision:
        return False
    return policy is None or data.get("policy_version") == policy
