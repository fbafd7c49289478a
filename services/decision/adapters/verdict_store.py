"""The query side: every published revision in memory, fed by tailing ``decision.events`` (read_committed)."""

from __future__ import annotations

import asyncio
import bisect
import re
from datetime import datetime, timedelta
from typing import Any

import structlog
from aiokafka import TopicPartition
from pydantic import AwareDatetime, TypeAdapter

from schemas.codec import ContractError, decode
from schemas.decision import VerdictChanged
from schemas.envelope import Event
from services.platform.log_reader import partitions_of, reader

log = structlog.get_logger(__name__)


class VerdictStore:
    """Revisions per interview in revision order; answers current, as-of-sequence and as-of-time."""

    def __init__(self) -> None:
        self._revisions: dict[str, list[Event]] = {}

    def add(self, event: Event) -> None:
        """Keep a revision (a revision already held is ignored)."""
        held = self._revisions.setdefault(event.attributes.subject, [])
        if event.attributes.sequence == len(held) + 1:
            held.append(event)

    def revisions(self, interview_id: str) -> list[Event]:
        """All revisions of an interview, oldest first."""
        return list(self._revisions.get(interview_id, []))

    def current(self, interview_id: str) -> Event | None:
        """The latest revision."""
        held = self._revisions.get(interview_id)
        return held[-1] if held else None

    def as_of_sequence(self, interview_id: str, sequence: int) -> Event | None:
        """The revision in force after interview event ``sequence`` was applied."""
        held = self._revisions.get(interview_id, [])
        inputs = [_data(e).input_sequence for e in held]
        index = bisect.bisect_right(inputs, sequence)
        return held[index - 1] if index else None

    def as_of_time(self, interview_id: str, when: datetime) -> Event | None:
        """The revision in force at ``when`` (revisions carry their cause's time)."""
        held = self._revisions.get(interview_id, [])
        index = bisect.bisect_right([e.attributes.time for e in held], when)
        return held[index - 1] if index else None

    def __len__(self) -> int:
        return len(self._revisions)


def _data(event: Event) -> VerdictChanged:
    assert isinstance(event.data, VerdictChanged)
    return event.data


_DECODED_UTC = type(TypeAdapter(AwareDatetime).validate_python("2000-01-01T00:00:00Z").tzinfo)
"""The tzinfo class decoding gives a ``Z`` time."""
_ZERO = re.compile(rb"[:,\[]0[,\]}]")
"""A number ``0`` in canonical JSON: how a float ``-0.0`` is written (it decodes as ``0.0``)."""


class Handoff:
    """Revisions this process built and publishes, so the feed need not decode them when it reads them back.

    The feed reads each revision back from ``decision.events`` (read_committed: only committed ones) and
    would decode its bytes. When those bytes are exactly the ones encoded from an event built here (same
    key, value and headers), decoding them gives back an equal event, so the feed takes that event instead.
    Only events for which that holds field for field are offered: the time in UTC with the tzinfo class
    decoding gives, and no number ``0`` in the data (``-0.0`` is written ``0`` and would read back as
    ``0.0``). Everything else, and anything not offered, is decoded as before.
    """

    def __init__(self, limit: int = 100_000) -> None:
        self._held: dict[bytes, tuple[Event, bytes, list[tuple[str, bytes]]]] = {}
        self._limit = limit

    def offer(self, event: Event, key: bytes, value: bytes | None, headers: list[tuple[str, bytes]]) -> None:
        """An event about to be produced as (key, value, headers) on ``decision.events``."""
        time = event.attributes.time
        if value is None or type(time.tzinfo) is not _DECODED_UTC or time.utcoffset() != timedelta(0):
            return
        if _ZERO.search(value) is not None:
            return
        if len(self._held) >= self._limit:  # left by aborted transactions whose partition moved away
            self._held.clear()
        self._held[value] = (event, key, headers)

    def take(self, record: Any) -> Event | None:
        """The event offered for exactly this record's key, value and headers, if any (taken once)."""
        held = self._held.pop(record.value, None) if record.value is not None else None
        if held is None:
            return None
        event, key, headers = held
        if record.key != key or list(record.headers or []) != headers:
            return None
        return event


class StoreFeed:
    """Tails all of ``decision.events`` into a store; ``caught_up`` once the end at start is read."""

    def __init__(
        self, client: dict[str, Any], topic: str, store: VerdictStore, handoff: Handoff | None = None
    ) -> None:
        self.client, self.topic, self.store = client, topic, store
        self.handoff = handoff or Handoff()
        self.caught_up = asyncio.Event()

    async def run(self) -> None:
        """Read from the beginning, forever (cancel to stop)."""
        consumer = reader(self.client)
        await consumer.start()
        try:
            tps = [TopicPartition(self.topic, p) for p in await partitions_of(self.client, self.topic)]
            consumer.assign(tps)
            await consumer.seek_to_beginning(*tps)
            ends = await consumer.end_offsets(tps)
            while True:
                batches = await consumer.getmany(timeout_ms=200, max_records=2000)
                for records in batches.values():
                    self._add(records)
                if not self.caught_up.is_set() and all(
                    [await consumer.position(tp) >= ends[tp] for tp in tps]
                ):
                    self.caught_up.set()
        finally:
            await consumer.stop()

    def _add(self, records: list[Any]) -> None:
        take = self.handoff.take
        for record in records:
            event = take(record)
            if event is not None:
                self.store.add(event)
                continue
            try:
                self.store.add(decode(record.value, record.headers, record.key))
            except ContractError as exc:
                log.error("unreadable revision", offset=record.offset, error=str(exc))
