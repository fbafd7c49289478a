"""Who takes part in which interview, for scoping reads: fed by tailing ``interview.events``.

The projection's own state holds only the partitions this replica owns, but any replica answers queries
about any interview. This store keeps, per interview, its candidacy, its participants with their sides
and who opened it, read from ``interview.opened`` records only (selected by their ``ce_type`` header;
every other record is skipped undecoded). It remembers how far it read each partition, like the verdict
store, so a restart on the same disk reads only what is new.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import structlog

from services.decision.adapters.verdict_store import SqliteFedStore
from services.platform.state import exclusive_file

log = structlog.get_logger(__name__)

FORMAT = "participants/1"
_OPENED = b"hiring.interview.opened."


class ParticipantStore(SqliteFedStore):
    """Participants (id, side) and the opener of each interview."""

    FORMAT = FORMAT
    TABLES = {
        "member": "interview TEXT, candidacy TEXT, participant TEXT, side TEXT, "
        "PRIMARY KEY (interview, participant)",
        "opener": "interview TEXT PRIMARY KEY, actor TEXT",
    }

    def add_records(self, records: list[Any]) -> None:
        """Keep the participants of every ``interview.opened`` record among ``records``."""
        members, openers = [], []
        for record in records:
            headers = dict(record.headers or [])
            if not headers.get("ce_type", b"").startswith(_OPENED) or not record.value:
                continue
            try:
                data = json.loads(record.value)
                interview = headers["ce_subject"].decode()
                openers.append((interview, headers["ce_actorid"].decode()))
                members += [
                    (interview, data["candidacy_id"], p["id"], p["side"]) for p in data["participants"]
                ]
            except (ValueError, KeyError, TypeError) as exc:  # the projection parks it; nobody reads it
                log.warning("participants.unreadable_opened", offset=record.offset, error=type(exc).__name__)
        if not members and not openers:
            return
        self._db.execute("BEGIN")
        self._db.executemany("INSERT OR IGNORE INTO member VALUES (?, ?, ?, ?)", members)
        self._db.executemany("INSERT OR IGNORE INTO opener VALUES (?, ?)", openers)
        self._db.execute("COMMIT")

    def side(self, interview_id: str, participant: str) -> str | None:
        """The participant's side in the interview (None: not a participant, or no such interview)."""
        row = self._db.execute(
            "SELECT side FROM member WHERE interview = ? AND participant = ?", (interview_id, participant)
        ).fetchone()
        return None if row is None else str(row[0])

    def opened_by(self, interview_id: str) -> str | None:
        """Who opened the interview."""
        row = self._db.execute("SELECT actor FROM opener WHERE interview = ?", (interview_id,)).fetchone()
        return None if row is None else str(row[0])

    def candidacy_side(self, candidacy_id: str, participant: str) -> str | None:
        """The participant's side in any interview of the candidacy (None: in none)."""
        row = self._db.execute(
            "SELECT side FROM member WHERE candidacy = ? AND participant = ? LIMIT 1",
            (candidacy_id, participant),
        ).fetchone()
        return None if row is None else str(row[0])


def open_participants(directory: Path, topic: str) -> ParticipantStore:
    """The participant store of ``topic`` in ``directory`` (a private file when another process holds it)."""
    return ParticipantStore(exclusive_file(directory, f"{topic}-participants.sqlite"))
