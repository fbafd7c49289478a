"""The calibration read model on local disk: what each concluded interview's final revision says.

Fed by its own tail of ``decision.events`` (a ``StoreFeed``, like the query store): a final revision
carries every assessment in force with its assessor and the company's decision, so the table keeps, per
interview, the company-side ratings and that decision (the latest final revision wins: a side-by-side
policy version may publish another). Only final revisions are decoded (the canonical JSON is checked for
``"final":true`` first). The report is computed from the table on request and cached until a change.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from schemas.codec import decode
from schemas.common import GoalId
from schemas.decision import Decision, VerdictChanged
from services.decision.domain.calibration import (
    CalibrationReport,
    CalibrationRules,
    InterviewRatings,
    Rated,
    calibrate,
    ratings_of,
)
from services.platform.state import exclusive_file

FORMAT = "calibration/1"
_FINAL = b'"final":true'


class CalibrationStore:
    """Final interviews' company-side ratings; ``report()`` is the calibration over all of them."""

    def __init__(self, path: Path, rules: CalibrationRules | None = None) -> None:
        self.path, self.rules = path, rules or CalibrationRules()
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")  # decision.events is the durable copy
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS final (interview TEXT PRIMARY KEY, decision TEXT, ratings TEXT)"
        )
        self._db.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)")
        if self._meta("format") not in (None, FORMAT):
            self._db.execute("DELETE FROM final")
            self._db.execute("DELETE FROM meta")
        self._set_meta("format", FORMAT)
        self._cached: CalibrationReport | None = None

    def add_records(self, records: list[Any]) -> None:
        """Keep the ratings of final revisions among ``decision.events`` records."""
        rows = []
        for record in records:
            if not record.value or _FINAL not in record.value:
                continue
            event = decode(record.value, list(record.headers or []), record.key)
            if isinstance(event.data, VerdictChanged) and (found := ratings_of(event.data)) is not None:
                ratings = [[r.assessor, r.goal.value, r.points] for r in found.ratings]
                rows.append((found.interview_id, found.decision.value, json.dumps(ratings)))
        if rows:
            self._db.executemany("INSERT OR REPLACE INTO final VALUES (?, ?, ?)", rows)
            self._cached = None

    def interviews(self) -> list[InterviewRatings]:
        """Every concluded interview held."""
        rows = self._db.execute(
            "SELECT interview, decision, ratings FROM final ORDER BY interview"
        ).fetchall()
        return [
            InterviewRatings(iv, Decision(d), tuple(Rated(a, GoalId(g), p) for a, g, p in json.loads(r)))
            for iv, d, r in rows
        ]

    def report(self) -> CalibrationReport:
        """The calibration over every concluded interview held (cached until the next change)."""
        if self._cached is None:
            self._cached = calibrate(self.interviews(), self.rules)
        return self._cached

    def forget_if_ahead(self, ends: dict[int, int]) -> bool:
        """Empty the store when it read further than a partition now holds (the topic was recreated)."""
        if all(self.position(p) <= end for p, end in ends.items()):
            return False
        self._db.execute("DELETE FROM final")
        self._db.execute("DELETE FROM meta WHERE name LIKE 'offset.%'")
        self._cached = None
        return True

    def position(self, partition: int) -> int:
        """Next offset of the ``decision.events`` partition to read (0 for a new file)."""
        return int(self._meta(f"offset.{partition}") or 0)

    def read_to(self, partition: int, offset: int) -> None:
        """Remember that the partition was read up to ``offset`` (exclusive)."""
        self._set_meta(f"offset.{partition}", str(offset))

    def close(self) -> None:
        """Close the file."""
        self._db.close()

    def _meta(self, name: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return None if row is None else str(row[0])

    def _set_meta(self, name: str, value: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (name, value))


def open_calibration(directory: Path, topic: str) -> CalibrationStore:
    """The calibration store of ``topic`` in ``directory`` (a private file when another process holds it)."""
    return CalibrationStore(exclusive_file(directory, f"{topic}-calibration.sqlite"))
