"""Who takes part in which interview, for scoping reads: fed by tailing ``decision.participants``.

The projection's own state holds only the partitions this replica owns, but any replica answers queries
about any interview. This store keeps, per interview, its candidacy, its participants with their sides
and who opened it, read from the compacted ``decision.participants`` topic: one small record per
interview, written in the decision transaction that applied its ``interview.opened`` (ADR 0015), so a
new replica restores it in time proportional to the number of interviews, not to their events. It
remembers how far it read each partition, like the verdict store, so a restart on the same disk reads
only what is new.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import structlog

from services.decision.adapters.records import PARTICIPANTS_FORMAT
from services.decision.adapters.verdict_store import SqliteFedStore
from services.platform.sqlite import transaction
from services.platform.state import exclusive_file

log = structlog.get_logger(__name__)

FORMAT = "participants/2"


class ParticipantStore(SqliteFedStore):
    """Participants (id, side) and the opener of each interview."""

    FORMAT = FORMAT
    TABLES = {
        "member": "interview TEXT, candidacy TEXT, participant TEXT, side TEXT, "
        "PRIMARY KEY (interview, participant)",
        "opener": "interview TEXT PRIMARY KEY, actor TEXT",
    }

    def add_records(self, records: list[Any]) -> None:
        """Keep the participants named by ``decision.participants`` records."""
        members, openers = [], []
        for record in records:
            if not record.value or not record.key:
                continue
            try:
                interview, doc = record.key.decode(), json.loads(record.value)
                if doc.get("v") != PARTICIPANTS_FORMAT:
                    raise ValueError(f"format {doc.get('v')!r}")
                openers.append((interview, doc["opened_by"]))
                members += [(interview, doc["candidacy_id"], who, side) for who, side in doc["participants"]]
            except (ValueError, KeyError, TypeError) as exc:  # written by us: a bug or a newer writer
                log.error("participants.unreadable", offset=record.offset, error=repr(exc))
        if not members and not openers:
            return
        with transaction(self._db):
            self._db.executemany("INSERT OR IGNORE INTO member VALUES (?, ?, ?, ?)", members)
            self._db.executemany("INSERT OR IGNORE INTO opener VALUES (?, ?)", openers)

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
    return ParticipantStore(exclusive_file(directory, f"{topic}.sqlite"))
