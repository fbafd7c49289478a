"""Per-partition state that does not grow in memory with history: SQLite on local disk, restored from
and written through a compacted changelog topic, exactly as durable as the outputs it goes with.

A handler reads and writes one input partition's keys through a ``PartitionStore``. Writes wait in a
buffer until the engine's transaction commits: the handler hands ``changelog()`` records to that
same transaction (so the changelog can never be ahead of or behind the outputs and input offsets it
goes with), and the engine then calls ``commit()`` with the changelog offsets, which applies the
buffer to SQLite together with a checkpoint (how far into the changelog the file is). After an aborted
transaction the engine gives the partition up: ``close()`` forgets the buffer and the claim restores.

A new owner restores from the changelog: from the file's checkpoint when the file survived (a restart
on the same disk reads only the tail), else from the start of the compacted changelog, whose size is
that of the live state, not of the history. A file written by another state format, for another
changelog, or ahead of the changelog (the topic was recreated) is discarded and restored afresh.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiokafka import TopicPartition

from services.platform.eos import OutRecord
from services.platform.log_reader import reader
from services.platform.sqlite import connect, transaction

RESTORE_CHUNK = 2000
"""Changelog records applied per SQLite transaction while restoring; the event loop runs between chunks."""


@dataclass(frozen=True)
class Restored:
    """What a restore read."""

    records: int
    seconds: float
    from_offset: int
    keys: int


def default_state_dir() -> Path:
    """Where stores live unless configured: ``$XDG_STATE_HOME/hiring-pipeline/state`` (or ~/.local/state)."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "hiring-pipeline" / "state"


_HELD: dict[Path, int] = {}
"""Lock files this process holds (file descriptors), by store path."""


def exclusive_file(directory: Path, name: str) -> Path:
    """``directory/name``, locked for this process; a private temporary file if another process holds it.

    Two processes sharing a state directory (tests, two replicas on one machine) must never write one
    file; the loser restores a file of its own (from the changelog), which is slower but correct.
    """
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    if path in _HELD:
        return path  # reopened by this process after a revoke: still ours
    fd = os.open(directory / f"{name}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        private = Path(tempfile.mkdtemp(prefix="hiring-state-"))
        return private / name
    _HELD[path] = fd
    return path


class PartitionStore:
    """One input partition's key/value state (see the module docstring)."""

    def __init__(self, directory: Path, changelog_topic: str, partition: int, state_format: str) -> None:
        self.topic, self.partition, self.format = changelog_topic, partition, state_format
        self.path = exclusive_file(directory, f"{changelog_topic}-{partition}.sqlite")
        self._db = connect(self.path)  # WAL, synchronous=NORMAL: the changelog is the durable copy
        self._db.execute("CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value BLOB NOT NULL, at REAL)")
        self._db.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)")
        self._buffer: dict[str, bytes | None] = {}

    # --- reads and buffered writes ------------------------------------------------------------

    def get(self, key: str) -> bytes | None:
        """The value of ``key`` as this transaction sees it (its own writes included)."""
        if key in self._buffer:
            return self._buffer[key]
        row = self._db.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
        return None if row is None else bytes(row[0])

    def put(self, key: str, value: bytes | None) -> None:
        """Set (or, with None, delete) ``key`` in this transaction."""
        self._buffer[key] = value

    def keys(self, prefix: str = "", older_than: float | None = None) -> list[str]:
        """Committed keys starting with ``prefix`` (written before ``older_than``, epoch seconds)."""
        query = "SELECT key FROM kv WHERE key >= ? AND key < ?"
        args: list[object] = [prefix, prefix + "\uffff"]
        if older_than is not None:
            query, args = query + " AND at < ?", [*args, older_than]
        return [row[0] for row in self._db.execute(query, args)]

    def items(self, prefix: str = "") -> Iterator[tuple[str, bytes]]:
        """Committed (key, value) pairs starting with ``prefix``."""
        rows = self._db.execute(
            "SELECT key, value FROM kv WHERE key >= ? AND key < ?", (prefix, prefix + "\uffff")
        )
        return ((key, bytes(value)) for key, value in rows)

    def count(self) -> int:
        """Committed keys."""
        return int(self._db.execute("SELECT count(*) FROM kv").fetchone()[0])

    @property
    def dirty(self) -> bool:
        """Writes wait for a transaction."""
        return bool(self._buffer)

    # --- the transaction -------------------------------------------------------------------

    def changelog(self) -> list[OutRecord]:
        """The buffered writes as changelog records (a delete is a tombstone), for the transaction."""
        return [OutRecord(self.topic, k.encode(), v, [], self.partition) for k, v in self._buffer.items()]

    def commit(self, changelog_end: int | None) -> None:
        """The transaction committed: apply the buffer, and record the changelog offset reached."""
        now = time.time()
        gone = [(key,) for key, value in self._buffer.items() if value is None]
        kept = [(key, value, now) for key, value in self._buffer.items() if value is not None]
        with transaction(self._db):  # one statement per kind: the order of distinct keys does not matter
            if gone:
                self._db.executemany("DELETE FROM kv WHERE key = ?", gone)
            if kept:
                self._db.executemany("INSERT OR REPLACE INTO kv VALUES (?, ?, ?)", kept)
            if changelog_end is not None:
                self._set_meta("checkpoint", str(changelog_end))
        self._buffer.clear()

    def wipe(self) -> None:
        """Delete every key in this transaction (tombstones, so the changelog forgets them too)."""
        for (key,) in self._db.execute("SELECT key FROM kv"):
            self._buffer.setdefault(key, None)

    def close(self) -> None:
        """Forget buffered writes and close the file (the next owner restores)."""
        self._buffer.clear()
        self._db.close()

    # --- restore ------------------------------------------------------------------------------

    async def restore(self, client: dict[str, Any]) -> Restored:
        """Bring the file up to the changelog's end (read_committed), yielding to the event loop."""
        began = time.monotonic()
        consumer = reader(client)
        await consumer.start()
        try:
            tp = TopicPartition(self.topic, self.partition)
            consumer.assign([tp])
            end = (await consumer.end_offsets([tp]))[tp]
            start = self._usable_checkpoint(end)
            consumer.seek(tp, start)
            read = await self._apply_until(consumer, tp, end)
        finally:
            await consumer.stop()
        with transaction(self._db):
            self._set_meta("checkpoint", str(end))
        return Restored(read, time.monotonic() - began, start, self.count())

    def _usable_checkpoint(self, end: int) -> int:
        checkpoint = int(self._meta("checkpoint") or 0)
        if self._meta("format") != self.format or checkpoint > end:
            with transaction(self._db):  # another state format, or the changelog was recreated
                self._db.execute("DELETE FROM kv")
                self._db.execute("DELETE FROM meta")
                self._set_meta("format", self.format)
            return 0
        return checkpoint

    async def _apply_until(self, consumer: Any, tp: TopicPartition, end: int) -> int:
        read = 0
        while await consumer.position(tp) < end:
            batch = await consumer.getmany(tp, timeout_ms=500, max_records=RESTORE_CHUNK)
            records = [r for r in batch.get(tp, []) if r.offset < end]
            with transaction(self._db):
                for record in records:
                    key = record.key.decode()
                    if record.value is None:
                        self._db.execute("DELETE FROM kv WHERE key = ?", (key,))
                    else:
                        self._db.execute("INSERT OR REPLACE INTO kv VALUES (?, ?, ?)", (key, record.value,
                                         record.timestamp / 1000))  # fmt: skip
            read += len(records)
            await asyncio.sleep(0)  # heartbeats and the HTTP API go on during a long restore
        return read

    # --- helpers ------------------------------------------------------------------------------

    def _meta(self, name: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return None if row is None else str(row[0])

    def _set_meta(self, name: str, value: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (name, value))
