"""Choose which interviews an export holds: by id and/or by activity in a time range."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from services.audit.domain.records import LogRecord


def _time(record: LogRecord) -> datetime | None:
    try:
        return datetime.fromisoformat(record.attributes.get("time", ""))
    except ValueError:
        return None


def _in_range(record: LogRecord, since: datetime | None, until: datetime | None) -> bool:
    at = _time(record)
    if at is None:
        return since is None and until is None
    return (since is None or at >= since) and (until is None or at <= until)


def chosen_interviews(
    interview_records: Iterable[LogRecord],
    ids: set[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> set[str]:
    """Interviews named in ``ids`` (all when empty) with an interview event in ``[since, until]``.

    A time range selects whole interviews, not single events: an export must start at each
    interview's first event for its chain and its revisions to verify.
    """
    return {
        r.subject()
        for r in interview_records
        if (not ids or r.subject() in ids) and _in_range(r, since, until)
    }


def only(records: Iterable[LogRecord], interviews: set[str]) -> list[LogRecord]:
    """The records of the chosen interviews, order kept."""
    return [r for r in records if r.subject() in interviews]
