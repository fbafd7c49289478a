"""verify on synthetic histories: clean passes; every kind of tampering is located precisely."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from schemas.chain import HASH_HEADER
from services.audit.domain.records import records_of
from services.audit.domain.report import Discrepancy, Kind
from services.audit.domain.verify import verify
from services.decision.domain.dlq import as_input
from services.decision.domain.replay import project
from tests.unit.audit.history import clean, drop, edit_data, index_of, sequence_of_data, swap


def kinds(found: tuple[Discrepancy, ...]) -> list[Kind]:
    return [d.kind for d in found]


def test_clean_history_has_no_discrepancy_and_every_revision_matches() -> None:
    events, decisions = clean()
    report = verify(events, decisions).report
    assert report.ok, report.discrepancies
    assert report.counts.interviews == 3
    assert report.counts.interview_events == len(events)
    assert report.counts.revisions_matched == report.counts.revisions_recomputed == len(decisions)


def test_edited_payload_breaks_the_chain_exactly_there_and_changes_the_verdicts() -> None:
    events, decisions = clean()
    sequence = sequence_of_data(events, "iv-a", "assessment_id", "c2")
    i = index_of(events, "iv-a", sequence)

    def downgrade(data: dict[str, Any]) -> None:
        data["rating"] = "strong_no"

    report = verify(edit_data(events, i, downgrade), decisions).report
    chain = [d for d in report.discrepancies if d.kind is Kind.CHAIN_BROKEN]
    assert len(chain) == 1
    assert (chain[0].interview, chain[0].sequence) == ("iv-a", sequence)
    assert (chain[0].partition, chain[0].offset) == (events[i].partition, events[i].offset)
    differs = [d for d in report.discrepancies if d.kind is Kind.REVISION_DIFFERS]
    assert differs
    assert {d.interview for d in differs} == {"iv-a"}
    paths = {c.path for d in differs for c in d.diff}
    assert "data.company.decision" in paths
    assert not report.ok


def test_dropped_event_is_a_gap_at_its_sequence_before_the_next_offset() -> None:
    events, decisions = clean()
    i = index_of(events, "iv-b", 4)
    report = verify(drop(events, i), decisions).report
    gaps = [d for d in report.discrepancies if d.kind is Kind.SEQUENCE_GAP]
    assert len(gaps) == 1
    nxt = events[index_of(events, "iv-b", 5)]
    assert (gaps[0].interview, gaps[0].sequence, gaps[0].offset) == ("iv-b", 4, nxt.offset)
    assert not any(d.kind is Kind.CHAIN_BROKEN for d in report.discrepancies)
    assert Kind.EXTRA_REVISION in kinds(report.discrepancies)  # revisions after the gap are unexplained


def test_reordered_events_are_out_of_order_at_the_later_sequence() -> None:
    events, decisions = clean()
    i, j = index_of(events, "iv-c", 6), index_of(events, "iv-c", 7)
    report = verify(swap(events, i, j), decisions).report
    found = [d for d in report.discrepancies if d.kind in (Kind.OUT_OF_ORDER, Kind.SEQUENCE_GAP)]
    assert [(d.kind, d.sequence, d.offset) for d in found] == [(Kind.OUT_OF_ORDER, 6, events[i].offset)]
    assert not any(d.kind is Kind.CHAIN_BROKEN for d in report.discrepancies)


def test_duplicate_event_is_reported() -> None:
    events, decisions = clean()
    i = index_of(events, "iv-a", 3)
    twice = [*events[: i + 1], replace(events[i], offset=999), *events[i + 1 :]]
    report = verify(twice, decisions).report
    dup = [d for d in report.discrepancies if d.kind is Kind.DUPLICATE_SEQUENCE]
    assert [(d.interview, d.sequence, d.offset) for d in dup] == [("iv-a", 3, 999)]


def test_edited_prevhash_of_first_event_is_not_genesis() -> None:
    events, decisions = clean()
    i = index_of(events, "iv-b", 1)
    events[i] = replace(events[i], attributes={**events[i].attributes, "prevhash": "1" * 64})
    report = verify(events, decisions).report
    chain = [d for d in report.discrepancies if d.kind is Kind.CHAIN_BROKEN]
    # the genesis link and the link to sequence 2 both break, and both point at sequence 1
    assert [(d.interview, d.sequence) for d in chain] == [("iv-b", 1), ("iv-b", 1)]


def test_undecodable_record_is_reported_with_its_offset_and_parks_the_interview() -> None:
    events, decisions = clean()
    i = index_of(events, "iv-a", 5)
    events[i] = replace(events[i], value=b"{not json")
    report = verify(events, decisions).report
    bad = [d for d in report.discrepancies if d.kind is Kind.UNDECODABLE]
    assert [(d.interview, d.sequence, d.offset) for d in bad] == [("iv-a", 5, events[i].offset)]
    assert "malformed_json" in bad[0].detail


def test_a_lying_hash_header_is_caught_because_verify_recomputes() -> None:
    events, decisions = clean()
    revised = next(r for r in decisions if r.subject() == "iv-a" and r.attributes["sequence"].endswith("2"))
    sequence = json.loads(revised.value or b"{}")["input_sequence"]
    i = index_of(events, "iv-a", sequence)
    lie = "f" * 64
    events[i] = replace(events[i], headers=((HASH_HEADER, lie),))
    # The decision service takes an input's hash from the header: its revision cites the lie.
    consumed = [r.as_consumed() for r in events]
    trusting = project([as_input(c.key, c.value, c.headers, c.offset, trust_hash=True) for c in consumed])
    assert [r.data.input_hash for r in trusting if r.data.input_hash == lie] == [lie]
    report = verify(events, records_of(trusting)).report
    differs = [d for d in report.discrepancies if d.kind is Kind.REVISION_DIFFERS]
    assert {d.interview for d in differs} == {"iv-a"}  # that revision, and the chain of those after it
    assert "data.input_hash" in {c.path for d in differs for c in d.diff}
    assert not report.ok
    assert verify(events, decisions).report.ok  # the header itself is no part of the record's hash
