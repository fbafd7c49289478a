"""verify proves policy v1 and v2 revisions alike over one history that mixes them (ADR 0023)."""

from __future__ import annotations

from typing import Any

from schemas.common import Confidence, GoalId, QuestionKind, Rating
from services.audit.domain.records import records_of
from services.audit.domain.report import Kind
from services.audit.domain.verify import verify
from services.decision.domain.replay import project
from testkit.interviews import COMPANY, Script, interleaved, story_first
from tests.unit.audit.history import edit_data, index_of


def checklist_v2(interview_id: str) -> Script:
    s = Script(interview_id).opened(policy_version="v2")
    for i in range(1, 6):
        s.ask(f"q{i}", QuestionKind.SCRIPTED).answer(f"a{i}", f"q{i}")
    for i, goal in enumerate(COMPANY, 1):
        s.assess(f"c{i}", goal, Rating.NO, evidence=(f"a{i}",))
    return s.conclude()


def explored_v2(interview_id: str) -> Script:
    s = Script(interview_id).opened(policy_version="v2").ask("q1", QuestionKind.INVITE_STORY)
    s.story("s1", in_reply_to="q1").ask("q2", QuestionKind.CLARIFYING, about="s1").answer("a2", "q2")
    s.ask("q3", QuestionKind.CLARIFYING, about="a2", asker="int2")
    for i, goal in enumerate(COMPANY, 1):
        s.assess(f"c{i}", goal, Rating.YES, confidence=Confidence.HIGH)
    s.assess("c9", GoalId.COMPANY_LEVEL, Rating.STRONG_YES, by="int2", confidence=Confidence.LOW)
    return s.conclude()


def mixed() -> tuple[list[Any], list[Any]]:
    events = interleaved(story_first("iv-a").events, checklist_v2("iv-b").events, explored_v2("iv-c").events)
    return records_of(events), records_of(project(events))


def test_a_history_mixing_v1_and_v2_interviews_verifies() -> None:
    events, decisions = mixed()
    types = {r.attributes["type"] for r in decisions}
    assert types == {"hiring.decision.verdict_changed.v1", "hiring.decision.verdict_changed.v2"}
    report = verify(events, decisions).report
    assert report.ok, report.discrepancies
    assert report.counts.interviews == 3
    assert report.counts.revisions_matched == report.counts.revisions_recomputed == len(decisions)


def test_a_tampered_v2_confidence_is_a_revision_that_differs() -> None:
    events, decisions = mixed()
    last = max(int(r.attributes["sequence"]) for r in decisions if r.subject() == "iv-b")
    i = index_of(decisions, "iv-b", last)

    def firm(data: dict[str, Any]) -> None:
        assert data["company"]["confidence"]["level"] == "low"
        data["company"]["confidence"]["level"] = "high"
        data["company"]["decision"] = data["company"]["leaning"]

    report = verify(events, edit_data(decisions, i, firm)).report
    assert not report.ok
    differs = [d for d in report.discrepancies if d.kind is Kind.REVISION_DIFFERS]
    assert {d.interview for d in differs} == {"iv-b"}
    paths = {c.path for d in differs for c in d.diff}
    assert {"data.company.confidence.level", "data.company.decision"} <= paths

