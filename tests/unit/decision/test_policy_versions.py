"""Which policy evaluates an interview: its recorded version by default, a forced one on request."""

from __future__ import annotations

from dataclasses import replace

from schemas.common import POLICY_VERSIONS
from schemas.decision import VerdictChanged
from services.decision.domain.policy import Policies, policy_for, versions
from services.decision.domain.replay import project
from services.decision.domain.revisions import InterviewState, step
from testkit.interviews import Script, story_first


def opened_under(version: str, interview_id: str = "iv") -> Script:
    """A short interview opened under ``version`` (the contract's pattern allows any vN)."""
    return Script(interview_id).opened(policy_version=version).story("s1")


def test_the_decision_service_knows_exactly_the_contracts_policies() -> None:
    assert versions() == POLICY_VERSIONS


def test_an_interview_is_evaluated_under_its_own_version() -> None:
    out = project(story_first("iv").events)
    assert {e.data.policy_version for e in out if isinstance(e.data, VerdictChanged)} == {"v1"}


def test_an_unknown_version_parks_the_interview_at_its_opening() -> None:
    s = opened_under("v9")
    state, revision, poison = step(InterviewState(), s.events[0], Policies(), offset=4)
    assert revision is None
    assert poison is not None
    assert (poison.code, poison.offset, poison.interview_id) == ("unknown_policy", 4, "iv")
    assert "'v9'" in poison.detail
    assert "v1" in poison.detail
    assert state.parked == poison
    assert state.projection is None
    state, revision, poison = step(state, s.events[1], Policies())
    assert (revision, poison, state.projection) == (None, None, None)  # waits behind it


def test_project_parks_an_unknown_version_like_the_service() -> None:
    a, b = opened_under("v9", "a"), story_first("b")
    out = project([*a.events, *b.events])
    assert {e.attributes.subject for e in out} == {"b"}


def test_once_the_version_is_known_the_interview_is_evaluated_under_it() -> None:
    """What a deployed fix looks like to the domain: the same history, a build that knows v9."""
    v9 = replace(policy_for("v1"), version="v9")
    fixed = Policies(known={**Policies().known, "v9": v9})
    _, revision, poison = step(InterviewState(), opened_under("v9").events[0], fixed)
    assert poison is None
    assert revision is not None
    assert isinstance(revision.data, VerdictChanged)
    assert revision.data.policy_version == "v9"


def test_a_forced_version_evaluates_every_interview() -> None:
    v2 = replace(policy_for("v1"), version="v2")
    forced = Policies(forced=v2)
    items = [*story_first("a").events, *opened_under("v7", "b").events]
    state: dict[str, InterviewState] = {}
    seen: set[tuple[str, str]] = set()
    for item in items:
        key = item.attributes.subject
        state[key], revision, poison = step(state.get(key, InterviewState()), item, forced)
        assert poison is None
        if revision is not None and isinstance(revision.data, VerdictChanged):
            seen.add((key, revision.data.policy_version))
    assert seen == {("a", "v2"), ("b", "v2")}


def test_project_with_a_version_forces_it() -> None:
    assert project(opened_under("v9").events, "v1")  # a what-if under v1 ignores the recorded v9
