"""The timeline's words for an assessment: its confidence when stated, nothing when not."""

from __future__ import annotations

from schemas.common import Confidence, GoalId, QuestionKind, Rating
from services.audit.entrypoints.html import _event_row
from services.audit.entrypoints.timeline import describe, sender
from testkit.interviews import Script


def test_an_assessment_shows_its_confidence_only_when_stated() -> None:
    s = Script("iv").opened().ask("q1", QuestionKind.INVITE_STORY).story("s1", in_reply_to="q1")
    s.assess("g1", GoalId.COMPANY_LEVEL, Rating.YES, confidence=Confidence.LOW)
    s.assess("g2", GoalId.COMPANY_APPLICATION, Rating.NO)
    stated, unstated = s.events[-2:]
    assert describe(stated) == "int1 (company) rates company.level yes (low confidence); evidence s1"
    assert describe(unstated) == "int1 (company) rates company.application no; evidence s1"


def test_each_event_says_who_sent_it_when_recorded() -> None:
    opened = Script("iv").opened().events[0]
    assert sender(opened) == ""  # written before principals were recorded
    claims = '{"iss":"https://idp.example","role":"recruiter"}'
    by_token = opened.model_copy(
        update={"attributes": opened.attributes.model_copy(
            update={"authtype": "user", "authid": "rita", "authclaims": claims})}
    )  # fmt: skip
    assert sender(by_token) == "by rita (recruiter, https://idp.example)"
    intake = '{"iss":"kafka","role":"service"}'
    by_kafka = opened.model_copy(
        update={"attributes": opened.attributes.model_copy(
            update={"authtype": "service_account", "authid": "User:interview-intake", "authclaims": intake})}
    )  # fmt: skip
    assert sender(by_kafka) == "by service_account User:interview-intake (service, kafka)"
    assert "by rita (recruiter" in _event_row(by_token, "interview.events[0]@0", None, {})
