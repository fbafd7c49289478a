"""Every v1 interview-quality signal firing and not firing, with its evidence."""

from __future__ import annotations

from schemas.common import GoalId, Outcome, QuestionKind, Rating
from services.decision.domain.policy.v1 import ThresholdsV1, evaluate
from services.decision.domain.projection import Projection, evolve
from testkit.interviews import Script

K = QuestionKind


def codes(script: Script) -> list[str]:
    return [s.code for s in evaluate(fold(script), ThresholdsV1()).signals]


def fold(script: Script) -> Projection:
    p = None
    for event in script.events:
        p = evolve(p, event)
    assert p is not None
    return p


def evidence(script: Script, code: str) -> tuple[str, ...]:
    return next(s.evidence for s in evaluate(fold(script), ThresholdsV1()).signals if s.code == code)


def ids(script: Script, *positions: int) -> tuple[str, ...]:
    return tuple(script.events[i].attributes.id for i in positions)


def rich() -> Script:
    """Story-first, deep, candidate asks, both sides assess: no signal at all."""
    s = Script("iv").opened().ask("q1", K.INVITE_STORY).story("s1").ask("q2", K.CLARIFYING, about="s1")
    s.answer("a2", "q2").ask("q3", K.CLARIFYING, about="a2").ask("q4", K.ABOUT_COMPANY, asker="cand")
    s.assess("c1", GoalId.COMPANY_LEVEL, Rating.YES).assess(
        "k1", GoalId.COMPANY_ATTRACT, Rating.YES, by="cand"
    )
    return s.conclude()


def test_a_good_interview_has_no_signal() -> None:
    assert codes(rich()) == []


def test_story_not_invited_fires_on_scripted_or_challenge_before_any_story() -> None:
    s = Script("iv").opened().ask("q1", K.SCRIPTED)
    assert codes(s) == ["story_not_invited"]
    assert evidence(s, "story_not_invited") == ids(s, 1)
    assert codes(Script("iv").opened().ask("q1", K.CHALLENGE)) == [
        "story_not_invited",
        "adversarial_interview",
    ]


def test_story_not_invited_does_not_fire_after_a_story_or_for_the_candidate() -> None:
    assert codes(Script("iv").opened().story("s1").ask("q1", K.SCRIPTED)) == []
    assert codes(Script("iv").opened().ask("q1", K.SCRIPTED, asker="cand")) == []
    assert codes(Script("iv").opened().ask("q1", K.INVITE_STORY)) == []


def checklist_script(scripted: int, other: int) -> Script:
    s = Script("iv").opened().story("s1")
    for i in range(scripted):
        s.ask(f"q{i}", K.SCRIPTED)
    for i in range(other):
        s.ask(f"o{i}", K.INVITE_STORY)
    return s


def test_checklist_interview_boundaries() -> None:
    assert "checklist_interview" in codes(checklist_script(3, 2))  # 60 % of 5
    assert "checklist_interview" not in codes(checklist_script(2, 3))  # 40 %
    assert "checklist_interview" not in codes(checklist_script(4, 0))  # too few questions
    assert "checklist_interview" in codes(checklist_script(6, 4))
    assert "checklist_interview" not in codes(checklist_script(5, 4))  # 55 %
    s = checklist_script(3, 2)
    assert evidence(s, "checklist_interview") == ids(s, 2, 3, 4)


def test_shallow_exploration_only_at_conclusion_and_counts_the_thread() -> None:
    s = Script("iv").opened().story("s1").ask("q1", K.CLARIFYING, about="s1")
    assert "shallow_exploration" not in codes(s)  # not concluded yet
    shallow = Script("iv").opened().story("s1").ask("q1", K.CLARIFYING, about="s1").conclude()
    assert "shallow_exploration" in codes(shallow)
    assert evidence(shallow, "shallow_exploration") == ids(shallow, 1)
    deep = Script("iv").opened().story("s1").ask("q1", K.CLARIFYING, about="s1").answer("a1", "q1")
    deep.ask("q2", K.CLARIFYING, about="a1").conclude()  # about an answer in the story's thread
    assert "shallow_exploration" not in codes(deep)


def test_shallow_exploration_is_an_average_over_stories() -> None:
    s = Script("iv").opened().story("s1").story("s2")
    for i in range(3):
        s.ask(f"q{i}", K.CLARIFYING, about="s1")
    s.ask("q9", K.CLARIFYING, about="s2").conclude()  # (3 + 1) / 2 = 2
    assert "shallow_exploration" not in codes(s)
    unrelated = Script("iv").opened().story("s1").ask("q1", K.CLARIFYING).ask("q2", K.CLARIFYING).conclude()
    assert "shallow_exploration" in codes(unrelated)  # clarifying about nothing does not count


def test_adversarial_interview() -> None:
    two = Script("iv").opened().story("s1").ask("c1", K.CHALLENGE).ask("x", K.CLARIFYING, about="s1")
    assert "adversarial_interview" not in codes(two)  # 1 challenge, 1 clarifying
    two.ask("c2", K.CHALLENGE)
    assert "adversarial_interview" in codes(two)
    assert evidence(two, "adversarial_interview") == ids(two, 2, 4)
    outnumbered = Script("iv").opened().story("s1").ask("c1", K.CHALLENGE)
    assert "adversarial_interview" in codes(outnumbered)


def test_no_story_and_no_candidate_questions_only_when_concluded() -> None:
    s = Script("iv").opened().ask("q1", K.INVITE_STORY)
    assert codes(s) == []
    s.conclude(Outcome.WITHDRAWN_BY_CANDIDATE)
    assert {"no_story", "no_candidate_questions"} <= set(codes(s))
    assert evidence(s, "no_story") == ids(s, 2)
    asked = Script("iv").opened().story("s1").ask("q", K.ABOUT_ROLE, asker="cand").conclude()
    assert "no_candidate_questions" not in codes(asked)
    assert "no_story" not in codes(asked)


def test_one_sided_assessment() -> None:
    s = Script("iv").opened().story("s1").assess("c1", GoalId.COMPANY_LEVEL, Rating.YES)
    assert "one_sided_assessment" not in codes(s)
    s.conclude()
    signal = next(x for x in evaluate(fold(s), ThresholdsV1()).signals if x.code == "one_sided_assessment")
    assert signal.message == "candidate assessed none of the goals"
    assert signal.evidence == ids(s, 2, 3)
    assert "one_sided_assessment" not in codes(rich())


def test_thresholds_change_signals() -> None:
    s = checklist_script(2, 3)
    loose = evaluate(fold(s), ThresholdsV1(checklist_share=0.4))
    assert "checklist_interview" in [x.code for x in loose.signals]
