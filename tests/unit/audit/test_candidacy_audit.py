"""hiring-audit verify replays every candidacy revision byte for byte (ADR 0012)."""

from __future__ import annotations

import json
from dataclasses import replace

from schemas.topics import CANDIDACY_EVENTS, DECISION_EVENTS, INTERVIEW_EVENTS
from services.audit.domain.records import LogRecord, records_of
from services.audit.domain.report import Kind
from services.audit.domain.verify import verify
from testkit.candidacies import candidacy_revisions, still_open, three_rounds, verdict_revisions, withdrawn


def logs() -> tuple[list[LogRecord], list[LogRecord], list[LogRecord]]:
    events = [e for s in (three_rounds(), withdrawn(), still_open()) for e in s.events()]
    revisions = verdict_revisions(events)
    candidacies = candidacy_revisions(item for _, item in revisions)
    return (
        records_of(events, topic=INTERVIEW_EVENTS),
        records_of([r for r, _ in revisions], topic=DECISION_EVENTS),
        records_of(candidacies, topic=CANDIDACY_EVENTS),
    )


def test_every_candidacy_revision_is_reproduced() -> None:
    interviews, decisions, candidacies = logs()
    audit = verify(interviews, decisions, candidacy_records=candidacies)
    assert audit.report.ok, audit.report.discrepancies[:3]
    assert audit.report.counts.candidacy_events == len(candidacies) > 50
    assert audit.report.counts.candidacy_revisions_matched == len(candidacies)
    assert {a.candidacy_id for a in audit.candidacies} == {"cy-demo", "cy-gone", "cy-open"}


def test_an_edited_candidacy_revision_is_found() -> None:
    interviews, decisions, candidacies = logs()
    victim = len(candidacies) // 2
    doc = json.loads(candidacies[victim].value or b"{}")
    doc["mutual"] = "no_fit" if doc["mutual"] != "no_fit" else "mutual_fit"
    edited = replace(candidacies[victim], value=json.dumps(doc, separators=(",", ":")).encode())
    audit = verify(
        interviews, decisions, candidacy_records=[*candidacies[:victim], edited, *candidacies[victim + 1 :]]
    )
    assert not audit.report.ok
    kinds = {d.kind for d in audit.report.discrepancies}
    assert Kind.CANDIDACY_REVISION_DIFFERS in kinds
    # the next revision chained from the published (edited) record, whose hash changed
    assert Kind.CANDIDACY_CHAIN_BROKEN in kinds


def test_a_lost_revision_and_an_unknown_round_are_found() -> None:
    interviews, decisions, candidacies = logs()
    audit = verify(interviews, decisions, candidacy_records=[*candidacies[:3], *candidacies[4:]])
    assert Kind.CANDIDACY_SEQUENCE in {d.kind for d in audit.report.discrepancies}
    audit = verify(interviews, decisions[1:], candidacy_records=candidacies)
    assert Kind.CANDIDACY_ROUND_MISMATCH in {d.kind for d in audit.report.discrepancies}
