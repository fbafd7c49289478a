"""Results built without validation are the results validation would build, to the byte."""

from __future__ import annotations

from schemas.commands import CommandAccepted
from services.interview.adapters import wire
from services.interview.domain import InterviewState, decide
from tests.unit.interview.given import ALICE, command, stamp


def test_an_accepted_result_equals_its_validated_twin() -> None:
    opened = command(
        {"type": "open_interview", "candidacy_id": "cy", "round": "technical", "position": "Engineer",
         "candidate_id": "cand-7", "participants": [
             {"id": ALICE, "side": "company", "role": "interviewer"},
             {"id": "cand-7", "side": "candidate", "role": "candidate"}]},
        idempotency_key="k-1",
    )  # fmt: skip
    events = decide(InterviewState(opened.interview_id), opened, stamp())
    assert isinstance(events, list)
    result = wire.accepted(opened, events)
    twin = CommandAccepted.model_validate_json(result.model_dump_json())
    assert twin == result
    assert twin.model_dump_json() == result.model_dump_json()
    assert result.model_dump_json(exclude_none=True) == twin.model_dump_json(exclude_none=True)
    assert (result.version, result.event_ids, result.status) == (1, (events[0].attributes.id,), "accepted")
    assert result.request_digest == wire.request_digest(opened)
