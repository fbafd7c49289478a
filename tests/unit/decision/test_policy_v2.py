"""Policy v2: confidence from interview quality, worked examples from the seed's situations."""

from __future__ import annotations

from schemas import decode, encode
from schemas.common import Confidence, GoalId, QuestionKind, Rating
from schemas.decision import ConfidenceLevel, Decision, Mutual, SideVerdictV2, VerdictChangedV2
from services.decision.domain.policy import Policies, policy_for
from services.decision.domain.policy.v2 import THRESHOLDS_V2, evaluate
from services.decision.domain.projection import Projection, evolve
from services.decision.domain.replay import project
from services.decision.domain.verdict import Verdict
from testkit.interviews import CANDIDATE, COMPANY, Script, checklist, story_first

Y, SY, N = Rating.YES, Rating.STRONG_YES, Rating.NO
HIGH, MEDIUM, LOW = ConfidenceLevel.HIGH, ConfidenceLevel.MEDIUM, ConfidenceLevel.LOW


def fold(script: Script) -> Projection:
    p = None
    for event in script.events:
        p = evolve(p, event)
    assert p is not None
    return p


def verdict(script: Script) -> Verdict:
    return evaluate(fold(script))


def side(v: SideVerdictV2 | object) -> SideVerdictV2:
    assert isinstance(v, SideVerdictV2)
    return v


def codes(v: SideVerdictV2) -> dict[str, str]:
    return {r.code: r.effect for r in v.confidence.reasons}


def candidate_happy(s: Script) -> Script:
    s.ask("qc", QuestionKind.ABOUT_COMPANY, asker="cand").answer("ac", "qc", answerer="int1")
    for i, goal in enumerate(CANDIDATE, 1):
        s.assess(f"k{i}", goal, Y, by="cand", evidence=("ac",))
    return s


def explored(interview_id: str = "iv", *, interviewers: int = 2) -> Script:
    """A story invited first and explored with two clarifying questions."""
    s = Script(interview_id, interviewers=interviewers).opened(policy_version="v2")
    s.ask("q1", QuestionKind.INVITE_STORY).story("s1", in_reply_to="q1")
    s.ask("q2", QuestionKind.CLARIFYING, about="s1").answer("a2", "q2")
    s.ask("q3", QuestionKind.CLARIFYING, about="a2").answer("a3", "q3")
    return s


def test_checklist_interview_with_no_story_is_a_low_confidence_company_verdict() -> None:
    """The seed's checklist situation: it did not reveal the level, so the decline is not taken."""
    v = verdict(checklist("iv"))
    company = side(v.company)
    assert company.confidence.level is LOW
    assert (company.leaning, company.decision, company.score) == (Decision.DECLINE, Decision.UNDECIDED, -1.0)
    assert codes(company)["no_story"] == "forces_low"
    assert codes(company)["checklist_interview"] == "lowers"
    assert codes(company)["story_not_invited"] == "lowers"
    assert codes(company)["few_assessors"] == "lowers"
    assert side(v.candidate).confidence.level is MEDIUM  # asked nothing; and has not assessed anything
    assert (v.mutual, v.final, v.another_round) == (Mutual.UNDECIDED, True, True)


def test_two_challenges_and_no_story_is_not_a_firm_proceed() -> None:
    """The seed's fight situation: positive ratings after two gotchas and no story stay a lean."""
    s = Script("iv").opened(policy_version="v2")
    s.ask("q1", QuestionKind.CHALLENGE).answer("a1", "q1")
    s.ask("q2", QuestionKind.CHALLENGE).answer("a2", "q2")
    for i, goal in enumerate(COMPANY, 1):
        s.assess(f"c{i}", goal, SY if i == 1 else Y, evidence=("a1",))
    s.assess("c9", GoalId.COMPANY_LEVEL, Y, by="int2", evidence=("a2",))
    v = verdict(candidate_happy(s).conclude())
    company = side(v.company)
    assert company.leaning is Decision.PROCEED
    assert company.decision is Decision.UNDECIDED
    assert company.confidence.level is LOW
    assert codes(company)["adversarial_interview"] == "lowers"
    assert side(v.candidate).decision is Decision.PROCEED
    assert (v.mutual, v.another_round) == (Mutual.UNDECIDED, True)


def test_a_story_first_interview_with_an_agreeing_panel_is_high_confidence() -> None:
    v = verdict(story_first("iv"))
    company, candidate = side(v.company), side(v.candidate)
    assert (company.decision, company.confidence.level) == (Decision.PROCEED, HIGH)
    assert (candidate.decision, candidate.confidence.level) == (Decision.PROCEED, HIGH)
    assert {"story_explored", "no_checklist_or_fight", "assessors", "panel_agrees"} <= set(codes(company))
    assert all(r.effect in ("supports", "neutral") for r in company.confidence.reasons)
    assert (v.mutual, v.another_round) == (Mutual.MUTUAL_FIT, False)


def test_one_interviewer_lowers_to_medium_and_the_decision_stands() -> None:
    s = explored(interviewers=1)
    for i, goal in enumerate(COMPANY, 1):
        s.assess(f"c{i}", goal, Y, evidence=("s1",))
    company = side(verdict(s).company)
    assert (company.confidence.level, company.decision) == (MEDIUM, Decision.PROCEED)
    assert codes(company)["few_assessors"] == "lowers"


def _panel(s: Script, second: Rating) -> Script:
    for i, goal in enumerate(COMPANY, 1):
        s.assess(f"c{i}", goal, Y, evidence=("s1",))
    return s.assess("c9", GoalId.COMPANY_LEVEL, second, by="int2", evidence=("a3",))


def test_a_split_panel_lowers_and_an_agreeing_one_supports() -> None:
    split = side(verdict(_panel(explored(), N)).company)
    assert codes(split)["split_panel"] == "lowers"
    assert split.confidence.level is MEDIUM
    agreeing = side(verdict(_panel(explored(), SY)).company)
    assert codes(agreeing)["panel_agrees"] == "supports"
    assert agreeing.confidence.level is HIGH


def test_a_shallow_story_lowers() -> None:
    s = Script("iv").opened(policy_version="v2").ask("q1", QuestionKind.INVITE_STORY).story("s1")
    s.ask("q2", QuestionKind.CLARIFYING, about="s1")
    company = side(verdict(_panel(s, Y)).company)
    assert codes(company)["story_shallow"] == "lowers"
    assert company.confidence.level is MEDIUM


def test_a_story_after_a_scripted_opening_is_never_high() -> None:
    """The company did not invite the story first: told and explored later, it still costs a step."""
    s = Script("iv").opened(policy_version="v2").ask("q0", QuestionKind.SCRIPTED).answer("a0", "q0")
    s.story("s1").ask("q2", QuestionKind.CLARIFYING, about="s1")
    s.ask("q3", QuestionKind.CLARIFYING, about="s1")
    company = side(verdict(_panel(s, Y)).company)
    assert codes(company)["story_not_invited"] == "lowers"
    assert company.confidence.level is MEDIUM


def test_assessors_stated_confidence_weighs_from_goal_assessed_v2() -> None:
    unsure = explored()
    for i, goal in enumerate(COMPANY, 1):
        unsure.assess(f"c{i}", goal, Y, evidence=("s1",), confidence=Confidence.LOW)
    unsure.assess("c9", GoalId.COMPANY_LEVEL, Y, by="int2", confidence=Confidence.HIGH)
    company = side(verdict(unsure).company)
    assert codes(company)["assessors_unsure"] == "lowers"
    assert company.confidence.level is MEDIUM
    sure = side(verdict(_panel(explored(), Y)).company)
    assert codes(sure)["confidence_not_stated"] == "neutral"  # what every upcast v1 assessment says


def test_two_lowering_reasons_make_it_low() -> None:
    s = explored(interviewers=1)
    for i, goal in enumerate(COMPANY, 1):
        s.assess(f"c{i}", goal, Y, evidence=("s1",), confidence=Confidence.LOW)
    company = side(verdict(s).company)
    assert company.confidence.level is LOW
    assert (company.leaning, company.decision) == (Decision.PROCEED, Decision.UNDECIDED)


def test_the_candidate_asking_nothing_lowers_the_candidate_verdict() -> None:
    s = explored()
    for i, goal in enumerate(CANDIDATE, 1):
        s.assess(f"k{i}", goal, Y, by="cand", evidence=("s1",))
    candidate = side(verdict(s).candidate)
    assert codes(candidate)["no_candidate_questions"] == "lowers"
    assert (candidate.confidence.level, candidate.decision) == (MEDIUM, Decision.PROCEED)
    asked = side(verdict(candidate_happy(explored())).candidate)
    assert (asked.confidence.level, codes(asked)["candidate_asked"]) == (HIGH, "supports")


def test_another_round_is_asked_for_only_once_concluded() -> None:
    s = Script("iv").opened(policy_version="v2").ask("q1", QuestionKind.SCRIPTED).answer("a1", "q1")
    open_ = verdict(s.assess("c1", GoalId.COMPANY_LEVEL, N, evidence=("a1",)))
    assert side(open_.company).confidence.level is LOW
    assert (open_.final, open_.another_round) == (False, False)
    assert verdict(checklist("iv")).another_round is True


def test_v2_revisions_are_verdict_changed_v2_and_round_trip() -> None:
    s = Script("iv").opened(policy_version="v2").story("s1").assess("c1", GoalId.COMPANY_LEVEL, Y)
    out = project(s.events)
    assert [e.attributes.type for e in out] == ["hiring.decision.verdict_changed.v2"] * len(out)
    for event in out:
        record = encode(event)
        back = decode(record.value, record.headers, record.key)
        assert isinstance(back.data, VerdictChangedV2)
        assert back.data == event.data
        assert back.data_bytes() == event.data_bytes()
        assert back.data.policy_version == "v2"


def test_v1_interviews_keep_v1_revisions_beside_v2_ones() -> None:
    v1, v2 = story_first("a"), explored("b")
    out = project([*v1.events, *v2.events])
    types = {e.attributes.subject: e.attributes.type for e in out}
    assert types == {"a": "hiring.decision.verdict_changed.v1", "b": "hiring.decision.verdict_changed.v2"}
    assert all(not isinstance(e.data, VerdictChangedV2) for e in out if e.attributes.subject == "a")


def test_v2_is_registered_and_forcible() -> None:
    assert policy_for("v2").thresholds is THRESHOLDS_V2
    forced = Policies.of("v2").applying_to("v1")
    assert forced is not None
    assert forced.version == "v2"
    assert Policies().applying_to("v2") is not None


def test_the_query_api_serves_v2_revisions_whole_and_the_candidate_view_names_no_panelist() -> None:
    from services.decision.entrypoints.api import _revision
    from services.decision.entrypoints.views import View

    event = project(candidate_happy(_panel(explored(), Y)).conclude().events)[-1]
    full = _revision(event).model_dump(mode="json")["verdict"]
    assert full["company"]["confidence"]["level"] == "high"
    assert full["company"]["leaning"] == "proceed"
    assert full["another_round"] is False
    shown = _revision(event, View.CANDIDATE).model_dump_json()
    assert '"confidence"' in shown
    seen = _revision(event, View.CANDIDATE).verdict.company
    assert isinstance(seen, SideVerdictV2)
    assert seen.confidence.level is HIGH
    assert all(r.evidence == () for r in seen.confidence.reasons)  # the panel's events stay the company's
    assert any(r.evidence for r in side(event.data.company).confidence.reasons)
    assert '"int1"' not in shown
    assert '"int2"' not in shown
