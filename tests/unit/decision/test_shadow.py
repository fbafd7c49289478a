"""A policy in shadow (ADR 0024): its revisions equal a forced replay, the own policy's are untouched."""

from __future__ import annotations

import dataclasses

import pytest

from schemas import encode
from schemas.decision import VerdictChanged
from schemas.envelope import Event
from services.decision.adapters.snapshot import dump_shadow, load_shadow
from services.decision.domain.policy import Policies, Policy, policy_for
from services.decision.domain.policy.v1 import THRESHOLDS_V1, evaluate
from services.decision.domain.replay import project, revisions, subject_of
from services.decision.domain.revisions import InterviewState, Poison, step
from services.decision.domain.shadow import (
    NOT_SHADOWED,
    Shadowed,
    already_shadowed,
    settled_shadow,
    shadow_revise,
)
from services.decision.entrypoints.settings import DecisionSettings
from testkit.interviews import checklist, interleaved, story_first

# A shadow that declines sooner than v1: distinct verdicts, so the two chains must stay apart.
STRICT = Policy("v9", dataclasses.replace(THRESHOLDS_V1, decline_score_below=2.0), evaluate)


def run(items: list[Event | Poison], shadow: Policy) -> tuple[list[Event], list[Event]]:
    """What the projector writes with a shadow: (own policy's revisions, shadow revisions)."""
    states: dict[str, InterviewState] = {}
    shadows: dict[str, Shadowed] = {}
    own, apart = [], []
    policies = Policies()
    for item in items:
        key = subject_of(item)
        state, revision, _ = step(states.get(key, InterviewState()), item, policies)
        states[key] = state
        own += [revision] if revision is not None else []
        if isinstance(item, Event):
            shadows[key], extra = shadow_revise(state, shadows.get(key, NOT_SHADOWED), shadow, item)
            apart += [extra] if extra is not None else []
    return own, apart


def wire(events: list[Event]) -> list[tuple[bytes, bytes, list[tuple[str, bytes]]]]:
    return [(r.key, r.value, r.headers) for r in map(encode, events)]


def test_shadow_revisions_are_byte_identical_to_a_replay_forced_to_the_shadow_policy() -> None:
    items: list[Event | Poison] = list(interleaved(story_first("a").events, checklist("b").events))
    own, apart = run(items, STRICT)
    assert wire(own) == wire(project(items))  # the own policy's revisions are exactly as without a shadow
    assert wire(apart) == wire(list(revisions(items, Policies(forced=STRICT))))
    assert {e.data.policy_version for e in apart if isinstance(e.data, VerdictChanged)} == {"v9"}
    assert {e.attributes.id for e in own}.isdisjoint(e.attributes.id for e in apart)


def test_the_shadow_verdicts_differ_where_its_thresholds_do() -> None:
    own, apart = run(list(story_first("a").events), STRICT)
    assert isinstance(own[-1].data, VerdictChanged)
    assert isinstance(apart[-1].data, VerdictChanged)
    assert (own[-1].data.company.decision, apart[-1].data.company.decision) == ("proceed", "decline")


def test_an_interview_opened_before_the_shadow_ran_is_not_shadowed() -> None:
    events = story_first("a").events
    state, _, _ = step(InterviewState(), events[0], Policies())
    for event in events[1:]:
        state, _, _ = step(state, event, Policies())
        shadow, revision = shadow_revise(state, NOT_SHADOWED, STRICT, event)
        assert (shadow, revision) == (NOT_SHADOWED, None)


def test_an_interview_opened_under_the_shadow_policy_itself_is_not_shadowed() -> None:
    own_v1 = policy_for("v1")
    events = story_first("a").events
    state, _, _ = step(InterviewState(), events[0], Policies())
    assert shadow_revise(state, NOT_SHADOWED, own_v1, events[0]) == (NOT_SHADOWED, None)


def test_a_concluded_interview_settles_its_shadow_and_the_bookkeeping_round_trips() -> None:
    events = story_first("a").events
    state, shadow = InterviewState(), NOT_SHADOWED
    for event in events:
        state, _, _ = step(state, event, Policies())
        shadow, _ = shadow_revise(state, shadow, STRICT, event)
        if event is not events[-1]:
            assert settled_shadow(shadow, state) is shadow  # not concluded yet: kept whole
    assert shadow.last is not None
    assert shadow.last.verdict is not None
    done = settled_shadow(shadow, state)
    assert done.last is not None
    assert done.last.verdict is None
    assert load_shadow(dump_shadow(shadow.last)) == shadow.last
    assert load_shadow(dump_shadow(done.last)) == done.last
    assert shadow_revise(state, done, STRICT, events[-1]) == (done, None)  # redelivered: nothing


def test_already_shadowed_marks_what_a_rebuild_must_only_fold() -> None:
    events = story_first("a").events
    state, shadow = InterviewState(), NOT_SHADOWED
    for event in events[:5]:
        state, _, _ = step(state, event, Policies())
        shadow, _ = shadow_revise(state, shadow, STRICT, event)
    assert shadow.last is not None
    assert already_shadowed(shadow, events[shadow.last.input_sequence - 1])
    assert not already_shadowed(shadow, events[shadow.last.input_sequence])
    assert not already_shadowed(NOT_SHADOWED, events[0])


def test_a_parked_interview_gets_no_shadow_revision() -> None:
    events = story_first("a").events
    poison = Poison("a", 7, "undecodable", "not JSON")
    state, shadow = InterviewState(), NOT_SHADOWED
    for event in events[:3]:
        state, _, _ = step(state, event, Policies())
        shadow, _ = shadow_revise(state, shadow, STRICT, event)
    state, _, _ = step(state, poison, Policies())
    state, _, _ = step(state, events[3], Policies())
    assert shadow_revise(state, shadow, STRICT, events[3]) == (shadow, None)


def test_the_setting_is_off_by_default_empty_means_off_and_an_unknown_version_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DECISION_SHADOW_POLICY", raising=False)
    assert DecisionSettings().shadow_policy is None
    monkeypatch.setenv("DECISION_SHADOW_POLICY", "")
    assert DecisionSettings().shadow_policy is None
    monkeypatch.setenv("DECISION_SHADOW_POLICY", "v2")
    assert DecisionSettings().shadow_policy == "v2"
    monkeypatch.setenv("DECISION_SHADOW_POLICY", "v5")
    with pytest.raises(ValueError, match="unknown policy version 'v5'"):
        DecisionSettings()
