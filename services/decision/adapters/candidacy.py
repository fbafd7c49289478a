"""The candidacy processor's partition handler: round verdict revisions in, candidacy revisions out.

Input: ``decision.candidacy-rounds`` (the decision service's own verdict revisions, repartitioned by
candidacy id in the transaction that published them; ADR 0012). Each owned partition's candidacies live
in a ``PartitionStore`` whose changes go to the compacted ``decision.candidacy-state`` changelog in the
same transaction as the candidacy revisions and the input offsets. When that changelog is empty the
partition's state is refolded from the repartition topic up to the group's committed offset (the fold
is deterministic, so it reproduces what was published, and publishes nothing).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import structlog
from aiokafka import TopicPartition

from schemas.codec import decode, encode
from schemas.common import Outcome
from schemas.decision import VerdictChanged
from schemas.envelope import Event
from schemas.topics import Topics
from services.decision.adapters.candidacy_state import (
    LEGACY,
    load_legacy,
    round_prefix,
    state_from_rounds,
    state_values,
)
from services.decision.adapters.rebuild import committed_offset
from services.decision.adapters.round_format import FORMAT_HEADER, MalformedRoundError, decode_round
from services.decision.domain.candidacy.revisions import CandidacyState, step
from services.decision.domain.candidacy.rounds import RoundInput, round_verdict
from services.decision.domain.candidacy.versions import PolicyChoice
from services.platform.cache import StateCache
from services.platform.eos import MAX_RECORD_BYTES, OutRecord, Record, record_bytes
from services.platform.log_reader import read_partition
from services.platform.state import PartitionStore, default_state_dir

log = structlog.get_logger(__name__)

STATE_FORMAT = "candidacy/1"
"""The store file's format marker: its values say their own version (``candidacy_state``), both read."""
CACHED_CANDIDACIES = 2048
"""Decoded states kept per owned partition (a candidacy's rounds arrive close together)."""
ROUND_HEADER, OUTCOME_HEADER = "cy_round", "cy_outcome"
"""Headers of a format-1 round record (ADR 0012), still read."""


def is_format_2(record: Any) -> bool:
    """Whether a ``decision.candidacy-rounds`` record is a format-2 round."""
    return any(k == FORMAT_HEADER and v == b"2" for k, v in record.headers or [])


def round_input(record: Any) -> RoundInput:
    """A ``decision.candidacy-rounds`` record (format 2, or 1 as written before ADR 0018) as its round."""
    try:
        headers = record.headers or []
        version = next((v for k, v in headers if k == FORMAT_HEADER), None)
        if version == b"2":
            return decode_round(record.value)
        if version is not None:
            raise MalformedRoundError(f"unknown round format {version!r}")
        return _format_1(record.value, headers)
    except Exception as exc:  # an internal topic: a record we cannot read stops the partition, loudly
        where = f"{getattr(record, 'topic', '?')}[{getattr(record, 'partition', '?')}]@{record.offset}"
        raise MalformedRoundError(f"{where}: {exc}") from exc


def _format_1(value: bytes, headers: list[tuple[str, bytes]]) -> RoundInput:
    """A full copy of the revision's record with the round and outcome in ``cy_*`` headers."""
    extra = {k: v.decode() for k, v in headers if k in (ROUND_HEADER, OUTCOME_HEADER)}
    if ROUND_HEADER not in extra:
        raise MalformedRoundError("neither a cy_format header nor a format-1 cy_round header")
    event = decode(value, [(k, v) for k, v in headers if k not in (ROUND_HEADER, OUTCOME_HEADER)])
    return round_of(event, extra[ROUND_HEADER], extra.get(OUTCOME_HEADER) or None)


def round_of(event: Event, round_name: str, outcome: str | None) -> RoundInput:
    """A verdict revision (as published) with its interview's round and outcome."""
    if not isinstance(event.data, VerdictChanged):
        raise TypeError(f"{event.attributes.type} is not a verdict revision")
    a = event.attributes
    return RoundInput(
        a.subject, round_name, Outcome(outcome) if outcome else None, a.id, event.chain_hash, a.time,
        a.correlationid, round_verdict(event.data),
    )  # fmt: skip


class CandidacyHandler:
    """Steps each owned partition's candidacies; outputs and state changes go through the transaction."""

    def __init__(
        self,
        client: dict[str, Any],
        topics: Topics,
        group: str,
        state_dir: Path | None = None,
        choice: PolicyChoice = PolicyChoice(),
    ) -> None:
        self.client, self.topics, self.group, self.choice = client, topics, group, choice
        self._state_dir = state_dir or default_state_dir()
        self.stores: dict[int, PartitionStore] = {}
        self.batch: dict[int, Counter[str]] = {}
        # Committed states already decoded, per owned partition (most recently used last): a state is
        # loaded (decoded, its verdict evaluated) once, not once per batch. Dropped with the partition,
        # which the engine also does when a transaction fails, so it never holds an aborted state.
        self._cache: dict[int, StateCache[CandidacyState]] = {}
        self._pending: dict[int, dict[str, CandidacyState]] = {}

    async def assigned(self, partition: int) -> None:
        """Restore from the changelog; refold from the repartition topic when the changelog is empty."""
        began = time.monotonic()
        store = PartitionStore(self._state_dir, self.topics.candidacy_state, partition, STATE_FORMAT)
        try:
            restored = await store.restore(self.client)
            refolded = await self._refold(store, partition) if restored.keys == 0 else {}
        except BaseException:
            store.close()
            raise
        self.stores[partition] = store
        # Refolded states wait in the store's buffer for a transaction: the cache pins them until then
        # (its bound applies at the first commit, when they are in the store).
        cache: StateCache[CandidacyState] = StateCache(CACHED_CANDIDACIES)
        for key, state in refolded.items():
            cache.put(key, state, dirty=True)
        self._cache[partition] = cache
        log.info("candidacy partition restored", partition=partition, keys=restored.keys,
                 seconds=round(time.monotonic() - began, 3))  # fmt: skip

    async def _refold(self, store: PartitionStore, partition: int) -> dict[str, CandidacyState]:
        """State from the inputs already consumed (offsets committed), without publishing anything."""
        topic = self.topics.candidacy_rounds
        end = await committed_offset(self.client, self.group, topic, partition)
        states: dict[str, CandidacyState] = {}
        async for record in read_partition(self.client, topic, partition, 0, end):
            item = round_input(record)
            state = states.get(item.candidacy_id) or CandidacyState(policy=self.choice.for_first(item))
            states[item.candidacy_id], _ = step(state, item)
        for state in states.values():
            for key, value in state_values(state, {r.interview_id for r in state.rounds}, {}).items():
                store.put(key, value)
        if states:
            log.info(
                "candidacy partition refolded from its inputs", partition=partition, candidacies=len(states)
            )
        return states

    def revoked(self, partition: int) -> None:
        """Close the partition's store; its next owner restores it."""
        store = self.stores.pop(partition, None)
        self._cache.pop(partition, None)
        self._pending.pop(partition, None)
        if store is not None:
            store.close()

    def committed(self, partition: int, produced: Mapping[TopicPartition, int]) -> None:
        """The store takes the batch's writes once its transaction committed."""
        store = self.stores.get(partition)
        if store is not None:
            store.commit(produced.get(TopicPartition(self.topics.candidacy_state, partition)))
        cache = self._cache.setdefault(partition, StateCache(CACHED_CANDIDACIES))
        for key, state in self._pending.pop(partition, {}).items():
            cache.put(key, state)
        cache.flush()  # refolded states are in the store now: unpinned

    def owes(self, partition: int) -> bool:
        """State refolded at a restore waits for a transaction to reach the changelog."""
        store = self.stores.get(partition)
        return store is not None and store.dirty

    async def handle(self, partition: int, records: list[Record]) -> list[OutRecord]:
        """Step every record; candidacy revisions to ``decision.candidacies`` with the rounds changed."""
        out: list[OutRecord] = []
        batch = _Batch()
        counts: Counter[str] = Counter()
        for record in records:
            item = round_input(record)
            key = item.candidacy_id
            if key not in batch.states:
                batch.states[key], legacy = self._state(partition, key, item)
                if legacy:
                    batch.legacy.add(key)
            after, revision = step(batch.states[key], item)
            counts["rounds"] += 1
            if revision is not None:
                encoded = encode(revision)
                record_out = OutRecord(self.topics.candidacies, encoded.key, encoded.value, encoded.headers)
                if (size := record_bytes(record_out)) > MAX_RECORD_BYTES:  # never wedge the partition
                    log.error("candidacy revision too large; round input left out", candidacy=key,
                              interview=item.interview_id, revision=item.revision, bytes=size)  # fmt: skip
                    counts["too_large"] += 1
                    continue
                counts["revisions"] += 1
                out.append(record_out)
            if after is not batch.states[key]:  # a replayed or older round changes nothing: no write
                batch.took(after, item, record)
        store = self.stores[partition]
        for key, value in batch.values().items():
            store.put(key, value)
        self._pending[partition] = {key: batch.states[key] for key in batch.changed}
        self.batch[partition] = counts
        return [*out, *store.changelog()]

    def _state(self, partition: int, key: str, item: RoundInput) -> tuple[CandidacyState, bool]:
        """The candidacy's committed state (cached, else from the store, else empty); True if version 1."""
        cache = self._cache.get(partition)
        if cache is not None and (cached := cache.get(key)) is not None:
            return cached, False
        store = self.stores[partition]
        rounds = [value for _, value in store.items(round_prefix(key))]
        if rounds:
            return state_from_rounds(rounds), False
        legacy = store.get(LEGACY + key)
        if legacy is not None:
            return load_legacy(legacy), True
        return CandidacyState(policy=self.choice.for_first(item)), False  # a new candidacy


class _Batch:
    """One batch's candidacies: their states, the rounds each took, which were stored as version 1."""

    def __init__(self) -> None:
        self.states: dict[str, CandidacyState] = {}
        self.changed: dict[str, set[str]] = {}
        self.received: dict[str, dict[str, tuple[RoundInput, bytes]]] = {}
        self.legacy: set[str] = set()

    def took(self, state: CandidacyState, item: RoundInput, record: Any) -> None:
        """``item`` changed its candidacy's state to ``state``."""
        key = item.candidacy_id
        self.states[key] = state
        self.changed.setdefault(key, set()).add(item.interview_id)
        if is_format_2(record):  # its bytes are the round's stored form as they are
            self.received.setdefault(key, {})[item.interview_id] = (item, record.value)

    def values(self) -> dict[str, bytes | None]:
        """Store writes: the rounds changed (every round of a version-1 candidacy, whose key goes)."""
        out: dict[str, bytes | None] = {}
        for key, interviews in self.changed.items():
            state = self.states[key]
            if key in self.legacy:
                interviews = {r.interview_id for r in state.rounds}
                out[LEGACY + key] = None
            out.update(state_values(state, interviews, self.received.get(key, {})))
        return out
