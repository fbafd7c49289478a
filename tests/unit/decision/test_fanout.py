"""The fan-out feed's per-store bookkeeping, without a broker (ADR 0016)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from services.decision.adapters.verdict_store import FeedTarget


@dataclass
class Rec:
    """The parts of a consumer record a store reads."""

    offset: int
    value: bytes


@dataclass
class MemoryStore:
    """A ``FedStore`` in memory: the values it was given, its offsets, and how often it wrote them."""

    values: list[bytes] = field(default_factory=list)
    offsets: dict[str, int] = field(default_factory=dict)
    writes: int = 0

    def add_records(self, records: list[Any]) -> None:
        self.values += [r.value for r in records]

    def forget_if_ahead(self, ends: dict[int, int], source: str = "") -> bool:
        if all(self.position(p, source) <= end for p, end in ends.items()):
            return False
        self.values, self.offsets = [], {}
        return True

    def position(self, partition: int, source: str = "") -> int:
        return self.offsets.get(f"{source}.{partition}", 0)

    def read_to(self, partition: int, offset: int, source: str = "") -> None:
        self.offsets[f"{source}.{partition}"] = offset
        self.writes += 1


def test_a_store_gets_only_what_it_has_not_read() -> None:
    store = MemoryStore()
    store.read_to(0, 3)
    target = FeedTarget(store)
    target.start({0: 10, 1: 0}, "t")
    target.add(0, [Rec(n, bytes([n])) for n in range(5)])
    assert store.values == [bytes([3]), bytes([4])]
    target.add(0, [Rec(5, b"5")])
    assert store.values[-1] == b"5"


def test_offsets_are_written_only_when_the_position_moves() -> None:
    store = MemoryStore()
    target = FeedTarget(store, source="latest")
    target.start({0: 4}, "t")
    target.advance(0, 0)
    target.advance(0, 4)
    target.advance(0, 4)  # an empty poll
    target.advance(0, 2)  # a store ahead of the shared consumer never goes back
    assert (store.writes, store.position(0, "latest")) == (1, 4)


def test_a_store_ahead_of_a_recreated_topic_reads_afresh() -> None:
    store = MemoryStore(values=[b"old"])
    store.read_to(0, 50)
    target = FeedTarget(store)
    target.start({0: 5}, "t")
    assert store.values == []
    assert target.positions == {0: 0}
