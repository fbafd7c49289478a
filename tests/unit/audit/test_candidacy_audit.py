"""hiring-audit verify replays every candidacy revision byte for byte (ADR 0012)."""

from __future__ import annotations

import json
from dataclasses import replace

from schemas.topics import CANDIDACY_EVENTS, DECISION_EVENTS, INTERVIEW_EVENTS
from services.audit.domain.records import LogRecord, records_of
from services.audit.domain.report import Kind
from services.audit.domain.verify import verify
from testkit.candidacies import (
    candidacy_revisions,
    declined_in_final,
    round_after_withdrawal,
    still_open,
    three_rounds,
    verdict_revisions,
    withdrawn,
)


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


def test_candidacy_v2_revisions_are_reproduced_beside_v1_ones() -> None:
    """A history mixing candidacies under candidacy-v1 and candidacy-v2 (ADR 0022) verifies as a whole."""
    v1_events = [e for s in (three_rounds(), withdrawn()) for e in s.events()]
    v2_events = [e for s in (declined_in_final(), round_after_withdrawal(), still_open()) for e in s.events()]
    v1_revisions, v2_revisions = verdict_revisions(v1_events), verdict_revisions(v2_events)
    candidacies = [
        *candidacy_revisions(item for _, item in v1_revisions),
        *candidacy_revisions((item for _, item in v2_revisions), "candidacy-v2"),
    ]
    assert {e.attributes.type.rsplit(".", 1)[1] for e in candidacies} == {"v1", "v2"}
    records = records_of(candidacies, topic=CANDIDACY_EVENTS)
    interviews = records_of([*v1_events, *v2_events], topic=INTERVIEW_EVENTS)
    decisions = records_of([r for r, _ in [*v1_revisions, *v2_revisions]], topic=DECISION_EVENTS)
    audit = verify(interviews, decisions, candidacy_records=records)
    assert audit.report.ok, audit.report.discrepancies[:3]
    assert audit.report.counts.candidacy_revisions_matched == len(records)
    # An edited v2 revision (a hold removed, so the side reads proceed) is found.
    victim = next(i for i, e in enumerate(candidacies) if '"holds":[{' in (records[i].value or b"").decode())
    doc = json.loads(records[victim].value or b"{}")
    doc["company"]["holds"], doc["company"]["decision"] = [], "proceed"
    edited = replace(records[victim], value=json.dumps(doc, separators=(",", ":")).encode())
    audit = verify(
        interviews, decisions, candidacy_records=[*records[:victim], edited, *records[victim + 1 :]]
    )
    assert Kind.CANDIDACY_REVISION_DIFFERS in {d.kind for d in audit.report.discrepancies}
