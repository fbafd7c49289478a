"""``hiring-audit prove --interview ID --revision N`` finds verdict revisions of every policy version."""

from __future__ import annotations

import json

import pytest

from services.audit.domain.records import LogRecord
from services.audit.entrypoints.picks import pick


def revision(type_: str, n: int, policy: str, interview: str = "iv-1") -> LogRecord:
    data = {"interview_id": interview, "revision": n, "policy_version": policy}
    attributes = {"type": type_, "subject": interview}
    return LogRecord("decision.events", 0, n, interview, attributes, json.dumps(data).encode())


@pytest.mark.parametrize(("type_", "policy"), [("hiring.decision.verdict_changed.v1", "v1"),
                                               ("hiring.decision.verdict_changed.v2", "v2")])  # fmt: skip
def test_a_revision_of_either_policy_is_found(type_: str, policy: str) -> None:
    chooser = pick("iv-1", 2, None, None, None, None)
    assert chooser(revision(type_, 2, policy))
    assert not chooser(revision(type_, 3, policy))
    assert not chooser(revision(type_, 2, policy, interview="iv-2"))
    assert pick("iv-1", 2, policy, None, None, None)(revision(type_, 2, policy))
    assert not pick("iv-1", 2, "v9", None, None, None)(revision(type_, 2, policy))


def test_other_decision_events_are_not_revisions() -> None:
    assert not pick("iv-1", 2, None, None, None, None)(revision("hiring.decision.other.v1", 2, "v1"))
