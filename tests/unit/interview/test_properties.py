"""Properties (hypothesis): contiguous sequence, valid hash chain, evolve(decide) == rebuild from log."""

from __future__ import annotations

from typing import Any

from hypothesis import given as for_all
from hypothesis import settings
from hypothesis import strategies as st

from schemas.chain import GENESIS_HASH
from schemas.codec import decode, encode
from schemas.common import GoalId, QuestionKind, Rating, StoryKind
from schemas.envelope import Event
from services.interview.domain import Code, InterviewState, Rejection, decide, evolve, fold
from services.interview.domain.rules import QUESTION_SIDES
from tests.unit.interview.given import (
    ALICE,
    BOB,
    CANDIDATE,
    IID,
    MALLORY,
    SIDES,
    answer,
    assess,
    command,
    conclude,
    open_payload,
    question,
    stamp,
    story,
)

PEOPLE = sorted(SIDES)


def _story(draw: Any, state: InterviewState, n: int) -> tuple[str, dict[str, Any]]:
    reply = draw(st.sampled_from([None, *sorted(state.questions)]))
    kind = draw(st.sampled_from(list(StoryKind))).value
    return CANDIDATE, story(f"s{n}", in_reply_to=reply, kind=kind)  # stories are the candidate's


def _question(draw: Any, state: InterviewState, n: int) -> tuple[str, dict[str, Any]]:
    actor = draw(st.sampled_from(PEOPLE))
    referable = sorted(state.stories | state.answers)
    kinds = [k for k, sides in QUESTION_SIDES.items() if SIDES[actor] in sides]
    if not referable:
        kinds.remove(QuestionKind.CLARIFYING)
    kind = draw(st.sampled_from(kinds))
    about = draw(st.sampled_from(referable)) if kind is QuestionKind.CLARIFYING else None
    return actor, question(f"q{n}", kind.value, about)


def _answer(draw: Any, state: InterviewState, n: int) -> tuple[str, dict[str, Any]]:
    question_id = draw(st.sampled_from(sorted(state.questions)))
    asker_side = SIDES[state.questions[question_id]]
    actor = draw(st.sampled_from([p for p in PEOPLE if SIDES[p] is not asker_side]))
    return actor, answer(f"a{n}", question_id)


def _assessment(draw: Any, state: InterviewState, n: int) -> tuple[str, dict[str, Any]]:
    pool = sorted(state.stories | state.answers | set(state.questions))
    evidence = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3, unique=True))
    goal, rating = draw(st.sampled_from(list(GoalId))), draw(st.sampled_from(list(Rating)))
    return draw(st.sampled_from(PEOPLE)), assess(f"g{n}", goal.value, evidence, rating.value)


@st.composite
def valid_step(draw: Any, state: InterviewState, n: int) -> tuple[str, dict[str, Any]]:
    """An (actor, payload) the rules must accept in ``state``."""
    makers = [_story, _question]
    if state.questions:
        makers.append(_answer)
    if state.stories or state.questions:
        makers.append(_assessment)
    return draw(st.sampled_from(makers))(draw, state, n)  # type: ignore[no-any-return]


def _accept(state: InterviewState, actor: str, payload: dict[str, Any], n: int) -> list[Event]:
    outcome = decide(state, command(payload, actor=actor, version=state.version), stamp(n))
    assert not isinstance(outcome, Rejection), (payload, outcome)
    return outcome


@settings(max_examples=60, deadline=None)
@for_all(st.data(), st.integers(min_value=0, max_value=30), st.booleans())
def test_valid_histories_chain_and_rebuild(data: st.DataObject, steps: int, concluded: bool) -> None:
    state, events = InterviewState(IID), []
    plan = [(ALICE, open_payload())]
    for n in range(steps + 1):
        actor, payload = plan.pop() if plan else data.draw(valid_step(state, n))
        new = _accept(state, actor, payload, n)
        for event in new:
            state = evolve(state, event)
        events.extend(new)
    if concluded:
        new = _accept(state, data.draw(st.sampled_from(PEOPLE)), conclude(), 999)
        state, events = evolve(state, new[0]), [*events, *new]
    assert [e.attributes.sequence for e in events] == list(range(1, len(events) + 1))
    assert [e.attributes.prevhash for e in events] == [GENESIS_HASH, *(e.chain_hash for e in events[:-1])]
    from_log = [decode(r.value, r.headers, r.key) for r in map(encode, events)]
    assert fold(IID, from_log) == state
    assert state.version == len(events)


ANY_PAYLOAD = st.one_of(
    st.builds(
        story, st.sampled_from(["s1", "s2", "q1", "a1"]), in_reply_to=st.sampled_from([None, "q1", "zz"])
    ),
    st.builds(
        question,
        st.sampled_from(["q1", "q2", "s1"]),
        st.sampled_from([k.value for k in QuestionKind]),
        st.sampled_from([None, "s1", "a1", "q1", "zz"]),
    ),
    st.builds(answer, st.sampled_from(["a1", "a2", "q1"]), st.sampled_from(["q1", "q2", "zz"])),
    st.builds(
        assess,
        st.sampled_from(["g1", "g2", "s1"]),
        st.sampled_from([g.value for g in GoalId]),
        st.lists(st.sampled_from(["s1", "q1", "a1", "g1", "zz"]), min_size=1, max_size=2, unique=True),
    ),
    st.builds(conclude, st.sampled_from(["completed", "withdrawn_by_candidate", "withdrawn_by_company"])),
    st.just(open_payload()),
)


@settings(max_examples=150, deadline=None)
@for_all(
    st.lists(
        st.tuples(st.sampled_from([CANDIDATE, ALICE, BOB, MALLORY]), st.integers(-1, 1), ANY_PAYLOAD),
        max_size=25,
    )
)
def test_any_command_is_decided_never_crashes_and_rejections_change_nothing(
    attempts: list[tuple[str, int, dict[str, Any]]],
) -> None:
    state, accepted = InterviewState(IID), []
    for n, (actor, skew, payload) in enumerate(attempts):
        cmd = command(payload, actor=actor, version=max(0, state.version + skew))
        outcome = decide(state, cmd, stamp(n))
        if isinstance(outcome, Rejection):
            assert outcome.code in set(Code)
            hidden = outcome.code is Code.NOT_A_PARTICIPANT  # a stranger is not told the version
            assert outcome.current_version == (None if hidden else state.version)
            assert decide(state, cmd, stamp(n)) == outcome  # same state, same command: same answer
            continue
        assert cmd.expected_version == state.version
        assert [e.attributes.sequence for e in outcome] == [state.version + 1]
        assert outcome[0].attributes.actorside.value == SIDES[actor].value
        state = evolve(state, outcome[0])
        accepted.extend(outcome)
    assert fold(IID, accepted) == state
    assert MALLORY not in state.participants
