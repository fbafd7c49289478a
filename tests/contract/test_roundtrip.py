"""Every event type round-trips model -> Kafka record -> model, and the JSON Schemas agree."""

from __future__ import annotations

import functools
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator, FormatChecker

from schemas import Event, EventType, decode, encode
from schemas import generate as gen
from schemas.codec import headers_to_attributes
from schemas.commands import CommandAccepted, CommandEnvelope, CommandRejected
from schemas.registry import CURRENT
from tests.contract.samples import SAMPLES
from tests.strategies import events, models

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TYPES = list(CURRENT.values())  # past versions are read as current ones (test_golden)


@functools.cache
def _validator(file_name: str) -> Draft202012Validator:
    schema = json.loads((gen.ROOT / "json" / file_name).read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FormatChecker())


@pytest.fixture(scope="module")
def envelope() -> Draft202012Validator:
    return _validator(gen.ENVELOPE_FILE)


@pytest.mark.parametrize("event_type", TYPES, ids=lambda t: t.name)
@SETTINGS
@given(data=st.data())
def test_round_trip_through_a_kafka_record(event_type: EventType, data: st.DataObject) -> None:
    event: Event = data.draw(events([event_type]))
    record = encode(event)

    decoded = decode(record.value, record.headers, record.key)

    assert decoded == event
    assert encode(decoded) == record
    assert record.topic == event_type.topic
    assert record.key == event.attributes.subject.encode()


@pytest.mark.parametrize("event_type", TYPES, ids=lambda t: t.name)
@SETTINGS
@given(data=st.data())
def test_json_schema_accepts_the_encoded_data(event_type: EventType, data: st.DataObject) -> None:
    record = encode(data.draw(events([event_type])))
    _validator(f"{event_type.name}.json").validate(json.loads(record.value))


@SETTINGS
@given(event=events())
def test_envelope_schema_accepts_the_headers(envelope: Draft202012Validator, event: Event) -> None:
    attrs = headers_to_attributes(encode(event).headers)
    envelope.validate(attrs)
    assert len(attrs["sequence"]) == 20


@SETTINGS
@given(command=models(CommandEnvelope))
def test_command_schema_accepts_commands(command: CommandEnvelope) -> None:
    _validator("interview.command.json").validate(command.model_dump(mode="json"))


@SETTINGS
@given(result=st.one_of(models(CommandAccepted), models(CommandRejected)))
def test_command_result_schema_accepts_results(result: CommandAccepted | CommandRejected) -> None:
    _validator("interview.command-result.json").validate(result.model_dump(mode="json"))


@pytest.mark.parametrize(
    ("event_type", "mutate"),
    [
        ("hiring.interview.story_told.v1", lambda d: d | {"mood": "happy"}),
        ("hiring.interview.story_told.v1", lambda d: {k: v for k, v in d.items() if k != "teller"}),
        ("hiring.interview.goal_assessed.v1", lambda d: d | {"evidence": []}),
        ("hiring.interview.goal_assessed.v1", lambda d: d | {"rating": "maybe"}),
        ("hiring.interview.opened.v1", lambda d: d | {"participants": "everyone"}),
    ],
)
def test_json_schema_rejects_what_the_model_rejects(event_type: str, mutate: Any) -> None:
    event = SAMPLES[event_type]
    bad = mutate(json.loads(encode(event).value))
    assert list(_validator(f"{event_type}.json").iter_errors(bad))
    with pytest.raises(ValueError, match="invalid_data"):
        decode(json.dumps(bad).encode(), encode(event).headers)
