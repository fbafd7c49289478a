"""The calibration read model on local disk: what each concluded interview's final revision says.

Fed by its own tail of compacted ``decision.verdicts`` (a ``StoreFeed``; ADR 0015: the latest revision
of every interview, so a new replica reads one record per interview once compacted): a final revision
carries every assessment in force with its assessor and the company's decision, so the table keeps, per
interview, the company-side ratings and that decision (the latest final revision wins: a side-by-side
policy version may publish another). Only final revisions are decoded (the canonical JSON is checked for
``"final":true`` first). The report is computed from the table on request and cached until a change.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from schemas.codec import decode
from schemas.common import GoalId
from schemas.decision import Decision, VerdictChanged
from services.decision.adapters.verdict_store import SqliteFedStore
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


class CalibrationStore(SqliteFedStore):
    """Final interviews' company-side ratings; ``report()`` is the calibration over all of them."""

    FORMAT = FORMAT
    TABLES = {"final": "interview TEXT PRIMARY KEY, decision TEXT, ratings TEXT"}

    def __init__(self, path: Path, rules: CalibrationRules | None = None) -> None:
        self.rules = rules or CalibrationRules()
        self._cached: CalibrationReport | None = None
        super().__init__(path)

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

    def _forget(self) -> None:
        super()._forget()
        self._cached = None

    def report(self) -> CalibrationReport:
        """The calibration over every concluded interview held (cached until the next change)."""
        if self._cached is None:
            self._cached = calibrate(self.interviews(), self.rules)
        return self._cached


def open_calibration(directory: Path, topic: str) -> CalibrationStore:
    """The calibration store of ``topic`` in ``directory`` (a private file when another process holds it)."""
    return CalibrationStore(exclusive_file(directory, f"{topic}-calibration.sqlite"))
