"""The peers' compact decision rule reaches the decision service's decisions, change for change."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

import pytest

from benchmarks.peer_rule import UNDECIDED, DecisionChanges, Decisions, Interview, revision_decisions
from benchmarks.quix_peer import decide
from schemas import encode
from schemas.envelope import Event
from services.decision.domain.replay import project
from testkit.interviews import stream
from testkit.varied import varied_stream


class Store:
    """A state store of one key, JSON round-tripped as Quix Streams stores it."""

    def __init__(self) -> None:
        self.stored: dict[str, str] = {}

    def get(self, key: str) -> Any:
        return json.loads(self.stored[key]) if key in self.stored else None

    def set(self, key: str, value: Any) -> None:
        self.stored[key] = json.dumps(value)


def by_peer(events: list[Event]) -> dict[str, list[Decisions]]:
    """What the Quix peer's function publishes per interview, from the stored records."""
    stores: dict[str, Store] = defaultdict(Store)
    out: dict[str, list[Decisions]] = defaultdict(list)
    for record in map(encode, events):
        key = record.key.decode() if record.key else ""
        published = decide(record.value or b"", key, 0, record.headers, stores[key])
        if published is not None:
            assert published["interview"] == key
            out[key].append((published["company"], published["candidate"], published["mutual"]))
    return out


def by_service(events: list[Event]) -> tuple[dict[str, list[Decisions]], int]:
    """The decision changes in the service's revisions per interview, and how many revisions."""
    counter, out = DecisionChanges(), defaultdict(list)
    revisions = project(events)
    for revision in revisions:
        now = revision_decisions(encode(revision).value or b"")
        if counter.add(revision.attributes.subject, now):
            out[revision.attributes.subject].append(now)
    return out, len(revisions)


def test_generator_stream_gives_two_and_a_half_changes_per_interview() -> None:
    events = stream(40, prefix="pr")
    service, revisions = by_service(events)
    peer = by_peer(events)
    assert peer == service
    # 20 story-first interviews (opened, company proceeds, candidate proceeds: 3 changes) and
    # 20 checklists (opened, company declines: 2): the 15,625 for 6,250 interviews.
    assert sum(map(len, peer.values())) == 100
    assert revisions > 100  # the service also revises on signals and reasons, which are no decisions


@pytest.mark.parametrize("seed", [3, 9])
def test_varied_histories_reach_the_same_decisions(seed: int) -> None:
    events = varied_stream(120, seed=seed)
    service, _ = by_service(events)
    peer = by_peer(events)
    assert peer == service
    assert any(len(changes) > 3 for changes in peer.values())  # re-assessments flip decisions


def test_counter_counts_first_decisions_and_changes_only() -> None:
    counter = DecisionChanges()
    proceed: Decisions = ("proceed", "undecided", "undecided")
    steps = [("a", UNDECIDED), ("a", UNDECIDED), ("b", UNDECIDED), ("a", proceed), ("a", proceed)]
    assert [counter.add(k, d) for k, d in steps] == [True, False, True, True, False]
    assert counter.changes == 3


def test_assessment_before_opening_changes_nothing() -> None:
    state = Interview()
    value = b'{"assessor":"i","assessor_side":"company","goal":"company.level","rating":"yes"}'
    assert state.step("hiring.interview.goal_assessed.v3", value) is None
    assert state.step("hiring.interview.opened.v1", b"{}") == UNDECIDED
    assert state.step("hiring.interview.opened.v1", b"{}") is None
