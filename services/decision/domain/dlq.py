"""The decision service's rule for the dead-letter queue: which word counts, and what a record becomes.

Pure, and shared with the audit, which must replay exactly what the service replays.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from schemas.codec import ContractError, decode
from schemas.dlq import POISON, SKIP, DlqEntry
from schemas.envelope import Event
from services.decision.domain.revisions import Poison


def latest_words(entries: Iterable[DlqEntry]) -> dict[int, DlqEntry]:
    """Per source offset, the latest word (entries in DLQ offset order): ``poison``, ``retry`` or ``skip``."""
    return {entry.offset: entry for entry in entries}


def resolve(
    word: DlqEntry | None, offset: int, decoded: Callable[[], Event | Poison]
) -> Event | Poison | None:
    """What the service replays for the record at ``offset``: nothing (skipped), its parking, or itself.

    ``decoded`` decodes the record afresh: it was never dead-lettered, or it was released for a retry.
    """
    if word is not None and word.kind == SKIP:
        return None
    if word is not None and word.kind == POISON:
        return Poison(word.interview_id, offset, word.code, word.reason)
    return decoded()


def as_input(
    key: bytes | None,
    value: bytes | None,
    headers: Sequence[tuple[str, bytes]],
    offset: int,
    *,
    trust_hash: bool = False,
) -> Event | Poison:
    """An ``interview.events`` record as an input: its event, or the ``Poison`` saying why it is none.

    ``trust_hash``: take the event's hash from the writer's header (the service); the audit recomputes.
    """
    try:
        return decode(value, headers, key, trust_hash=trust_hash)
    except ContractError as exc:
        interview = key.decode("utf-8", errors="replace") if key else ""
        return Poison(interview, offset, exc.code, str(exc)[:2000])
