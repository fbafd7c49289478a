"""verify decodes and hashes each record once, and a published revision is decoded only when its bytes
differ from the recomputation (ADR 0020) — with the same findings as decoding everything."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from schemas import canonical
from services.audit.domain.history import decode_log, split
from services.audit.domain.records import LogRecord
from services.audit.domain.verify import audit_interview, verify
from tests.unit.audit.history import clean, drop, edit_data, index_of, sequence_of_data

Records = list[LogRecord]


def _tampered() -> list[tuple[Records, Records]]:
    events, decisions = clean()
    seq = sequence_of_data(events, "iv-a", "assessment_id", "c2")

    def downgrade(data: dict[str, Any]) -> None:
        data["rating"] = "strong_no"

    def other_policy(data: dict[str, Any]) -> None:
        data["policy_version"] = "v9"

    def more_final(data: dict[str, Any]) -> None:
        data["final"] = not data["final"]

    respelled = list(decisions)  # the same JSON, not in canonical form
    respelled[1] = replace(decisions[1], value=b" " + (decisions[1].value or b""))
    not_json = list(decisions)
    not_json[2] = replace(decisions[2], value=b"{not json")
    other_attr = list(decisions)
    other_attr[3] = replace(decisions[3], attributes={**decisions[3].attributes, "source": "/elsewhere"})
    return [
        (events, decisions),
        (edit_data(events, index_of(events, "iv-a", seq), downgrade), decisions),
        (events, edit_data(decisions, 0, other_policy)),
        (events, edit_data(decisions, 4, more_final)),
        (events, respelled),
        (events, not_json),
        (events, other_attr),
        (drop(events, index_of(events, "iv-b", 4)), drop(decisions, 2)),
    ]


@pytest.mark.parametrize("case", range(8))
def test_resolving_published_revisions_by_their_bytes_finds_what_decoding_them_finds(case: int) -> None:
    events, decisions = _tampered()[case]
    for raw in split(events, decisions):
        eager = audit_interview(decode_log(raw))
        lazy = audit_interview(decode_log(raw, lazy=True))
        assert lazy.findings == eager.findings
        assert (lazy.matched, lazy.expected) == (eager.matched, eager.expected)
        assert [e.event for e in lazy.log.published] == [e.event for e in eager.log.published]
        ok = [e.problem is None for e in eager.log.published]
        assert [e.problem is None for e in lazy.log.published] == ok
    assert case == 0 or not verify(events, decisions).report.ok  # each tampering is caught


def test_each_interview_record_is_parsed_once_and_no_matching_revision(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    events, decisions = clean()
    parsed: list[bytes] = []
    loads = canonical.loads

    def counting(value: bytes) -> Any:
        parsed.append(value)
        return loads(value)

    monkeypatch.setattr(canonical, "loads", counting)
    report = verify(events, decisions).report
    assert report.ok
    assert report.counts.revisions_matched == len(decisions)
    assert sorted(parsed) == sorted(r.value or b"" for r in events)  # one parse each, nothing else
