"""Properties of policy v2 over random interviews: it reads v1's decisions and only ever holds them."""

from __future__ import annotations

import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.common import Confidence, GoalId, QuestionKind, Rating
from schemas.decision import ConfidenceLevel, Decision, SideVerdictV2, VerdictChanged, VerdictChangedV2
from services.decision.domain.policy import v1, v2
from services.decision.domain.policy.v2.confidence import level
from services.decision.domain.projection import Projection, evolve
from services.decision.domain.replay import project
from services.decision.domain.verdict import Verdict
from testkit.interviews import Script

PEOPLE = ("cand", "int1", "int2", "int3")


@st.composite
def scripts(draw: st.DrawFn, *, stories: bool = True) -> Script:
    """A random well-formed interview opened under v2 (with or without stories)."""
    s = Script("iv", interviewers=3).opened(policy_version="v2")
    items: list[str] = []
    actions = ("story", "ask", "answer", "assess") if stories else ("ask", "answer", "assess")
    for n in range(draw(st.integers(0, 24))):
        action = draw(st.sampled_from(actions))
        if action == "story":
            s.story(f"s{n}")
        elif action == "ask":
            about = draw(st.sampled_from([None, *items])) if items else None
            kind = draw(st.sampled_from(QuestionKind))
            s.ask(f"q{n}", kind, asker=draw(st.sampled_from(PEOPLE)), about=about)
        elif action == "answer" and items:
            s.answer(f"a{n}", draw(st.sampled_from(items)))
        elif action == "assess":
            goal, rating = draw(st.sampled_from(GoalId)), draw(st.sampled_from(Rating))
            confidence = draw(st.sampled_from([None, *Confidence]))
            s.assess(f"g{n}", goal, rating, by=draw(st.sampled_from(PEOPLE)), evidence=(f"x{n}",),
                     confidence=confidence)  # fmt: skip
        items.append(f"{action[0]}{n}")
    return s.conclude() if draw(st.booleans()) else s


def prefixes(script: Script) -> list[Projection]:
    out: list[Projection] = []
    p = None
    for event in script.events:
        p = evolve(p, event)
        out.append(p)
    return out


def sides(v: object) -> tuple[SideVerdictV2, SideVerdictV2]:
    assert isinstance(v, Verdict)
    assert isinstance(v.company, SideVerdictV2)
    assert isinstance(v.candidate, SideVerdictV2)
    return v.company, v.candidate


@settings(max_examples=80, deadline=None)
@given(scripts(stories=False))
def test_no_story_never_yields_a_high_confidence_company_verdict(script: Script) -> None:
    for p in prefixes(script):
        company, _ = sides(v2.evaluate(p))
        assert company.confidence.level is not ConfidenceLevel.HIGH
        assert company.decision is Decision.UNDECIDED  # low: no decision is taken on it


@settings(max_examples=80, deadline=None)
@given(scripts())
def test_v2_leans_exactly_as_v1_decides_and_only_low_confidence_holds(script: Script) -> None:
    for p in prefixes(script):
        old, new = v1.evaluate(p), v2.evaluate(p)
        assert (new.signals, new.agreement, new.final) == (old.signals, old.agreement, old.final)
        held = False
        for before, after in zip((old.company, old.candidate), sides(new), strict=True):
            assert after.leaning is before.decision
            assert (after.score, after.reasons) == (before.score, before.reasons)
            low = after.confidence.level is ConfidenceLevel.LOW
            assert after.decision is (Decision.UNDECIDED if low else before.decision)
            assert after.confidence.level is level(after.confidence.reasons)
            held = held or (low and before.decision is not Decision.UNDECIDED)
        assert new.another_round is (new.final and held)


@settings(max_examples=40, deadline=None)
@given(scripts())
def test_forcing_a_version_gives_its_revision_shape_whatever_the_interview_opened_under(
    script: Script,
) -> None:
    forced = project(script.events, "v2")
    assert forced
    assert all(isinstance(e.data, VerdictChangedV2) for e in forced)
    assert all(type(e.data) is VerdictChanged for e in project(script.events, "v1"))


@settings(max_examples=40, deadline=None)
@given(scripts())
def test_v2_revision_bytes_are_the_canonical_form_of_their_data(script: Script) -> None:
    """The revision encoder writes v2's members by hand, as for v1: the bytes must be RFC 8785's."""
    for event in project(script.events):
        assert isinstance(event.data, VerdictChangedV2)
        assert event.data_bytes() == rfc8785.dumps(event.data.model_dump(mode="json"))
