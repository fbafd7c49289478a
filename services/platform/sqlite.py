"""The one way the services open a local SQLite file and run a transaction on it.

Every file opened here is a cache of a Kafka topic (a changelog, or a topic a read model tails): the
topic is the durable copy, so WAL with ``synchronous=NORMAL`` (a power cut may lose the last commits,
never corrupt the file; the reader re-reads from its recorded offset). The connection is in autocommit
mode (``isolation_level=None``) so a transaction is exactly what ``transaction`` brackets.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def connect(path: Path) -> sqlite3.Connection:
    """An autocommit connection to ``path`` in WAL mode, usable from the feed's worker threads too."""
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")  # the topic is the durable copy (module docstring)
    return db


@contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN ... COMMIT around the block; ROLLBACK (and re-raise) if it raises."""
    db.execute("BEGIN")
    try:
        yield db
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
