"""The calibration read model on local disk: what each concluded interview's final revision says.

Fed by its own tail of compacted ``decision.verdicts`` (a ``StoreFeed``; ADR 0015: the latest revision
of every interview, so a new replica reads one record per interview once compacted): a final revision
carries every assessment in force with its assessor and the company's decision, so the table keeps, per
interview, the company-side ratings and that decision (the latest final revision wins: a side-by-side
policy version may publish another). Only final revisions are decoded (the canonical JSON is checked for
``"final":true`` first). The rows are also held in memory, read at open (an update costs one row, not a
re-read of the file); the report (calibration v2, a rater-effects fit over every row: ADR 0021) is
computed on request and cached until a change, so a stream of updates costs one fit per read that
follows one, never one per update (docs/benchmarks.md: the fit's cost at 50,000 interviews).
"""

from __future__ import annotations

import json
import threading
from json import loads
from pathlib import Path
from sys import intern
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

FORMAT = "calibration/1"  # the rows; the method that reads them is the report's `method`
_FINAL = b'"final":true'
_GOAL = {g.value: g for g in GoalId}  # a dict look-up: GoalId(value) costs more, per rating


class CalibrationStore(SqliteFedStore):
    """Final interviews' company-side ratings; ``report()`` is the calibration over all of them."""

    FORMAT = FORMAT
    TABLES = {"final": "interview TEXT PRIMARY KEY, decision TEXT, ratings TEXT"}

    def __init__(self, path: Path, rules: CalibrationRules | None = None) -> None:
        self.rules = rules or CalibrationRules()
        self._cached: tuple[int, CalibrationReport] | None = None
        self._held: dict[str, InterviewRatings] = {}
        self._version = 0  # bumped by every change: a report computed meanwhile is not kept as current
        self._fitting = threading.Lock()
        super().__init__(path)
        # Read once at open (about 2 s at 50,000 interviews), then kept up to date by add_records: no
        # lazy load that a concurrent update could miss.
        self._held = {iv.interview_id: iv for iv in self.interviews()}

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
                self._held[found.interview_id] = _interned(found)
        if rows:
            self._db.executemany("INSERT OR REPLACE INTO final VALUES (?, ?, ?)", rows)
            self._version += 1

    def interviews(self) -> list[InterviewRatings]:
        """Every concluded interview in the file."""
        rows = self._db.execute(
            "SELECT interview, decision, ratings FROM final ORDER BY interview"
        ).fetchall()
        return [
            InterviewRatings(iv, Decision(d), tuple(Rated(intern(a), _GOAL[g], p) for a, g, p in loads(r)))
            for iv, d, r in rows
        ]

    def _forget(self) -> None:
        super()._forget()
        self._held = {}
        self._version += 1

    def report(self) -> CalibrationReport:
        """The calibration over every concluded interview held (cached until the next change).

        Safe to call from a worker thread while the feed adds rows: it fits a snapshot of the rows held,
        and keeps the result as current only if nothing changed meanwhile.
        """
        with self._fitting:  # one fit at a time: readers arriving meanwhile take its result
            version, cached = self._version, self._cached
            if cached is not None and cached[0] == version:
                return cached[1]
            report = calibrate(list(self._held.values()), self.rules)  # list(): one atomic snapshot
            if self._version == version:
                self._cached = (version, report)
            return report


def _interned(found: InterviewRatings) -> InterviewRatings:
    """The same ratings with each assessor's name shared (held for every interview: memory)."""
    rated = tuple(Rated(intern(r.assessor), r.goal, r.points) for r in found.ratings)
    return InterviewRatings(found.interview_id, found.decision, rated)


def open_calibration(directory: Path, topic: str) -> CalibrationStore:
    """The calibration store of ``topic`` in ``directory`` (a private file when another process holds it)."""
    return CalibrationStore(exclusive_file(directory, f"{topic}-calibration.sqlite"))
