"""Given events -> when command -> then events or rejection: assessments and conclusion."""

from __future__ import annotations

import pytest

from schemas.common import GoalId, Side
from schemas.interview import GoalAssessed, InterviewConcluded
from tests.unit.interview.given import (
    ALICE,
    BOB,
    CANDIDATE,
    accepted,
    assess,
    conclude,
    given,
    open_payload,
    opened_story_told,
    question,
    rejected,
    story,
    when,
)

# assessments ----------------------------------------------------------------------------------------


def test_an_assessment_records_the_assessor_side_and_evidence() -> None:
    _, state = opened_story_told()
    event = accepted(when(state, ALICE, assess("g1", "company.level", ["s1", "q1"], "strong_yes")))
    assert isinstance(event.data, GoalAssessed)
    assert (event.data.assessor, event.data.assessor_side, event.data.goal) == (
        ALICE,
        Side.COMPANY,
        GoalId.COMPANY_LEVEL,
    )
    assert event.data.supersedes is None


def test_either_side_assesses_any_goal() -> None:
    _, state = opened_story_told()
    event = accepted(when(state, CANDIDATE, assess("g1", "company.level", ["q1"], "no")))
    assert isinstance(event.data, GoalAssessed)
    assert event.data.assessor_side is Side.CANDIDATE


@pytest.mark.parametrize("item", ["s404", "g1"], ids=["unknown", "an-assessment"])
def test_evidence_is_a_story_question_or_answer_of_this_interview(item: str) -> None:
    _, state = given(
        *[(ALICE, open_payload()), (ALICE, question("q1", "invite_story"))],
        (CANDIDATE, story("s1")),
        (ALICE, assess("g1", "company.level", ["s1"])),
    )
    outcome = rejected(
        when(state, ALICE, assess("g2", "company.application", ["s1", item])), "invalid_evidence"
    )
    assert outcome.field == "payload.evidence[1]"
    assert item in outcome.message


def test_reassessing_a_goal_supersedes_the_same_assessors_earlier_assessment() -> None:
    _, state = given(
        *[(ALICE, open_payload()), (ALICE, question("q1", "invite_story"))],
        (CANDIDATE, story("s1")),
        (ALICE, assess("g1", "company.level", ["s1"])),
        (BOB, assess("g2", "company.level", ["s1"])),
    )
    event = accepted(when(state, ALICE, assess("g3", "company.level", ["s1"], "strong_yes")))
    assert isinstance(event.data, GoalAssessed)
    assert event.data.supersedes == "g1"
    other_goal = accepted(when(state, ALICE, assess("g3", "company.application", ["s1"])))
    assert isinstance(other_goal.data, GoalAssessed)
    assert other_goal.data.supersedes is None


# conclusion -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actor", "outcome"),
    [
        (ALICE, "completed"),
        (CANDIDATE, "completed"),
        (CANDIDATE, "withdrawn_by_candidate"),
        (BOB, "withdrawn_by_company"),
        (ALICE, "no_show"),
    ],
)
def test_any_participant_concludes(actor: str, outcome: str) -> None:
    _, state = opened_story_told()
    event = accepted(when(state, actor, conclude(outcome)))
    assert isinstance(event.data, InterviewConcluded)
    assert (event.data.concluded_by, event.data.outcome.value) == (actor, outcome)


@pytest.mark.parametrize(
    ("actor", "outcome"), [(ALICE, "withdrawn_by_candidate"), (CANDIDATE, "withdrawn_by_company")]
)
def test_a_side_withdraws_only_for_itself(actor: str, outcome: str) -> None:
    _, state = opened_story_told()
    rejected(when(state, actor, conclude(outcome)), "wrong_side", "payload.outcome")
