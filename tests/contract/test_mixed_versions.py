"""A history mixing goal_assessed v1 and v2 records replays, verifies and projects as its all-v2 twin.

For any such history (which interviews, which ratings and confidences, which assessments a v1 writer
stored), with the upcaster or, for an all-v2 history, without any upcaster registered: the interview
writer folds it (the chain holds over the stored records), the decision projection gives the same
verdicts, and the audit verifies it with the revisions the service would publish.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
import rfc8785
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas import Event, decode, encode
from schemas.common import Confidence, GoalId, QuestionKind, Rating
from schemas.decision import VerdictChanged
from schemas.interview import GoalAssessed, GoalAssessedV1
from schemas.sealed import ClearText
from schemas.upcast import UPCASTERS
from services.audit.domain.records import records_of
from services.audit.domain.verify import verify
from services.decision.domain.replay import project
from services.interview.domain.state import fold
from testkit.interviews import CANDIDATE, COMPANY, Script, as_stored_by_v1_writer, interleaved

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
confidences = st.one_of(st.none(), st.sampled_from(list(Confidence)))


@st.composite
def interviews(draw: st.DrawFn, interview_id: str) -> Script:
    """A story-first interview with drawn ratings and confidences, concluded or not."""
    s = Script(interview_id).opened().ask("q1", QuestionKind.INVITE_STORY).story("s1", in_reply_to="q1")
    s.ask("q2", QuestionKind.CLARIFYING, about="s1").answer("a2", "q2")
    s.ask("q3", QuestionKind.ABOUT_ROLE, asker="cand").answer("a3", "q3", answerer="int1")
    goals: list[tuple[str, GoalId]] = [*(("int1", g) for g in COMPANY), *(("cand", g) for g in CANDIDATE)]
    goals.append(("int2", GoalId.COMPANY_LEVEL))
    for i, (who, goal) in enumerate(draw(st.lists(st.sampled_from(goals), max_size=9)), 1):
        rating, confidence = draw(st.sampled_from(list(Rating))), draw(confidences)
        s.assess(f"g{i}", goal, rating, by=who, evidence=("s1",), confidence=confidence)
    return s.conclude() if draw(st.booleans()) else s


def stored(events: list[Event]) -> list[Event]:
    """Each stored record read back as a consumer reads it (v1 records upcast)."""
    return [decode(r.value, r.headers, r.key) for r in map(encode, events)]


def verdicts(revisions: list[Event]) -> list[dict[str, Any]]:
    """What a revision says (not its envelope or hash anchors, which follow the stored bytes)."""
    out = []
    for revision in revisions:
        data = revision.data
        assert isinstance(data, VerdictChanged)
        out.append(data.model_dump(mode="json", exclude={"input_hash"}))
    return out


def raw_hash(event: Event) -> str:
    """The record's hash computed as any language would, from headers and value alone."""
    record = encode(event)
    attrs = {k[3:]: v.decode() for k, v in record.headers if k.startswith("ce_")}
    attrs["datacontenttype"] = dict(record.headers)["content-type"].decode()
    return hashlib.sha256(rfc8785.dumps({"attributes": attrs, "data": json.loads(record.value)})).hexdigest()


def check_writer(read: list[Event], as_stored: list[Event]) -> None:
    """The interview writer folds every interview; its head hash is the stored last record's hash."""
    for iid in {e.attributes.subject for e in as_stored}:
        mine = [e for e in read if e.attributes.subject == iid]
        state = fold(iid, mine)  # raises BrokenHistoryError on a broken link
        last_stored = [e for e in as_stored if e.attributes.subject == iid][-1]
        assert state.last_hash == raw_hash(last_stored)


@SETTINGS
@given(a=interviews("iv-a"), b=interviews("iv-b"), data=st.data())
def test_mixed_history_replays_verifies_and_projects_as_its_v2_twin(a: Script, b: Script, data: Any) -> None:
    current = interleaved(a.events, b.events)
    old = data.draw(st.sets(st.integers(0, len(current) - 1)))
    mixed = as_stored_by_v1_writer(current, lambda position, _: position in old)
    read = stored(mixed)

    assert all(not isinstance(e.data, GoalAssessedV1) for e in read)  # every reader sees v2
    check_writer(read, mixed)
    revisions = project(read)
    assert verdicts(revisions) == verdicts(project(stored(current)))
    assert [r.data.input_hash for r in revisions] == [  # type: ignore[attr-defined]
        raw_hash(next(e for e in mixed if e.attributes.id == r.attributes.causationid)) for r in revisions
    ]
    audit = verify(records_of(mixed), records_of(revisions))
    assert audit.report.ok, audit.report


@SETTINGS
@given(a=interviews("iv-a"))
def test_an_all_v2_history_needs_no_upcaster(a: Script) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("schemas.upcast.UPCASTERS", {})
        read = stored(a.events)
        check_writer(read, a.events)
        revisions = project(read)
        assert verify(records_of(a.events), records_of(revisions)).report.ok
    assert verdicts(revisions) == verdicts(project(a.events))
    assert UPCASTERS  # restored


def test_a_v1_assessment_reads_as_the_current_version_without_confidence() -> None:
    s = Script("iv").opened().ask("q1", QuestionKind.INVITE_STORY).story("s1", in_reply_to="q1")
    s.assess("g1", GoalId.COMPANY_LEVEL, Rating.YES, by="int1", confidence=Confidence.HIGH)
    mixed = as_stored_by_v1_writer(s.events, lambda _, e: isinstance(e.data, GoalAssessed))
    assert mixed[-1].attributes.type == "hiring.interview.goal_assessed.v1"
    read = stored(mixed)[-1]
    assert read.attributes.type == "hiring.interview.goal_assessed.v3"  # v1 -> v2 -> v3
    assert isinstance(read.data, GoalAssessed)
    assert read.data.confidence is None
    assert read.data.note == ClearText(plain="")  # a v1 note is clear text, not erasable by key
    assert read.chain_hash == raw_hash(mixed[-1]) != raw_hash(s.events[-1])
