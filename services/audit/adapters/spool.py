"""A history grouped per interview on disk, so ``verify`` holds one interview at a time, not all of them.

Records are appended as they are read (interview events first, then decision events) to a private
temporary SQLite database that SQLite deletes when it is closed; its page cache is capped, so the
process's memory does not grow with the history. ``logs()`` then yields each interview's records in
order of first appearance, each topic's records in the order given: exactly what
``history.split`` groups in memory.
"""

from __future__ import annotations

import marshal
import sqlite3
from collections.abc import Iterable, Iterator
from itertools import islice
from types import TracebackType

from services.audit.domain.history import RawLog
from services.audit.domain.records import REVISION_TOPICS, LogRecord

CACHE_KIB = 8 * 1024
"""SQLite page cache of the spool (KiB); beyond it pages go to the temporary file."""

CHUNK = 500

_SCHEMA = """
CREATE TABLE records (id INTEGER PRIMARY KEY, subject TEXT NOT NULL, decision INTEGER NOT NULL,
                      record BLOB NOT NULL)
"""


def _pack(record: LogRecord) -> tuple[str, int, bytes]:
    fields = (record.topic, record.partition, record.offset, record.key, dict(record.attributes),
              record.value, record.timestamp, record.headers)  # fmt: skip
    return record.subject(), int(record.topic in REVISION_TOPICS), marshal.dumps(fields)


def _unpack(blob: bytes) -> LogRecord:
    topic, partition, offset, key, attributes, value, timestamp, headers = marshal.loads(blob)
    return LogRecord(topic, partition, offset, key, attributes, value, timestamp, headers)


class Spool:
    """Interview and decision records grouped per interview in a temporary SQLite file."""

    def __init__(self) -> None:
        self._db = sqlite3.connect("")  # "": a private temporary on-disk database, deleted on close
        self._db.executescript(
            f"PRAGMA cache_size=-{CACHE_KIB}; PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
            f"PRAGMA temp_store=FILE; {_SCHEMA}"
        )
        self.size = 0
        self._indexed = False

    def add(self, records: Iterable[LogRecord]) -> int:
        """Append records (``interview.events`` or ``decision.events``); return how many."""
        if self._indexed:
            raise RuntimeError("the spool is being read; add every record before calling logs()")
        added = 0
        it = iter(records)
        while chunk := [_pack(r) for r in islice(it, CHUNK)]:
            self._db.executemany("INSERT INTO records (subject, decision, record) VALUES (?, ?, ?)", chunk)
            added += len(chunk)
        self.size += added
        return added

    def logs(self) -> Iterator[RawLog]:
        """Each interview's records, interviews in order of first appearance (a lazy, one-pass read)."""
        if not self._indexed:
            self._db.execute("CREATE INDEX by_subject ON records (subject, id)")
            self._indexed = True
        # Interviews ordered by their first record; each interview's records by position (the index).
        firsts = self._db.execute("SELECT subject FROM records GROUP BY subject ORDER BY MIN(id)")
        reader = self._db.cursor()
        for (subject,) in firsts:
            log = RawLog(subject)
            for decision, blob in reader.execute(
                "SELECT decision, record FROM records WHERE subject = ? ORDER BY id", (subject,)
            ):
                (log.decision if decision else log.interview).append(_unpack(blob))
            yield log

    def close(self) -> None:
        """Delete the temporary database."""
        self._db.close()

    def __enter__(self) -> Spool:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def spooled(interview_records: Iterable[LogRecord], decision_records: Iterable[LogRecord]) -> Spool:
    """A spool of both topics' records (interview events first, as ``split`` orders them)."""
    spool = Spool()
    spool.add(interview_records)
    spool.add(decision_records)
    return spool
