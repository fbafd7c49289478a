"""Revisions: only on change, numbered and chained, deterministic ids, parking, idempotence."""

from __future__ import annotations

import itertools
import json

from schemas import decode, encode
from schemas.chain import GENESIS_HASH
from schemas.common import GoalId, QuestionKind, Rating
from schemas.decision import VerdictChanged
from services.decision.domain.policy import Policies
from services.decision.domain.replay import project
from services.decision.domain.revisions import (
    InterviewState,
    Poison,
    published_from,
    revision_id,
    step,
)
from testkit.interviews import Script, story_first


def test_revisions_are_numbered_chained_and_caused_by_interview_events() -> None:
    s = story_first("iv-1")
    out = project(s.events)
    by_id = {e.attributes.id: e for e in s.events}
    assert [e.attributes.sequence for e in out] == list(range(1, len(out) + 1))
    assert out[0].attributes.prevhash == GENESIS_HASH
    for before, after in itertools.pairwise(out):
        assert after.attributes.prevhash == before.chain_hash
    for revision in out:
        cause = by_id[revision.attributes.causationid]
        assert revision.attributes.time == cause.attributes.time
        assert revision.attributes.correlationid == cause.attributes.correlationid
        assert isinstance(revision.data, VerdictChanged)
        assert revision.data.input_sequence == cause.attributes.sequence
        assert revision.attributes.id == revision_id("iv-1", revision.data.revision, "v1")
        assert (revision.attributes.actorid, revision.attributes.actorside) == ("decision-service", "system")


def test_no_revision_when_only_the_input_sequence_moves() -> None:
    s = Script("iv").opened().story("s1").answer("a1", "q0").story("s2")
    out = project(s.events)
    assert len(out) == 1  # opened; stories and answers change nothing in the verdict


def test_final_after_conclusion_and_mutual_fit_for_story_first() -> None:
    last = project(story_first("iv").events)[-1].data
    assert isinstance(last, VerdictChanged)
    assert (last.final, last.mutual, last.signals) == (True, "mutual_fit", ())


def test_wire_round_trip_keeps_the_verdict_equal() -> None:
    for event in project(story_first("iv").events):
        record = encode(event)
        back = decode(record.value, record.headers, record.key)
        assert back == event
        assert published_from(back).verdict == published_from(event).verdict
        assert json.loads(record.value)["revision"] == event.attributes.sequence


def test_same_event_twice_changes_nothing() -> None:
    s = story_first("iv")
    doubled = [e for event in s.events for e in (event, event)]
    assert [encode(e) for e in project(doubled)] == [encode(e) for e in project(s.events)]


def test_poison_parks_the_interview_and_only_it() -> None:
    a, b = story_first("a"), story_first("b")
    poison = Poison("a", 7, "malformed_json", "value: Expecting value")
    items = [*a.events[:5], poison, *a.events[5:], *b.events]
    out = project(items)
    assert [e.data.input_sequence for e in out if e.attributes.subject == "a"] == [
        e.data.input_sequence for e in project(a.events[:5])
    ]
    assert [encode(e) for e in out if e.attributes.subject == "b"] == [encode(e) for e in project(b.events)]


def test_invalid_histories_park_with_a_code() -> None:
    policy = Policies()
    s = Script("iv").opened().story("s1").story("s2")
    state, revision, poison = step(InterviewState(), s.events[1], policy, offset=3)
    assert poison == Poison("iv", 3, "not_opened", "sequence 2 arrived before interview.opened")
    assert revision is None
    assert state.parked == poison
    state, _, _ = step(InterviewState(), s.events[0], policy)
    state, _, poison = step(state, s.events[2], policy, offset=9)
    assert poison is not None
    assert (poison.code, poison.offset) == ("sequence_gap", 9)
    state, _, poison = step(state, s.events[1], policy)
    assert poison is None
    assert state.projection is not None
    assert state.projection.sequence == 1  # parked: nothing more is applied


def test_revision_when_signal_evidence_grows() -> None:
    s = Script("iv").opened().ask("q1", QuestionKind.SCRIPTED)
    n = len(project(s.events))
    s.ask("q2", QuestionKind.SCRIPTED)
    assert len(project(s.events)) == n + 1
    s.assess("c1", GoalId.COMPANY_LEVEL, Rating.YES, evidence=("q1",))
    assert len(project(s.events)) == n + 2


def test_a_built_revision_hashes_as_the_record_it_is_stored_as() -> None:
    for event in project(story_first("iv").events):
        record = encode(event)
        assert decode(record.value, record.headers, record.key).chain_hash == event.chain_hash


def test_revision_ids_are_uuid5_of_the_namespace() -> None:
    """The written-out uuid5 gives the standard library's ids (a changed id would change every revision)."""
    import uuid

    from services.decision.domain.revisions import REVISION_NAMESPACE

    names = itertools.product(["iv-a", "bench-17", "é-ü"], [1, 9, 12345], ["v1", "v2"])
    for interview, revision, policy in names:
        name = f"{interview}/{revision}/{policy}"
        assert revision_id(interview, revision, policy) == str(uuid.uuid5(REVISION_NAMESPACE, name))
