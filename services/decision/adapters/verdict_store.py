"""The query side: every published revision in memory, fed by tailing ``decision.events`` (read_committed)."""

from __future__ import annotations

import asyncio
import bisect
from datetime import datetime
from typing import Any

import structlog
from aiokafka import TopicPartition

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


class StoreFeed:
    """Tails all of ``decision.events`` into a store; ``caught_up`` once the end at start is read."""

    def __init__(self, client: dict[str, Any], topic: str, store: VerdictStore) -> None:
        self.client, self.topic, self.store = client, topic, store
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
        for record in records:
            try:
                self.store.add(decode(record.value, record.headers, record.key))
            except ContractError as exc:
                log.error("unreadable revision", offset=record.offset, error=str(exc))
