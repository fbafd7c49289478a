"""verify applies the DLQ as the decision service does, recomputes per recorded policy version, and
anchors each interview's chain head with the revisions' ``input_hash``."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from schemas.common import QuestionKind, Rating
from schemas.envelope import Event
from schemas.topics import DLQ
from services.audit.domain.dlq import relocate
from services.audit.domain.records import LogRecord, records_of
from services.audit.domain.report import Kind
from services.audit.domain.verify import verify
from services.decision.domain.replay import project
from services.decision.domain.revisions import Poison
from testkit.interviews import CANDIDATE, COMPANY, Script
from tests.unit.audit.history import Records, clean, edit_data, index_of, interview_events


def renumber(records: Records) -> Records:
    """Offsets per partition in list order, as a log written in that order would have them."""
    offsets: dict[int, int] = {}
    out = []
    for r in records:
        out.append(replace(r, offset=offsets.get(r.partition, 0)))
        offsets[r.partition] = offsets.get(r.partition, 0) + 1
    return out


def dlq_record(
    source: LogRecord, kind: str, offset: int, *, copy: bool, code: str = "unknown_type"
) -> LogRecord:
    """A DLQ record about ``source``: the parked copy (``copy``) or an operator's release."""
    headers = (
        ("dlq_kind", kind), ("dlq_code", code), ("dlq_reason", "test"), ("dlq_topic", "interview.events"),
        ("dlq_partition", str(source.partition)), ("dlq_offset", str(source.offset)),
        ("dlq_interview", source.subject()),
    )  # fmt: skip
    if copy:
        return LogRecord(DLQ, source.partition, offset, source.key, source.attributes, source.value,
                         headers=headers)  # fmt: skip
    return LogRecord(DLQ, source.partition, offset, source.key, {}, None, headers=headers)


def with_poison_before(records: Records, interview: str, sequence: int) -> tuple[Records, LogRecord]:
    """The log with a record of an unknown type (carrying ``sequence``'s headers) just before it."""
    i = index_of(records, interview, sequence)
    bad = replace(records[i], attributes={**records[i].attributes, "type": "hiring.interview.mood.v1"},
                  value=b"{}")  # fmt: skip
    log = renumber([*records[:i], bad, *records[i:]])
    return log, log[i]


# --- 1. the DLQ -------------------------------------------------------------------------------


def test_a_record_released_with_skip_is_left_out_and_reported_as_info() -> None:
    events, decisions = clean()  # the service's output once the skipped record is left out
    log, bad = with_poison_before(events, "iv-a", 7)
    dlq = [dlq_record(bad, "poison", 0, copy=True), dlq_record(bad, "skip", 1, copy=False)]

    assert not verify(log, decisions).report.ok  # the DLQ ignored: the bad record counts
    report = verify(log, decisions, dlq_records=dlq).report
    assert report.ok, report.discrepancies
    assert report.counts.dlq_records == 2
    assert [(i.kind, i.interview, i.partition, i.offset, i.sequence) for i in report.info] == [
        (Kind.DLQ_SKIPPED, "iv-a", bad.partition, bad.offset, 7)
    ]
    assert f"{DLQ}[{bad.partition}]@1" in report.info[0].detail


def test_a_parked_record_parks_its_interview_even_if_it_decodes_and_a_retry_re_reads_it() -> None:
    events, _ = clean()
    parked = events[index_of(events, "iv-a", 9)]
    items: list[Event | Poison] = [
        Poison("iv-a", parked.offset, "invalid_data", "x") if e.attributes.subject == "iv-a"
        and e.attributes.sequence == 9 else e
        for e in interview_events()
    ]  # fmt: skip
    waiting = records_of(project(items))  # what the service published while iv-a waits
    word = dlq_record(parked, "poison", 0, copy=True, code="invalid_data")

    assert not verify(events, waiting).report.ok  # without the DLQ the audit applies the record
    report = verify(events, waiting, dlq_records=[word]).report
    assert report.ok, report.discrepancies
    assert [(i.kind, i.offset) for i in report.info] == [(Kind.DLQ_PARKED, parked.offset)]

    released = [word, dlq_record(parked, "retry", 1, copy=False, code="invalid_data")]
    report = verify(events, records_of(project(interview_events())), dlq_records=released).report
    assert report.ok, report.discrepancies
    assert [(i.kind, i.offset) for i in report.info] == [(Kind.DLQ_RETRIED, parked.offset)]


def test_a_dlq_word_applies_only_to_its_partition_and_offset() -> None:
    events, decisions = clean()
    log, bad = with_poison_before(events, "iv-a", 7)
    elsewhere = replace(dlq_record(bad, "skip", 1, copy=False), partition=bad.partition + 1)
    dlq = [dlq_record(bad, "poison", 0, copy=True), elsewhere]
    assert not verify(log, decisions, dlq_records=dlq).report.ok


# --- 2. policy version per published revision -----------------------------------------------


def story_first_under(interview_id: str, version: str) -> list[Event]:
    """testkit.interviews.story_first, opened under ``version``."""
    s = (
        Script(interview_id)
        .opened(version)
        .ask("q1", QuestionKind.INVITE_STORY)
        .story("s1", in_reply_to="q1")
    )
    s.ask("q2", QuestionKind.CLARIFYING, about="s1").answer("a2", "q2")
    for i, goal in enumerate(COMPANY, 1):
        s.assess(f"c{i}", goal, Rating.YES, evidence=("s1", "a2"))
    for i, goal in enumerate(CANDIDATE, 1):
        s.assess(f"k{i}", goal, Rating.YES, by="cand", evidence=("s1",))
    return list(s.conclude().events)


def test_revisions_are_recomputed_under_the_version_they_record() -> None:
    events = story_first_under("iv-v9", "v9")  # opened under v9; a v1 instance published its verdicts
    report = verify(records_of(events), records_of(project(events, "v1"))).report
    assert report.ok, report.discrepancies
    assert report.counts.revisions_matched == report.counts.revisions_recomputed > 0


def test_without_published_revisions_the_interview_version_is_used_and_an_unknown_one_named() -> None:
    events = story_first_under("iv-v9", "v9")
    report = verify(records_of(events), []).report
    assert [(d.kind, d.interview, d.policy_version) for d in report.discrepancies] == [
        (Kind.UNKNOWN_POLICY, "iv-v9", "v9")
    ]
    assert "v9" in report.discrepancies[0].detail
    known = verify(records_of(story_first_under("iv-v1", "v1")), []).report
    assert {d.kind for d in known.discrepancies} == {Kind.MISSING_REVISION}


# --- 3. the chain head is anchored by input_hash ----------------------------------------------


def test_every_revision_records_the_hash_of_the_event_at_its_input_sequence() -> None:
    events = interview_events()
    by_position = {(e.attributes.subject, e.attributes.sequence): e for e in events}
    for revision in project(events):
        data: Any = revision.data
        assert data.input_hash == by_position[(data.interview_id, data.input_sequence)].chain_hash


def test_edited_last_event_is_an_input_hash_mismatch_at_its_position() -> None:
    events, decisions = clean()
    last = max(int(r.attributes["sequence"]) for r in events if r.subject() == "iv-a")
    i = index_of(events, "iv-a", last)
    assert json.loads(events[i].value or b"{}")["outcome"] == "completed"

    def withdraw(data: dict[str, Any]) -> None:
        data["outcome"] = "withdrawn_by_company"

    report = verify(edit_data(events, i, withdraw), decisions).report
    assert not report.ok
    found = [d for d in report.discrepancies if d.kind is Kind.INPUT_HASH_MISMATCH]
    assert [(d.interview, d.sequence, d.topic, d.partition, d.offset) for d in found] == [
        ("iv-a", last, "interview.events", events[i].partition, events[i].offset)
    ]
    assert found[0].revision is not None
    assert "altered" in found[0].detail
    assert not any(d.kind is Kind.CHAIN_BROKEN for d in report.discrepancies)  # no successor to break


def test_edited_input_hash_in_a_revision_is_reported() -> None:
    events, decisions = clean()

    def zero(data: dict[str, Any]) -> None:
        data["input_hash"] = "0" * 64

    report = verify(events, edit_data(decisions, 0, zero)).report
    assert Kind.INPUT_HASH_MISMATCH in {d.kind for d in report.discrepancies}


def test_import_re_points_a_dlq_word_at_the_new_position_of_its_source() -> None:
    events, _ = clean()
    word = dlq_record(events[4], "skip", 0, copy=False)
    moved = relocate(word, {(events[4].partition, events[4].offset): (2, 40)}, "audit.interview.events")
    headers = dict(moved.headers)
    assert (moved.partition, headers["dlq_partition"], headers["dlq_offset"]) == (2, "2", "40")
    assert headers["dlq_exported_from"] == f"{events[4].partition}@{events[4].offset}"
    assert (
        dict(relocate(word, {}, "t").headers)["dlq_offset"] == "-1"
    )  # source not imported: applies to nothing
