"""Both services' state survives its changelog encoding: what is restored decides exactly as what was kept."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas.common import Confidence, QuestionKind, Rating
from services.decision.adapters import snapshot as decision
from services.decision.domain.policy import Policies
from services.decision.domain.revisions import InterviewState, Poison, settled, step
from services.interview.adapters import snapshot as writer
from services.interview.domain import fold
from services.interview.domain.state import retired
from testkit.interviews import COMPANY, Script, checklist, story_first, stream

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(interviews=st.integers(1, 6), cut=st.integers(1, 40), seed=st.integers(0, 10_000))
def test_decision_state_round_trips_at_every_step(interviews: int, cut: int, seed: int) -> None:
    events = stream(interviews, prefix=f"s{seed}")[:cut]
    policies = Policies()
    kept: dict[str, InterviewState] = {}
    restored: dict[str, InterviewState] = {}
    for event in events:
        key = event.attributes.subject
        kept[key], revision, _ = step(kept.get(key, InterviewState()), event, policies)
        again, revision_again, _ = step(restored.get(key, InterviewState()), event, policies)
        restored[key] = decision.load_state(decision.dump_state(again))
        assert restored[key] == settled(kept[key])  # a concluded interview keeps only what refuses
        assert revision_again == revision


def test_a_settled_interview_decides_every_later_input_as_the_full_one() -> None:
    """ADR 0015: once concluded and final, the stored state drops the facts and the verdict."""
    for script in (story_first("iv-a"), checklist("iv-b")):
        full = InterviewState()
        for event in script.events:
            full, _, _ = step(full, event, Policies())
        stored = decision.dump_state(full)
        small = decision.load_state(stored)
        assert small.projection is not None
        assert small.projection.assessments == ()
        assert small.published is not None
        assert small.published.verdict is None
        assert full.projection is not None
        assert full.published is not None
        unsettled = {"p": decision._projection(full.projection), "r": decision._published(full.published)}
        assert len(stored) * 5 < len(json.dumps(unsettled, separators=(",", ":")))
        late = script.story("late").events[-1]  # written after the conclusion: a corrupt history
        poison = Poison(script.interview_id, 99, "undecodable", "not JSON")
        for item in [*script.events, late, poison]:  # redeliveries, the head again, a late event
            assert step(small, item, Policies(), 99) == (lambda s, r, p: (settled(s), r, p))(
                *step(full, item, Policies(), 99)
            )
        parked = step(full, late, Policies(), 99)[2]
        assert parked is not None
        assert parked.code == "after_concluded"


def test_interview_state_round_trips_and_a_concluded_one_keeps_only_what_refuses() -> None:
    for script in (story_first("iv-a"), checklist("iv-b")):
        for n in range(1, len(script.events) + 1):
            state = fold(script.interview_id, script.events[:n])
            again = writer.load_state(script.interview_id, writer.dump_state(state))
            assert again == retired(state)
    concluded = fold("iv-a", story_first("iv-a").events)
    assert concluded.concluded
    small = writer.load_state("iv-a", writer.dump_state(concluded))
    assert (small.version, small.last_hash, small.opened, small.concluded) == (
        concluded.version, concluded.last_hash, True, True
    )  # fmt: skip
    assert small.participants == concluded.participants  # who may be told `concluded` (ADR 0022)
    assert not small.item_ids


@SETTINGS
@given(cut=st.integers(1, 40), confidence=st.sampled_from([None, *Confidence]))
def test_policy_v2_state_round_trips_with_stated_confidence(cut: int, confidence: Confidence | None) -> None:
    """v2 reads each assessment's stated confidence, and its published verdict has v2's shape."""
    script = Script("iv-v2").opened(policy_version="v2").ask("q1", QuestionKind.INVITE_STORY)
    script.story("s1", in_reply_to="q1")
    for i, goal in enumerate(COMPANY, 1):
        script.assess(f"c{i}", goal, Rating.YES, confidence=confidence)
    script.conclude()
    events = [*script.events, *stream(2, prefix="v1")][:cut]
    for policies in (Policies(), Policies.of("v2")):
        kept: dict[str, InterviewState] = {}
        for event in events:
            key = event.attributes.subject
            kept[key], _, _ = step(kept.get(key, InterviewState()), event, policies)
            again = decision.load_state(decision.dump_state(kept[key]))
            assert again == settled(kept[key])
            assert step(again, event, policies) == step(settled(kept[key]), event, policies)
