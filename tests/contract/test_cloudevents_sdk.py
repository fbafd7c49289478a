"""The CloudEvents Python SDK (a client we did not write) reads our records, and we read its."""

from __future__ import annotations

import json

from cloudevents.core.bindings import kafka as ce_kafka
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent
from cloudevents.v1 import kafka as ce_kafka_v1
from hypothesis import HealthCheck, given, settings

from schemas import Event, decode, encode
from tests.strategies import events

SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _sdk_message(event: Event) -> ce_kafka.KafkaMessage:
    record = encode(event)
    return ce_kafka.KafkaMessage(headers=dict(record.headers), key=record.key, value=record.value)


@SETTINGS
@given(event=events())
def test_sdk_decodes_our_record_with_the_same_attributes_and_data(event: Event) -> None:
    sdk_event = ce_kafka.from_binary(_sdk_message(event), JSONFormat(), CloudEvent)

    wire = event.attributes.wire()
    seen = {name: str(value) for name, value in sdk_event.get_attributes().items() if name != "time"}
    assert seen == {name: value for name, value in wire.items() if name != "time"}
    assert sdk_event.get_time() == event.attributes.time
    assert sdk_event.get_data() == event.data_json()


@SETTINGS
@given(event=events())
def test_sdk_v1_api_decodes_our_record(event: Event) -> None:
    record = encode(event)
    key = record.key.decode()  # as a consumer with a string key deserializer sees it
    message = ce_kafka_v1.KafkaMessage(headers=dict(record.headers), key=key, value=record.value)

    sdk_event = ce_kafka_v1.from_binary(message, data_unmarshaller=json.loads)

    assert sdk_event["type"] == event.attributes.type
    assert sdk_event["sequence"] == event.attributes.wire()["sequence"]
    assert sdk_event["prevhash"] == event.attributes.prevhash
    assert sdk_event["partitionkey"] == event.attributes.subject
    assert sdk_event.get_data() == event.data_json()


@SETTINGS
@given(event=events())
def test_we_decode_what_the_sdk_encodes(event: Event) -> None:
    attributes: dict[str, object] = {**event.attributes.wire(), "time": event.attributes.time}
    sdk_event = CloudEvent(attributes=attributes, data=event.data_json())

    message = ce_kafka.to_binary(sdk_event, JSONFormat())
    key = message.key.encode() if isinstance(message.key, str) else message.key

    assert decode(message.value, list(message.headers.items()), key) == event
