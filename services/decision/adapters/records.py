"""Kafka records <-> decision domain: decode inputs, encode revisions, dead-letter and release records."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from schemas.codec import encode
from schemas.decision import VerdictChanged
from schemas.dlq import POISON, RETRY, SKIP, DlqEntry, parse, without_dlq_headers
from schemas.envelope import Event
from schemas.interview import InterviewOpened
from schemas.topics import Topics
from services.decision.adapters.round_format import FORMAT_2, encode_round
from services.decision.domain.candidacy.rounds import RoundInput, round_verdict
from services.decision.domain.dlq import as_input
from services.decision.domain.projection import Projection
from services.decision.domain.revisions import Poison
from services.platform.eos import OutRecord


def input_of(record: Any) -> Event | Poison:
    """A consumed ``interview.events`` record as a domain input; anything not decodable becomes ``Poison``.

    Its chain hash comes from the writer's hash header when the record has one (ADR 0017).
    """
    return as_input(record.key, record.value, record.headers or [], record.offset, trust_hash=True)


def revision_records(event: Event, topics: Topics, partition: int) -> list[OutRecord]:
    """A revision on ``decision.events`` and, as the latest verdict, on compacted ``decision.verdicts``."""
    record = encode(event)
    return [
        OutRecord(topics.decision_events, record.key, record.value, record.headers, partition),
        OutRecord(topics.verdicts, record.key, record.value, record.headers, partition),
    ]


def round_record(event: Event, projection: Projection | None, topics: Topics) -> list[OutRecord]:
    """The revision's round, repartitioned by candidacy id for the candidacy projection (ADR 0012, 0018).

    Written in the transaction that publishes the revision: what ``candidacy-v1`` reads and cites of it,
    its stored hash (this record's writer built the revision) and the interview's round and outcome
    (facts of its history at the revision's input sequence), as a format-2 round (``round_format``).
    """
    if projection is None or not isinstance(event.data, VerdictChanged):
        return []
    a = event.attributes
    item = RoundInput(a.subject, projection.round, projection.outcome, a.id, event.chain_hash, a.time,
                      a.correlationid, round_verdict(event.data))  # fmt: skip
    key = event.data.candidacy_id.encode()
    return [OutRecord(topics.candidacy_rounds, key, encode_round(item), list(FORMAT_2))]


PARTICIPANTS_FORMAT = 1
"""Version of a ``decision.participants`` value (``v``): who may read an interview's verdicts."""


def participant_record(item: Event | Poison, topics: Topics, partition: int) -> list[OutRecord]:
    """For an applied ``interview.opened``: its candidacy, opener and participants (ADR 0015).

    Keyed by interview id on the compacted ``decision.participants``, in the transaction that applies
    the event, so the query side's participant store restores from one small record per interview.
    """
    if not isinstance(item, Event) or not isinstance(item.data, InterviewOpened):
        return []
    people = [[p.id, p.side.value] for p in item.data.participants]
    doc = {
        "v": PARTICIPANTS_FORMAT, "candidacy_id": item.data.candidacy_id,
        "opened_by": item.attributes.actorid, "participants": people,
    }  # fmt: skip
    value = json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()
    return [OutRecord(topics.participants, item.attributes.subject.encode(), value, [], partition)]


def dlq_record(record: Any, poison: Poison, topics: Topics) -> OutRecord:
    """The original record, unchanged, with headers naming the reason, the source offset and the interview."""
    word = DlqEntry(POISON, poison.code, poison.detail, record.topic, record.partition, record.offset,
                    poison.interview_id)  # fmt: skip
    headers = without_dlq_headers(record.headers or []) + word.headers()
    return OutRecord(topics.dlq, record.key or b"", record.value, headers, record.partition)


def release_record(entry: DlqEntry, topics: Topics, *, skip: bool) -> OutRecord:
    """An operator's decision about a parked record: retry it after a fix, or skip it (not a fact)."""
    word = replace(entry, kind=SKIP if skip else RETRY, reason="released by operator")
    return OutRecord(topics.dlq, entry.interview_id.encode(), None, word.headers(), entry.partition)


def dlq_entry(record: Any) -> DlqEntry | None:
    """A consumed DLQ record's word; None if it is not one of ours."""
    return parse(record.headers, record.offset)


def shadow_record(event: Event, topics: Topics, partition: int) -> OutRecord:
    """A shadow policy's revision on ``decision.shadow`` only (ADR 0024): never on decision.events,
    decision.verdicts or the candidacy repartition, so their consumers see nothing new."""
    record = encode(event)
    return OutRecord(topics.shadow, record.key, record.value, record.headers, partition)
