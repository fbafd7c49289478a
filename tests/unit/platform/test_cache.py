"""The partition state cache: bounded LRU, and a dirty key never evicted before it is flushed."""

from __future__ import annotations

from services.platform.cache import StateCache


def test_evicts_the_least_recently_used_clean_key() -> None:
    cache: StateCache[int] = StateCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # now "b" is the oldest
    cache.put("c", 3)
    assert "b" not in cache
    assert (cache.get("a"), cache.get("c"), len(cache)) == (1, 3, 2)


def test_a_dirty_key_is_pinned_until_flushed_then_the_cache_shrinks() -> None:
    cache: StateCache[int] = StateCache(2)
    cache.put("a", 1, dirty=True)
    cache.put("b", 2)
    cache.put("c", 3)
    cache.put("d", 4)
    assert "a" in cache  # over the bound while "a" waits to be written
    assert len(cache) == 4
    assert cache.dirty
    assert cache.flush() == [("a", 1)]
    assert not cache.dirty
    assert len(cache) == 2
    assert "a" not in cache
    assert "d" in cache


def test_flush_returns_each_changed_key_once_with_its_latest_value() -> None:
    cache: StateCache[str] = StateCache(10)
    cache.put("x", "v1", dirty=True)
    cache.put("x", "v2", dirty=True)
    cache.put("y", "clean")
    assert cache.flush() == [("x", "v2")]
    assert cache.flush() == []
    assert cache.get("missing") is None
