"""The one in-memory cache the stream handlers keep in front of a partition's store.

Decoding a state costs far more than looking it up, so each handler keeps the states it used last per
owned partition. The store on disk holds them all; the cache is bounded. A key changed in the current
transaction is *dirty*: it is pinned (never evicted) until ``flush`` hands it over to be written, so a
batch never loses a change it has not written yet.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Generic, TypeVar

V = TypeVar("V")


class StateCache(Generic[V]):
    """An LRU of decoded values (most recently used last); dirty keys are pinned until flushed."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._values: OrderedDict[str, V] = OrderedDict()
        self._dirty: set[str] = set()

    def __len__(self) -> int:
        return len(self._values)

    def __contains__(self, key: object) -> bool:
        return key in self._values

    @property
    def dirty(self) -> bool:
        """Whether some change waits for ``flush``."""
        return bool(self._dirty)

    def get(self, key: str) -> V | None:
        """The value held for ``key`` (now the most recently used), or None."""
        value = self._values.get(key)
        if value is not None:
            self._values.move_to_end(key)
        return value

    def put(self, key: str, value: V, *, dirty: bool = False) -> None:
        """Hold ``value`` for ``key``; ``dirty`` pins it until the next ``flush``."""
        self._values[key] = value
        self._values.move_to_end(key)
        if dirty:
            self._dirty.add(key)
        self._trim()

    def flush(self) -> list[tuple[str, V]]:
        """The dirty entries (to be written), now unpinned; the cache shrinks back to its bound."""
        changed = [(key, self._values[key]) for key in self._dirty]
        self._dirty.clear()
        self._trim()
        return changed

    def _trim(self) -> None:
        while len(self._values) > self.capacity:
            oldest = next(iter(self._values))
            if oldest in self._dirty:
                break  # the batch still needs it: the cache shrinks after the flush
            self._values.popitem(last=False)
