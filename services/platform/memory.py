"""Process-wide memory settings for the stream processors' hot loops."""

from __future__ import annotations

import gc

YOUNG_COLLECTION_THRESHOLD = 10_000
"""Allocations between two young-generation collections (CPython's default is 700)."""


def tune_gc() -> None:
    """Collect the young generation every 10,000 allocations instead of every 700 (ADR 0017).

    A projected event allocates a few hundred short-lived objects (decoded event, projection, verdict,
    revision); at the default threshold the collector runs every few events and re-examines the
    survivors of each, which cost the verdict projection about 40 % of its CPU per event
    (docs/benchmarks.md). Cycles are still collected; garbage waits at most 10,000 allocations longer.
    Idempotent; never lowers a threshold set higher by the operator.
    """
    young, middle, old = gc.get_threshold()
    if young < YOUNG_COLLECTION_THRESHOLD:
        gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, middle, old)
