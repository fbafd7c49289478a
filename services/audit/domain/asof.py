"""``as-of``: the verdict an interview had at a time or after a sequence number, from its history."""

from __future__ import annotations

from datetime import datetime

from schemas.envelope import Event, format_time
from services.audit.domain.compare import recompute_items, revision_diff, revision_of
from services.audit.domain.history import Entry, InterviewLog, revision_data
from services.audit.domain.report import AsOfVerdict, PublishedState
from services.decision.domain.revisions import Poison


def prefix(log: InterviewLog, time: datetime | None, sequence: int | None) -> list[Event | Poison]:
    """The inputs up to the point asked: events at or before ``time`` and with sequence <= ``sequence``."""
    out: list[Event | Poison] = []
    for entry in log.entries:
        if entry.event is not None and _beyond(entry.event, time, sequence):
            break
        out.append(entry.item())
    return out


def _beyond(event: Event, time: datetime | None, sequence: int | None) -> bool:
    late = time is not None and event.attributes.time > time
    return late or (sequence is not None and event.attributes.sequence > sequence)


def as_of(
    log: InterviewLog, time: datetime | None = None, sequence: int | None = None, *, published: bool = False
) -> AsOfVerdict:
    """The revision in force at that point (recomputed under the recorded policy version)."""
    version = log.policy_version()
    items = prefix(log, time, sequence)
    revisions = recompute_items(items, version)
    last = revisions[-1] if revisions else None
    applied = [i.attributes.sequence for i in items if isinstance(i, Event)]
    return AsOfVerdict(
        interview=log.interview_id, policy_version=version, input_sequence=max(applied, default=None),
        revision=revision_of(last).revision if last else None,
        time=format_time(last.attributes.time) if last else None,
        event_id=last.attributes.id if last else None,
        published=_published_state(log, last) if published else None,
        verdict=last.data_json() if last else None,
    )  # fmt: skip


def _published_state(log: InterviewLog, revision: Event | None) -> PublishedState | None:
    if revision is None:
        return None
    data = revision_of(revision)
    for entry in log.published:
        if _same_revision(entry, data.revision, data.policy_version):
            return "differs" if revision_diff(revision, entry.record) else "match"
    return "missing"


def _same_revision(entry: Entry, revision: int, version: str) -> bool:
    data = revision_data(entry)
    return data is not None and data.revision == revision and data.policy_version == version
