"""verify over a history mixing interviews' own policies and a policy run in shadow (ADR 0024)."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import replace

import pytest

from schemas.topics import DECISION_EVENTS, DECISION_SHADOW
from services.audit.domain.records import LogRecord, records_of
from services.audit.domain.report import Kind
from services.audit.domain.verify import verify
from services.decision.domain import policy as policies_module
from services.decision.domain.policy import Policies, policy_for
from services.decision.domain.policy.v1 import THRESHOLDS_V1, evaluate
from services.decision.domain.replay import project, revisions
from testkit.interviews import Script, checklist, interleaved, story_first

STRICT = dataclasses.replace(THRESHOLDS_V1, decline_score_below=2.0)


@pytest.fixture(autouse=True, params=["v2", "v9"])
def shadow_version(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The policy shadowing v1: v2, and a v9 (v1's rules, stricter thresholds) that is not v1 in disguise."""
    monkeypatch.setitem(policies_module._VERSIONS, "v9", (evaluate, STRICT))
    return str(request.param)


def own_policy_script(version: str) -> Script:
    s = story_first("iv-own")
    opened = s.events[0]
    assert opened.data.policy_version == "v1"  # type: ignore[union-attr]
    # The same interview opened under the shadow version itself: written afresh so its chain is its own.
    fresh = Script("iv-own").opened(version)
    for event in s.events[1:]:
        fresh._append(event.data, event.attributes.actorid)
    return fresh


def mixed(version: str) -> tuple[list[LogRecord], list[LogRecord], list[LogRecord]]:
    """Interview records, decision.events (each interview's own policy), decision.shadow (``version``
    for the v1 ones)."""
    shadowed = [story_first("iv-a").events, checklist("iv-b").events]
    events = interleaved(*shadowed, own_policy_script(version).events)
    own = project(events)
    shadow = [e for h in shadowed for e in revisions(h, Policies(forced=policy_for(version)))]
    return records_of(events), records_of(own), records_of(shadow, topic=DECISION_SHADOW)


def versions_of(records: list[LogRecord]) -> set[str]:
    return {json.loads(r.value or b"{}")["policy_version"] for r in records}


def test_a_history_mixing_own_and_shadow_revisions_verifies_and_every_revision_matches(
    shadow_version: str,
) -> None:
    events, own, shadow = mixed(shadow_version)
    assert versions_of(own) == {"v1", shadow_version}  # iv-own publishes it as its own policy
    assert versions_of(shadow) == {shadow_version}
    report = verify(events, [*own, *shadow]).report
    assert report.ok, report.discrepancies
    assert report.counts.revisions_matched == len(own) + len(shadow)
    assert report.counts.revisions_recomputed == len(own) + len(shadow)


def test_a_shadow_switched_off_is_noted_not_failed_but_a_hole_in_its_chain_is_a_finding(
    shadow_version: str,
) -> None:
    events, own, shadow = mixed(shadow_version)
    last_of_a = max(i for i, r in enumerate(shadow) if r.subject() == "iv-a")
    report = verify(events, [*own, *shadow[:last_of_a]]).report
    assert report.ok, report.discrepancies
    assert [(d.kind, d.interview) for d in report.info] == [(Kind.SHADOW_STOPPED, "iv-a")]
    first_of_a = min(i for i, r in enumerate(shadow) if r.subject() == "iv-a")
    holed = shadow[:first_of_a] + shadow[first_of_a + 1 :]
    report = verify(events, [*own, *holed]).report
    assert [d.kind for d in report.discrepancies] == [Kind.MISSING_REVISION]
    assert (report.discrepancies[0].revision, report.discrepancies[0].policy_version) == (1, shadow_version)


def test_an_edited_shadow_revision_is_found_like_any_other(shadow_version: str) -> None:
    events, own, shadow = mixed(shadow_version)
    data = json.loads(shadow[0].value or b"{}")
    data["company"]["decision"] = "proceed" if data["company"]["decision"] != "proceed" else "decline"
    edited = [replace(shadow[0], value=json.dumps(data).encode()), *shadow[1:]]
    report = verify(events, [*own, *edited]).report
    assert Kind.REVISION_DIFFERS in {d.kind for d in report.discrepancies}
    assert not report.ok


def move(record: LogRecord, topic: str) -> LogRecord:
    return replace(record, topic=topic)


def test_an_own_policy_revision_on_the_shadow_topic_is_misplaced(shadow_version: str) -> None:
    events, own, shadow = mixed(shadow_version)
    i = next(i for i, r in enumerate(own) if r.subject() == "iv-b")
    report = verify(events, [*own[:i], move(own[i], DECISION_SHADOW), *own[i + 1 :], *shadow]).report
    assert Kind.SHADOW_MISPLACED in {d.kind for d in report.discrepancies}
    assert not report.ok


def test_a_shadow_chain_split_across_both_topics_is_misplaced(shadow_version: str) -> None:
    events, own, shadow = mixed(shadow_version)
    report = verify(events, [*own, move(shadow[0], DECISION_EVENTS), *shadow[1:]]).report
    found = [d for d in report.discrepancies if d.kind is Kind.SHADOW_MISPLACED]
    assert [(d.interview, d.policy_version) for d in found] == [(shadow[0].subject(), shadow_version)]


def test_without_the_shadow_topic_the_own_revisions_verify_as_before(shadow_version: str) -> None:
    events, own, _ = mixed(shadow_version)
    report = verify(events, own).report
    assert report.ok, report.discrepancies
    assert not report.info
