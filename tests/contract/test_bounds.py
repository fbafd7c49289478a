"""The bounds of the contract keep every record within the broker's record size, with margin.

The largest interview the bounds allow (``worst_case``) is built through the real ``decide`` and
policy v1; every command, event, result and verdict revision it causes is measured as aiokafka sizes
a record batch. If a bound is raised or a verdict grows, this fails before the broker does.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from functools import cache
from typing import Any

import pytest
from aiokafka.record.default_records import DefaultRecordBatchBuilder
from pydantic import ValidationError

from schemas.codec import KafkaRecord
from schemas.commands import CommandEnvelope
from schemas.common import MAX_ITEMS, MAX_PARTICIPANTS
from services.interview.adapters import wire
from services.interview.domain import Code, Rejection, Stamp, decide
from tests.contract import worst_case as wc

BROKER_LIMIT = 1_048_588
"""Kafka's default message.max.bytes (topics declare no larger max.message.bytes)."""
PRODUCER_LIMIT = 1_048_576
"""aiokafka's default max_request_size, checked before a record is sent."""
MARGIN = 2
"""Every record must fit the smaller limit this many times over."""
BUDGET = min(BROKER_LIMIT, PRODUCER_LIMIT) // MARGIN


def batch_size(record: KafkaRecord) -> int:
    """Bytes of a record batch holding only this record, as aiokafka estimates it."""
    return int(DefaultRecordBatchBuilder.estimate_size_in_bytes(record.key, record.value, record.headers))


@cache
def built() -> wc.Built:
    return wc.largest_interview()


@cache
def sizes() -> dict[str, int]:
    """The largest record of each kind the largest interview causes."""
    b = built()
    return {
        "command": max(map(batch_size, wc.command_records(b))),
        "event": max(map(batch_size, wc.event_records(b.events))),
        "result": max(map(batch_size, wc.result_records(b))),
        "verdict": max(map(batch_size, wc.event_records(wc.verdicts(b)))),
    }


def test_the_largest_interview_uses_every_bound() -> None:
    b = built()
    assert len(b.state.item_ids) == MAX_ITEMS
    assert len(b.state.participants) == MAX_PARTICIPANTS
    final = wc.verdicts(b)[-1].data
    assert final.final  # type: ignore[attr-defined]
    codes = {s.code for s in final.signals}  # type: ignore[attr-defined]
    assert {
        "story_not_invited",
        "checklist_interview",
        "adversarial_interview",
        "shallow_exploration",
    } <= codes


@pytest.mark.parametrize("kind", ["command", "event", "result", "verdict"])
def test_every_record_of_the_largest_interview_fits_the_broker_with_margin(kind: str) -> None:
    assert sizes()[kind] <= BUDGET, f"largest {kind} record is {sizes()[kind]} bytes; budget {BUDGET}"


def test_the_largest_verdict_is_reported() -> None:
    # The figures docs/reliability.md quotes; printed with -s.
    print(json.dumps({**sizes(), "budget": BUDGET, "broker_limit": BROKER_LIMIT}))
    assert sizes()["verdict"] > sizes()["event"] / 10  # the verdict is a real worst case, not empty


def test_a_full_interview_refuses_another_item() -> None:
    full = wc.Built(state=replace(built().state, concluded=False))
    command = CommandEnvelope.model_validate(
        {
            "command_id": str(uuid.uuid4()),
            "interview_id": wc.IID,
            "expected_version": full.state.version,
            "actor_id": wc.CANDIDATE,
            "correlation_id": "c",
            "payload": {"type": "ask_question", "question_id": "one-more", "kind": "about_role", "text": "?"},
        }
    )
    outcome = decide(full.state, command, Stamp([str(uuid.uuid4())], wc.T0))
    assert isinstance(outcome, Rejection)
    assert outcome.code is Code.TOO_MANY_ITEMS
    assert f"at most {MAX_ITEMS}" in outcome.message


def _envelope(payload: dict[str, Any], **over: Any) -> dict[str, Any]:
    body = {
        "command_id": str(uuid.uuid4()),
        "interview_id": "iv-1",
        "expected_version": 1,
        "actor_id": "alice",
        "correlation_id": "c",
        "payload": payload,
    }
    return body | over


def _errors(body: dict[str, Any]) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        CommandEnvelope.model_validate(body)
    return [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in caught.value.errors()]


@pytest.mark.parametrize("version", ["2", True, 259.0, 2**64, -1])
def test_expected_version_is_a_strict_integer_in_range(version: Any) -> None:
    conclude = {"type": "conclude_interview", "outcome": "completed"}
    (error,) = _errors(_envelope(conclude, expected_version=version))
    assert error.startswith("expected_version:")
    # the same through JSON, as the Kafka intake parses it
    raw = json.dumps(_envelope(conclude, expected_version=version)).encode()
    assert wire.parse_command(raw, b"iv-1", "t:0:0").field == "expected_version"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("field", "value", "where"),
    [
        ("title", "a\x00b", "U+0000 at position 1"),
        ("title", "bell\x07", "U+0007 at position 4"),
        ("title", "two\nlines", "U+000A at position 3"),
        ("summary", "abc\u202eevil", "U+202E at position 3"),
        ("summary", "\u2066isolate", "U+2066 at position 0"),
        ("summary", "c1 \x85", "U+0085 at position 3"),
    ],
)
def test_control_and_bidi_characters_are_refused_naming_field_and_what_is_allowed(
    field: str, value: str, where: str
) -> None:
    story = {"type": "tell_story", "story_id": "s1", "kind": "other", "title": "t", "summary": "s"}
    (error,) = _errors(_envelope(story | {field: value}))
    assert error.startswith(f"payload.tell_story.{field}: contains {where}; allowed: ")
    assert "printable characters" in error


def test_long_text_keeps_newlines_and_tabs() -> None:
    story = {"type": "tell_story", "story_id": "s1", "kind": "other", "title": "t", "summary": "a\n\tb"}
    CommandEnvelope.model_validate(_envelope(story))


def test_tokens_refuse_control_characters() -> None:
    conclude = {"type": "conclude_interview", "outcome": "completed"}
    (error,) = _errors(_envelope(conclude, idempotency_key="k\x1b[31m"))
    assert error.startswith("idempotency_key: contains U+001B")


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        (
            {"type": "assess_goal", "assessment_id": "g", "goal": "company.level", "rating": "yes",
             "evidence": ["s1"] * 50_000},
            "payload.assess_goal.evidence: has 50000 items; at most 20 are allowed",
        ),
        (
            {"type": "assess_goal", "assessment_id": "g", "goal": "company.level", "rating": "yes",
             "evidence": ["s1", "q1", "s1"]},
            "payload.assess_goal.evidence: item 2 repeats 's1'; items must be unique",
        ),
        (
            {"type": "tell_story", "story_id": "s", "kind": "other", "title": "t", "summary": "s",
             "skills": ["BAD SKILL"] * 30_000},
            "payload.tell_story.skills: has 30000 items; at most 50 are allowed",
        ),
    ],
)  # fmt: skip
def test_an_oversized_list_is_one_error_not_one_per_item(payload: dict[str, Any], error: str) -> None:
    assert _errors(_envelope(payload)) == [error]


def test_a_panel_is_at_most_twelve() -> None:
    people = [{"id": f"p{i}", "side": "company", "role": "interviewer"} for i in range(5000)]
    payload = wc.open_payload() | {"participants": people}
    assert _errors(_envelope(payload, expected_version=0)) == [
        "payload.open_interview.participants: has 5000 items; at most 12 are allowed"
    ]
