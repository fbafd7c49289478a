"""Given events -> when command -> then events or rejection, for every rule and rejection code."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from schemas.chain import GENESIS_HASH
from schemas.common import POLICY_VERSIONS, ActorSide
from schemas.interview import (
    InterviewOpened,
    QuestionAnswered,
    QuestionAsked,
    StoryTold,
)
from schemas.registry import INTERVIEW_SOURCE
from services.interview.domain import InterviewState, Stamp, decide
from tests.unit.interview.given import (
    ALICE,
    BOB,
    CANDIDATE,
    IID,
    MALLORY,
    accepted,
    answer,
    assess,
    command,
    conclude,
    given,
    open_payload,
    opened_story_told,
    question,
    rejected,
    stamp,
    story,
    when,
)

NON_OPEN = [story("s9"), question("q9", "scripted"), answer("a9", "q1"), conclude()]


# lifecycle ------------------------------------------------------------------------------------------


def test_open_appends_the_first_event_with_the_whole_envelope() -> None:
    event = accepted(when(InterviewState(IID), ALICE, open_payload(), actor_side="company"))
    attrs = event.attributes
    assert isinstance(event.data, InterviewOpened)
    assert event.data.candidate_id == CANDIDATE
    assert event.data.policy_version == "v1"
    assert (attrs.sequence, attrs.prevhash, attrs.subject, attrs.partitionkey) == (1, GENESIS_HASH, IID, IID)
    assert (attrs.actorid, attrs.actorside, attrs.source) == (ALICE, ActorSide.COMPANY, INTERVIEW_SOURCE)
    assert attrs.type == "hiring.interview.opened.v1"
    assert attrs.correlationid == "corr-1"
    assert attrs.time.year == 2025


def test_an_interview_opens_once() -> None:
    _, state = given((ALICE, open_payload()))
    rejected(when(state, ALICE, open_payload(), version=0), "already_opened", "interview_id")


@pytest.mark.parametrize("payload", NON_OPEN, ids=lambda p: p["type"])
def test_nothing_before_opened(payload: dict[str, object]) -> None:
    rejected(when(InterviewState(IID), ALICE, payload), "not_opened", "interview_id")


@pytest.mark.parametrize("payload", [*NON_OPEN, open_payload()], ids=lambda p: p["type"])
def test_nothing_after_concluded(payload: dict[str, object]) -> None:
    _, state = given((ALICE, open_payload()), (ALICE, question("q1", "invite_story")), (ALICE, conclude()))
    outcome = when(state, CANDIDATE, payload)
    rejected(outcome, "already_opened" if payload["type"] == "open_interview" else "concluded")


# concurrency ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("seen", [0, 2, 7])
def test_expected_version_must_be_the_current_version(seen: int) -> None:
    _, state = opened_story_told()
    outcome = rejected(
        when(state, ALICE, question("q2", "clarifying", "s1"), version=seen), "version_conflict"
    )
    assert outcome.field == "expected_version"
    assert outcome.current_version == 3
    assert "expected_version=3" in outcome.message


def test_each_accepted_command_moves_the_version_by_one_and_extends_the_chain() -> None:
    events, state = opened_story_told()
    assert [e.attributes.sequence for e in events] == [1, 2, 3]
    assert [e.attributes.prevhash for e in events[1:]] == [e.chain_hash for e in events[:-1]]
    assert (state.version, state.last_hash) == (3, events[-1].chain_hash)


# who may act ----------------------------------------------------------------------------------------


def test_the_opener_must_be_among_the_participants() -> None:
    rejected(when(InterviewState(IID), MALLORY, open_payload()), "not_a_participant", "actor_id")


@pytest.mark.parametrize("payload", NON_OPEN, ids=lambda p: p["type"])
def test_only_participants_act(payload: dict[str, object]) -> None:
    _, state = opened_story_told()
    outcome = rejected(when(state, MALLORY, payload), "not_a_participant", "actor_id")
    assert CANDIDATE not in outcome.message
    assert ALICE not in outcome.message
    assert outcome.current_version is None  # nor the interview's version


def test_a_stranger_hears_nothing_but_that_they_are_one() -> None:
    """Not the version (version_conflict), not that the interview is concluded: not_a_participant."""
    _, state = opened_story_told()
    stale = when(state, MALLORY, {"type": "conclude_interview", "outcome": "completed"}, version=1)
    outcome = rejected(stale, "not_a_participant", "actor_id")
    assert outcome.current_version is None


@pytest.mark.parametrize(("actor", "claimed"), [(CANDIDATE, "company"), (ALICE, "candidate")])
def test_a_participant_acts_only_for_their_own_side(actor: str, claimed: str) -> None:
    _, state = opened_story_told()
    rejected(when(state, actor, story("s2"), actor_side=claimed), "wrong_side", "actor_side")


def test_claiming_ones_own_side_is_fine() -> None:
    _, state = opened_story_told()
    event = accepted(when(state, CANDIDATE, story("s2"), actor_side="candidate"))
    assert event.attributes.actorside == ActorSide.CANDIDATE


# opening --------------------------------------------------------------------------------------------


def test_participant_ids_are_unique() -> None:
    people = [*open_payload()["participants"], {"id": ALICE, "side": "company", "role": "observer"}]
    outcome = rejected(
        when(InterviewState(IID), ALICE, open_payload(participants=people)), "invalid_participants"
    )
    assert outcome.field == "payload.participants"
    assert ALICE in outcome.message


def test_both_sides_take_part() -> None:
    people = [
        {"id": ALICE, "side": "company", "role": "interviewer"},
        {"id": BOB, "side": "company", "role": "x"},
    ]
    payload = open_payload(participants=people, candidate_id=ALICE)
    rejected(when(InterviewState(IID), ALICE, payload), "invalid_participants", "payload.participants")


@pytest.mark.parametrize("candidate_id", [ALICE, "nobody"])
def test_the_candidate_is_a_candidate_side_participant(candidate_id: str) -> None:
    payload = open_payload(candidate_id=candidate_id)
    rejected(when(InterviewState(IID), ALICE, payload), "invalid_participants", "payload.candidate_id")


@pytest.mark.parametrize("version", ["v3", "v17"])
def test_an_interview_opens_under_a_known_policy_only(version: str) -> None:
    payload = open_payload(policy_version=version)
    outcome = rejected(when(InterviewState(IID), ALICE, payload), "unknown_policy", "payload.policy_version")
    assert version in outcome.message
    assert "'v1'" in outcome.message


def test_an_open_naming_no_policy_opens_under_the_services_setting() -> None:
    """INTERVIEW_POLICY_VERSION reaches the domain in the stamp; a policy the command names wins."""
    payload = open_payload()
    payload.pop("policy_version", None)
    for setting in POLICY_VERSIONS:
        cmd = command(payload, actor=ALICE, version=0)
        event = accepted(decide(InterviewState(IID), cmd, replace(stamp(99), policy_version=setting)))
        assert isinstance(event.data, InterviewOpened)
        assert event.data.policy_version == setting
    named = command(open_payload(policy_version="v1"), actor=ALICE, version=0)
    event = accepted(decide(InterviewState(IID), named, replace(stamp(99), policy_version="v2")))
    assert isinstance(event.data, InterviewOpened)
    assert event.data.policy_version == "v1"
    default = accepted(decide(InterviewState(IID), command(payload, actor=ALICE, version=0), stamp(99)))
    assert isinstance(default.data, InterviewOpened)
    assert default.data.policy_version == "v1"  # the setting's own default


def test_every_known_policy_opens() -> None:
    for version in POLICY_VERSIONS:
        event = accepted(when(InterviewState(IID), ALICE, open_payload(policy_version=version)))
        assert isinstance(event.data, InterviewOpened)
        assert event.data.policy_version == version


# stories and questions ------------------------------------------------------------------------------


def test_a_story_is_told_by_the_actor_in_reply_to_an_invitation() -> None:
    events, state = opened_story_told()
    assert isinstance(events[-1].data, StoryTold)
    assert events[-1].data.teller == CANDIDATE
    assert events[-1].data.in_reply_to == "q1"
    assert state.stories == {"s1"}


@pytest.mark.parametrize("teller", [ALICE, BOB])
def test_stories_are_the_candidates(teller: str) -> None:
    """An interviewer's anecdote is not a story: it would hide story_not_invited and no_story."""
    _, state = given((ALICE, open_payload()))
    outcome = rejected(when(state, teller, story("s1")), "wrong_side", "actor_id")
    assert "candidate" in outcome.message
    assert teller in outcome.message


def test_a_story_replies_only_to_an_existing_question() -> None:
    _, state = opened_story_told()
    rejected(
        when(state, CANDIDATE, story("s2", in_reply_to="q404")), "unknown_reference", "payload.in_reply_to"
    )


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        (story("q1"), "payload.story_id"),
        (question("s1", "clarifying", "s1"), "payload.question_id"),
        (answer("q1", "q1"), "payload.answer_id"),
        (assess("s1", "candidate.present", ["s1"]), "payload.assessment_id"),
    ],
    ids=["story", "question", "answer", "assessment"],
)
def test_item_ids_are_unique_in_the_interview(payload: dict[str, object], field: str) -> None:
    _, state = opened_story_told()
    actor = CANDIDATE if payload["type"] in ("tell_story", "answer_question") else ALICE
    rejected(when(state, actor, payload), "duplicate_id", field)


def test_a_clarifying_question_points_at_a_story() -> None:
    _, state = opened_story_told()
    event = accepted(when(state, BOB, question("q2", "clarifying", "s1")))
    assert isinstance(event.data, QuestionAsked)
    assert (event.data.asker, event.data.about) == (BOB, "s1")


def test_a_clarifying_question_may_point_at_an_answer() -> None:
    _, state = given(
        *[(ALICE, open_payload()), (ALICE, question("q1", "scripted"))],
        (CANDIDATE, answer("a1", "q1")),
    )
    accepted(when(state, ALICE, question("q2", "clarifying", "a1")))


def test_a_clarifying_question_needs_about() -> None:
    _, state = opened_story_told()
    rejected(when(state, ALICE, question("q2", "clarifying")), "missing_reference", "payload.about")


@pytest.mark.parametrize("about", ["s404", "q1"])
def test_about_must_be_a_story_or_answer_of_this_interview(about: str) -> None:
    _, state = opened_story_told()
    rejected(when(state, ALICE, question("q2", "clarifying", about)), "unknown_reference", "payload.about")


@pytest.mark.parametrize(
    ("actor", "kind"),
    [
        (CANDIDATE, "scripted"),
        (CANDIDATE, "challenge"),
        (CANDIDATE, "invite_story"),
        (ALICE, "about_company"),
    ],
)
def test_each_side_asks_its_own_kinds_of_question(actor: str, kind: str) -> None:
    _, state = opened_story_told()
    outcome = rejected(when(state, actor, question("q2", kind)), "wrong_side", "payload.kind")
    assert "allowed kinds" in outcome.message


def test_the_candidate_asks_about_the_company_and_the_company_answers() -> None:
    _, state = given((ALICE, open_payload()), (CANDIDATE, question("q1", "about_role")))
    event = accepted(when(state, BOB, answer("a1", "q1")))
    assert isinstance(event.data, QuestionAnswered)
    assert (event.data.answerer, event.data.question_id) == (BOB, "q1")


def test_an_answer_needs_an_existing_question() -> None:
    _, state = opened_story_told()
    rejected(when(state, CANDIDATE, answer("a1", "q404")), "unknown_reference", "payload.question_id")


def test_a_side_does_not_answer_its_own_question() -> None:
    _, state = opened_story_told()
    rejected(when(state, BOB, answer("a1", "q1")), "wrong_side", "payload.question_id")


def test_event_time_never_goes_backwards_when_a_new_owner_clock_lags() -> None:
    _, state = given((ALICE, open_payload()), (ALICE, question("q1", "invite_story")))
    assert state.last_time is not None
    lagging = Stamp(
        event_ids=["0b9b3c1e-8f0e-4c53-9a35-7a0d8d7f0001"], time=state.last_time - timedelta(hours=1)
    )
    cmd = command(story("s1", in_reply_to="q1"), actor=CANDIDATE, version=state.version)
    event = accepted(decide(state, cmd, lagging))
    assert event.attributes.time == state.last_time
    ahead = Stamp(
        event_ids=["0b9b3c1e-8f0e-4c53-9a35-7a0d8d7f0002"], time=state.last_time + timedelta(seconds=5)
    )
    assert accepted(decide(state, cmd, ahead)).attributes.time == ahead.time
