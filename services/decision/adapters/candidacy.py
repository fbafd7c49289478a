"""The candidacy processor's partition handler: round verdict revisions in, candidacy revisions out.

Input: ``decision.candidacy-rounds`` (the decision service's own verdict revisions, repartitioned by
candidacy id in the transaction that published them; ADR 0012). Each owned partition's candidacies live
in a ``PartitionStore`` whose changes go to the compacted ``decision.candidacy-state`` changelog in the
same transaction as the candidacy revisions and the input offsets. When that changelog is empty the
partition's state is refolded from the repartition topic up to the group's committed offset (the fold
is deterministic, so it reproduces what was published, and publishes nothing).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import structlog
from aiokafka import TopicPartition

from schemas.codec import decode, encode
from schemas.common import Outcome
from schemas.decision import CandidacyVerdictChanged, VerdictChanged
from schemas.envelope import Event
from schemas.topics import Topics
from services.decision.adapters.rebuild import committed_offset
from services.decision.domain.candidacy.revisions import (
    CandidacyPublished,
    CandidacyState,
    step,
    verdict_of,
)
from services.decision.domain.candidacy.rounds import RoundInput
from services.platform.eos import MAX_RECORD_BYTES, OutRecord, Record, record_bytes
from services.platform.log_reader import read_partition
from services.platform.state import PartitionStore, default_state_dir

log = structlog.get_logger(__name__)

STATE_FORMAT = "candidacy/1"
CANDIDACY = "c:"
"""Key prefix of a candidacy's state: ``c:<candidacy id>``."""
ROUND_HEADER, OUTCOME_HEADER = "cy_round", "cy_outcome"


def round_input(record: Any) -> RoundInput:
    """A ``decision.candidacy-rounds`` record back as the round verdict revision it carries."""
    extra = {k: v.decode() for k, v in record.headers or [] if k in (ROUND_HEADER, OUTCOME_HEADER)}
    headers = [(k, v) for k, v in record.headers or [] if k not in (ROUND_HEADER, OUTCOME_HEADER)]
    event = decode(record.value, headers)
    return round_of(event, extra.get(ROUND_HEADER, ""), extra.get(OUTCOME_HEADER) or None)


def round_of(event: Event, round_name: str, outcome: str | None) -> RoundInput:
    """A verdict revision (as published) with its interview's round and outcome."""
    if not isinstance(event.data, VerdictChanged):
        raise TypeError(f"{event.attributes.type} is not a verdict revision")
    a = event.attributes
    return RoundInput(
        a.subject, round_name, Outcome(outcome) if outcome else None, a.id, event.chain_hash, a.time,
        a.correlationid, event.data,
    )  # fmt: skip


def dump_state(state: CandidacyState) -> bytes:
    """A candidacy's state as compact JSON (its rounds' revisions and its last published revision)."""
    doc: dict[str, Any] = {
        "r": [[r.interview_id, r.round, r.outcome.value if r.outcome else None, r.event_id, r.chain_hash,
               r.time.isoformat(), r.correlationid, r.verdict.model_dump(mode="json")] for r in state.rounds],
    }  # fmt: skip
    if state.published is not None:
        p = state.published
        v = p.verdict
        doc["t"] = p.time.isoformat() if p.time else None
        doc["p"] = [p.revision, p.chain_hash, {
            "rounds": [x.model_dump(mode="json") for x in v.rounds], "status": v.status.value,
            "company": v.company.model_dump(mode="json"), "candidate": v.candidate.model_dump(mode="json"),
            "mutual": v.mutual.value, "signals": [s.model_dump(mode="json") for s in v.signals],
        }]  # fmt: skip
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()


def load_state(value: bytes) -> CandidacyState:
    """A candidacy's state back from ``dump_state``."""
    doc = json.loads(value)
    rounds = tuple(
        RoundInput(i, rd, Outcome(o) if o else None, e, h, datetime.fromisoformat(t), c,
                   VerdictChanged.model_validate(v))
        for i, rd, o, e, h, t, c, v in doc["r"]
    )  # fmt: skip
    published = None
    if "p" in doc:
        revision, chain_hash, v = doc["p"]
        data = CandidacyVerdictChanged.model_validate({
            **v, "candidacy_id": "x", "revision": revision, "policy_version": "candidacy-v1", "cause": "x",
            "input_hash": chain_hash,
        })  # fmt: skip
        time = datetime.fromisoformat(doc["t"]) if doc.get("t") else None
        published = CandidacyPublished(revision, chain_hash, verdict_of(data), time)
    return CandidacyState(rounds, published)


class CandidacyHandler:
    """Steps each owned partition's candidacies; outputs and state changes go through the transaction."""

    def __init__(
        self, client: dict[str, Any], topics: Topics, group: str, state_dir: Path | None = None
    ) -> None:
        self.client, self.topics, self.group = client, topics, group
        self._state_dir = state_dir or default_state_dir()
        self.stores: dict[int, PartitionStore] = {}
        self.batch: dict[int, Counter[str]] = {}

    async def assigned(self, partition: int) -> None:
        """Restore from the changelog; refold from the repartition topic when the changelog is empty."""
        began = time.monotonic()
        store = PartitionStore(self._state_dir, self.topics.candidacy_state, partition, STATE_FORMAT)
        try:
            restored = await store.restore(self.client)
            if restored.keys == 0:
                await self._refold(store, partition)
        except BaseException:
            store.close()
            raise
        self.stores[partition] = store
        log.info("candidacy partition restored", partition=partition, keys=restored.keys,
                 seconds=round(time.monotonic() - began, 3))  # fmt: skip

    async def _refold(self, store: PartitionStore, partition: int) -> None:
        """State from the inputs already consumed (offsets committed), without publishing anything."""
        topic = self.topics.candidacy_rounds
        end = await committed_offset(self.client, self.group, topic, partition)
        states: dict[str, CandidacyState] = {}
        async for record in read_partition(self.client, topic, partition, 0, end):
            item = round_input(record)
            states[item.candidacy_id], _ = step(states.get(item.candidacy_id, CandidacyState()), item)
        for key, state in states.items():
            store.put(CANDIDACY + key, dump_state(state))
        if states:
            log.info(
                "candidacy partition refolded from its inputs", partition=partition, candidacies=len(states)
            )

    def revoked(self, partition: int) -> None:
        """Close the partition's store; its next owner restores it."""
        store = self.stores.pop(partition, None)
        if store is not None:
            store.close()

    def committed(self, partition: int, produced: Mapping[TopicPartition, int]) -> None:
        """The store takes the batch's writes once its transaction committed."""
        store = self.stores.get(partition)
        if store is not None:
            store.commit(produced.get(TopicPartition(self.topics.candidacy_state, partition)))

    def owes(self, partition: int) -> bool:
        """State refolded at a restore waits for a transaction to reach the changelog."""
        store = self.stores.get(partition)
        return store is not None and store.dirty

    async def handle(self, partition: int, records: list[Record]) -> list[OutRecord]:
        """Step every record; candidacy revisions to ``decision.candidacies`` with the state changes."""
        store = self.stores[partition]
        out: list[OutRecord] = []
        states: dict[str, CandidacyState] = {}
        counts: Counter[str] = Counter()
        for record in records:
            item = round_input(record)
            key = item.candidacy_id
            if key not in states:
                value = store.get(CANDIDACY + key)
                states[key] = load_state(value) if value is not None else CandidacyState()
            after, revision = step(states[key], item)
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
            states[key] = after
        for key, state in states.items():
            store.put(CANDIDACY + key, dump_state(state))
        self.batch[partition] = counts
        return [*out, *store.changelog()]
