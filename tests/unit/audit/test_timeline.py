"""The timeline's words for an assessment: its confidence when stated, nothing when not."""

from __future__ import annotations

from schemas.common import Confidence, GoalId, QuestionKind, Rating
from services.audit.entrypoints.timeline import describe
from testkit.interviews import Script


def test_an_assessment_shows_its_confidence_only_when_stated() -> None:
    s = Script("iv").opened().ask("q1", QuestionKind.INVITE_STORY).story("s1", in_reply_to="q1")
    s.assess("g1", GoalId.COMPANY_LEVEL, Rating.YES, confidence=Confidence.LOW)
    s.assess("g2", GoalId.COMPANY_APPLICATION, Rating.NO)
    stated, unstated = s.events[-2:]
    assert describe(stated) == "int1 (company) rates company.level yes (low confidence); evidence s1"
    assert describe(unstated) == "int1 (company) rates company.application no; evidence s1"
