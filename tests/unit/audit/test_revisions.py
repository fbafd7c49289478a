"""verify against published decision events: missing, extra, differing, duplicate, out of order."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from services.audit.domain.report import Kind
from services.audit.domain.verify import verify
from tests.unit.audit.history import Records, clean, drop, edit_data, swap


def revision_index(decisions: Records, interview: str, revision: int) -> int:
    for i, r in enumerate(decisions):
        data = json.loads(r.value or b"{}")
        if data["interview_id"] == interview and data["revision"] == revision:
            return i
    raise LookupError((interview, revision))


def last_revision(decisions: Records, interview: str) -> int:
    return max(int(json.loads(r.value or b"{}")["revision"]) for r in decisions if r.subject() == interview)


def test_missing_revision_names_the_interview_revision_and_input_sequence() -> None:
    events, decisions = clean()
    i = revision_index(decisions, "iv-b", 2)
    expected_input = json.loads(decisions[i].value or b"{}")["input_sequence"]
    report = verify(events, drop(decisions, i)).report
    assert [(d.kind, d.interview, d.revision, d.sequence) for d in report.discrepancies] == [
        (Kind.MISSING_REVISION, "iv-b", 2, expected_input)
    ]


def test_differing_revision_has_a_field_level_diff() -> None:
    events, decisions = clean()
    last = last_revision(decisions, "iv-a")
    i = revision_index(decisions, "iv-a", last)

    def flip(data: dict[str, Any]) -> None:
        data["mutual"] = "no_fit"

    report = verify(events, edit_data(decisions, i, flip)).report
    [found] = report.discrepancies
    assert (found.kind, found.interview, found.revision, found.offset) == (
        Kind.REVISION_DIFFERS,
        "iv-a",
        last,
        decisions[i].offset,
    )
    assert [(c.path, c.expected, c.actual) for c in found.diff] == [("data.mutual", "mutual_fit", "no_fit")]


def test_non_canonical_bytes_are_a_difference_even_when_the_json_is_equal() -> None:
    events, decisions = clean()
    decisions[0] = replace(decisions[0], value=json.dumps(json.loads(decisions[0].value or b"")).encode())
    [found] = verify(events, decisions).report.discrepancies
    assert found.kind is Kind.REVISION_DIFFERS
    assert [c.path for c in found.diff] == ["value"]


def test_differing_attribute_is_diffed_by_attribute_name() -> None:
    events, decisions = clean()
    decisions[3] = replace(
        decisions[3], attributes={**decisions[3].attributes, "time": "2030-01-01T00:00:00.000000Z"}
    )
    [found] = verify(events, decisions).report.discrepancies
    assert [c.path for c in found.diff] == ["attributes.time"]


def test_extra_revision_is_reported_at_its_offset() -> None:
    events, decisions = clean()
    last = last_revision(decisions, "iv-c")
    i = revision_index(decisions, "iv-c", last)

    def bump(data: dict[str, Any]) -> None:
        data["revision"] = last + 1

    extra = edit_data(decisions, i, bump)[i]
    report = verify(events, [*decisions, replace(extra, offset=500)]).report
    assert [(d.kind, d.interview, d.revision, d.offset) for d in report.discrepancies] == [
        (Kind.EXTRA_REVISION, "iv-c", last + 1, 500)
    ]


def test_duplicate_and_out_of_order_revisions() -> None:
    events, decisions = clean()
    a1, a2 = revision_index(decisions, "iv-a", 1), revision_index(decisions, "iv-a", 2)
    dup = verify(events, [*decisions, replace(decisions[a1], offset=777)]).report
    assert kinds_of(dup) == [(Kind.DUPLICATE_REVISION, 1)]
    swapped = verify(events, swap(decisions, a1, a2)).report
    assert kinds_of(swapped) == [(Kind.REVISION_OUT_OF_ORDER, 1)]


def kinds_of(report: Any) -> list[tuple[Kind, int | None]]:
    return [(d.kind, d.revision) for d in report.discrepancies]


def test_unknown_policy_version_is_reported_not_recomputed() -> None:
    events, decisions = clean()
    i = revision_index(decisions, "iv-a", 1)

    def v9(data: dict[str, Any]) -> None:
        data["policy_version"] = "v9"

    report = verify(events, edit_data(decisions, i, v9)).report
    found = [d for d in report.discrepancies if d.kind is Kind.UNKNOWN_POLICY]
    assert [(d.interview, d.policy_version) for d in found] == [("iv-a", "v9")]
