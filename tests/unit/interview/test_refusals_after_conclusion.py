"""After conclusion a participant hears ``concluded``; a stranger hears what they hear anywhere (0022).

The writer keeps a concluded interview *retired* (``domain.state.retired``): the stored state drops
every item id. It used to drop the participants too, so a participant was told ``not_a_participant``.
"""

from __future__ import annotations

import pytest

from schemas.common import Side
from services.interview.adapters.snapshot import dump_state, load_state
from services.interview.domain import InterviewState
from services.interview.domain.state import retired
from tests.unit.interview.given import (
    ALICE,
    CANDIDATE,
    IID,
    MALLORY,
    conclude,
    given,
    open_payload,
    question,
    rejected,
    story,
    when,
)

NON_OPEN = [story("s9"), question("q9", "scripted"), conclude()]


def _concluded() -> InterviewState:
    """A concluded interview as the writer keeps it: retired, and through its stored bytes."""
    _, state = given((ALICE, open_payload()), (ALICE, question("q1", "invite_story")), (ALICE, conclude()))
    return load_state(IID, dump_state(retired(state)))


def test_the_retired_state_keeps_who_took_part_and_no_item_ids() -> None:
    state = _concluded()
    assert state.concluded
    assert {state.side_of(ALICE), state.side_of(CANDIDATE)} == {Side.COMPANY, Side.CANDIDATE}
    assert (state.item_ids, state.questions, state.assessments) == (frozenset(), {}, {})


@pytest.mark.parametrize("actor", [ALICE, CANDIDATE])
@pytest.mark.parametrize("payload", NON_OPEN, ids=lambda p: p["type"])
def test_a_participant_is_told_concluded_with_the_version(actor: str, payload: dict[str, object]) -> None:
    state = _concluded()
    outcome = rejected(when(state, actor, payload), "concluded", "interview_id")
    assert outcome.current_version == state.version == 3


@pytest.mark.parametrize("payload", NON_OPEN, ids=lambda p: p["type"])
def test_a_stranger_is_told_only_that_they_are_one(payload: dict[str, object]) -> None:
    outcome = rejected(when(_concluded(), MALLORY, payload), "not_a_participant", "actor_id")
    assert outcome.current_version is None
    assert "concluded" not in outcome.message
