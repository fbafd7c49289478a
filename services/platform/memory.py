"""Process-wide memory settings for the stream processors' hot loops."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

YOUNG_COLLECTION_THRESHOLD = 10_000
"""Allocations between two young-generation collections while a processor runs (CPython's default: 700).

A projected event allocates a few hundred short-lived objects (decoded event, projection, verdict,
revision); at the default threshold the collector runs every few events and re-examines the survivors
of each, which cost the verdict projection about 40 % of its CPU per event (docs/benchmarks.md, ADR
0017). Cycles are still collected; garbage waits at most 10,000 allocations longer.
"""


@contextlib.contextmanager
def young_gc_threshold() -> Iterator[None]:
    """``YOUNG_COLLECTION_THRESHOLD`` while a processor runs (never lowering a higher one), the previous
    thresholds after."""
    threshold = gc.get_threshold()
    gc.set_threshold(max(threshold[0], YOUNG_COLLECTION_THRESHOLD), *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
