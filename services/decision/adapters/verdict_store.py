"""The query side: every published revision on local disk (SQLite), fed by tailing ``decision.events``.

A revision is kept as the record's bytes plus what queries select by (interview, revision, input
sequence, time); it is decoded only when a query returns it, so memory does not grow with history. The
file remembers how far it read each partition: a restart on the same disk reads only what is new.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import structlog
from aiokafka import TopicPartition

from schemas.codec import decode
from schemas.envelope import Event
from services.platform.log_reader import partitions_of, reader
from services.platform.sqlite import connect, transaction
from services.platform.state import exclusive_file

log = structlog.get_logger(__name__)

FORMAT = "verdicts/1"


class SqliteFedStore:
    """A read model in one SQLite file, fed by ``StoreFeed``: its tables, and how far it read each partition.

    Subclasses name their ``FORMAT`` and ``TABLES`` (name -> column definitions). A file written in
    another format is emptied; ``forget_if_ahead`` empties it when the topic was recreated.
    """

    FORMAT = ""
    TABLES: dict[str, str] = {}

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db = connect(path)  # WAL, synchronous=NORMAL: the topic it tails is the durable copy
        for table, columns in self.TABLES.items():
            self._db.execute(f"CREATE TABLE IF NOT EXISTS {table} ({columns})")
        self._db.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)")
        if self._meta("format") not in (None, self.FORMAT):
            self._forget()
            self._db.execute("DELETE FROM meta")
        self._set_meta("format", self.FORMAT)

    def forget_if_ahead(self, ends: dict[int, int], source: str = "") -> bool:
        """Empty the store when it read further than a partition now holds (the topic was recreated)."""
        if all(self.position(p, source) <= end for p, end in ends.items()):
            return False
        self._forget()
        self._db.execute("DELETE FROM meta WHERE name LIKE 'offset.%'")
        return True

    def position(self, partition: int, source: str = "") -> int:
        """Next offset of the partition to read (0 for a new file); ``source`` names a second topic fed."""
        return int(self._meta(_offset_name(partition, source)) or 0)

    def read_to(self, partition: int, offset: int, source: str = "") -> None:
        """Remember that the partition was read up to ``offset`` (exclusive)."""
        self._set_meta(_offset_name(partition, source), str(offset))

    def close(self) -> None:
        """Close the file."""
        self._db.close()

    def _forget(self) -> None:
        """Empty the data tables (not the offsets)."""
        for table in self.TABLES:
            self._db.execute(f"DELETE FROM {table}")

    def _meta(self, name: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return None if row is None else str(row[0])

    def _set_meta(self, name: str, value: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (name, value))


def _offset_name(partition: int, source: str) -> str:
    return f"offset.{partition}" if not source else f"offset.{source}.{partition}"


class VerdictStore(SqliteFedStore):
    """Revisions per interview; answers current, as-of-sequence, as-of-time and the whole list.

    Fed twice (ADR 0015): from the compacted ``decision.verdicts`` (source ``latest``: the latest
    revision of every interview, read first and fast, enough for ``current``) and from ``decision.events``
    (every revision; a new file fills it in the background). A revision held already is ignored.
    """

    FORMAT = FORMAT
    TABLES = {
        "rev": "interview TEXT, revision INTEGER, input_sequence INTEGER, time TEXT, key BLOB, value BLOB, "
        "headers TEXT, PRIMARY KEY (interview, revision)"
    }

    def add_records(self, records: list[Any]) -> None:
        """Keep revisions read from ``decision.events`` (one already held is ignored)."""
        rows = [_row(r) for r in records]
        with transaction(self._db):
            self._db.executemany("INSERT OR IGNORE INTO rev VALUES (?, ?, ?, ?, ?, ?, ?)", rows)

    def revisions(self, interview_id: str) -> list[Event]:
        """All revisions of an interview, oldest first."""
        return self._events("WHERE interview = ? ORDER BY revision", (interview_id,))

    def current(self, interview_id: str) -> Event | None:
        """The latest revision."""
        return self._one("WHERE interview = ? ORDER BY revision DESC LIMIT 1", (interview_id,))

    def as_of_sequence(self, interview_id: str, sequence: int) -> Event | None:
        """The revision in force after interview event ``sequence`` was applied."""
        where = "WHERE interview = ? AND input_sequence <= ? ORDER BY revision DESC LIMIT 1"
        return self._one(where, (interview_id, sequence))

    def as_of_time(self, interview_id: str, when: datetime) -> Event | None:
        """The revision in force at ``when`` (revisions carry their cause's time)."""
        held = self._db.execute(
            "SELECT time, revision FROM rev WHERE interview = ? ORDER BY revision", (interview_id,)
        ).fetchall()
        before = [revision for time, revision in held if datetime.fromisoformat(time) <= when]
        if not before:
            return None
        return self._one("WHERE interview = ? AND revision = ?", (interview_id, before[-1]))

    def __len__(self) -> int:
        return int(self._db.execute("SELECT count(DISTINCT interview) FROM rev").fetchone()[0])

    def _one(self, where: str, args: tuple[Any, ...]) -> Event | None:
        found = self._events(where, args)
        return found[0] if found else None

    def _events(self, where: str, args: tuple[Any, ...]) -> list[Event]:
        rows = self._db.execute(f"SELECT key, value, headers FROM rev {where}", args).fetchall()
        return [decode(value, [(k, v.encode()) for k, v in json.loads(h)], key) for key, value, h in rows]


_INPUT_SEQUENCE = re.compile(rb'"input_sequence":([0-9]+)[,}]')
"""Where canonical JSON (keys sorted, no spaces) of a revision holds its input sequence."""


def _row(record: Any) -> tuple[Any, ...]:
    """What a query selects by, read from the record without decoding it through the models."""
    headers = [(k, v.decode("utf-8", "replace")) for k, v in record.headers or []]
    attrs = dict(headers)
    found = _INPUT_SEQUENCE.search(record.value) if record.value else None
    if found is not None:
        input_sequence = int(found[1])
    else:  # not in the canonical form we write: parse it
        input_sequence = json.loads(record.value).get("input_sequence", 0) if record.value else 0
    return (
        attrs.get("ce_subject", ""), int(attrs.get("ce_sequence", "0")), input_sequence,
        attrs.get("ce_time", "").replace("Z", "+00:00"), record.key, record.value, json.dumps(headers),
    )  # fmt: skip


def open_store(directory: Path, topic: str) -> VerdictStore:
    """The query store of ``topic`` in ``directory`` (a private file when another process holds it)."""
    return VerdictStore(exclusive_file(directory, f"{topic}-query.sqlite"))


class FedStore(Protocol):
    """What a feed writes to: records, and how far each partition was read (per source topic)."""

    def add_records(self, records: list[Any]) -> None: ...
    def forget_if_ahead(self, ends: dict[int, int], source: str = "") -> bool: ...
    def position(self, partition: int, source: str = "") -> int: ...
    def read_to(self, partition: int, offset: int, source: str = "") -> None: ...


class FeedTarget:
    """One store fed by a ``FanoutFeed``: its own position per partition and its own ``caught_up``."""

    def __init__(self, store: FedStore, source: str = "") -> None:
        self.store, self.source = store, source
        self.caught_up = asyncio.Event()
        self.positions: dict[int, int] = {}

    def start(self, ends: dict[int, int], topic: str) -> None:
        """Empty the store if it is ahead of the topic, then remember where it stopped."""
        if self.store.forget_if_ahead(ends, self.source):
            log.warning("read model ahead of its topic (recreated?); reading afresh", topic=topic)
        self.positions = {p: self.store.position(p, self.source) for p in ends}

    def add(self, partition: int, records: list[Any]) -> None:
        """Keep the records this store has not read yet (those below its position it holds already)."""
        held = self.positions[partition]
        mine = records if records[0].offset >= held else [r for r in records if r.offset >= held]
        if mine:
            self.store.add_records(mine)

    def advance(self, partition: int, position: int) -> None:
        """The consumer passed ``position`` (markers included): store it if it moved this store on."""
        if position > self.positions[partition]:
            self.store.read_to(partition, position, self.source)
            self.positions[partition] = position


class FanoutFeed:
    """Tails all of a topic once into several stores, each from its own position (ADR 0016).

    The consumer starts at the lowest position of any store; a store is handed only the records at or
    past its own position, so a store that is ahead is never fed twice. Each target's ``caught_up`` is
    set once it has read the end of every partition as it was at start.
    """

    def __init__(self, client: dict[str, Any], topic: str, targets: list[FeedTarget]) -> None:
        self.client, self.topic, self.targets = client, topic, targets
        self.read = 0
        """Records read since start (logged when caught up; a metric of the query role)."""

    async def run(self) -> None:
        """Read from where the furthest-behind store stopped, forever (cancel to stop)."""
        consumer = reader(self.client)
        await consumer.start()
        began = time.monotonic()
        try:
            tps = [TopicPartition(self.topic, p) for p in await partitions_of(self.client, self.topic)]
            consumer.assign(tps)
            ends = {tp.partition: end for tp, end in (await consumer.end_offsets(tps)).items()}
            for target in self.targets:
                target.start(ends, self.topic)
            for tp in tps:
                consumer.seek(tp, min(t.positions[tp.partition] for t in self.targets))
            while True:
                batches = await consumer.getmany(timeout_ms=200, max_records=2000)
                for tp, records in batches.items():
                    for target in self.targets:
                        target.add(tp.partition, records)
                    self.read += len(records)
                for tp in tps:
                    position = await consumer.position(tp)
                    for target in self.targets:
                        target.advance(tp.partition, position)
                self._note_caught_up(ends, began)
        finally:
            await consumer.stop()

    def _note_caught_up(self, ends: dict[int, int], began: float) -> None:
        for target in self.targets:
            if not target.caught_up.is_set() and all(target.positions[p] >= end for p, end in ends.items()):
                target.caught_up.set()
                log.info("read model caught up", topic=self.topic, source=target.source or None,
                         store=type(target.store).__name__, records=self.read,
                         seconds=round(time.monotonic() - began, 3))  # fmt: skip


class StoreFeed(FanoutFeed):
    """Tails all of a topic into one store; ``caught_up`` once the end at start is read.

    ``source`` names the topic in the store's offsets when the store is fed from more than one.
    """

    def __init__(self, client: dict[str, Any], topic: str, store: FedStore, source: str = "") -> None:
        self.target = FeedTarget(store, source)
        super().__init__(client, topic, [self.target])
        self.store, self.source = store, source

    @property
    def caught_up(self) -> asyncio.Event:
        """Set once the store has read the end of every partition as it was at start."""
        return self.target.caught_up
