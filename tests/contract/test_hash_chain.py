"""The per-interview hash chain: what is hashed, and that any change to it is visible."""

from __future__ import annotations

import hashlib
import itertools
import json

import rfc8785
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas import GENESIS_HASH, Event, encode
from schemas.chain import HASH_HEADER
from schemas.codec import headers_to_attributes
from tests.contract.samples import INTERVIEW_EVENTS
from tests.strategies import events

SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _raw_hash(headers: list[tuple[str, bytes]], value: bytes) -> str:
    """The hash as any language computes it from a stored record, without our models."""
    document = {"attributes": headers_to_attributes(headers), "data": json.loads(value)}
    return hashlib.sha256(rfc8785.dumps(document)).hexdigest()


def test_sample_interview_chains_from_genesis() -> None:
    assert INTERVIEW_EVENTS[0].attributes.prevhash == GENESIS_HASH == "0" * 64
    for before, after in itertools.pairwise(INTERVIEW_EVENTS):
        assert after.attributes.prevhash == before.chain_hash
        assert after.attributes.sequence == before.attributes.sequence + 1


def test_canonical_form_is_jcs_of_attributes_and_data() -> None:
    event = INTERVIEW_EVENTS[0]
    text = rfc8785.dumps({"attributes": event.attributes.wire(), "data": event.data_json()}).decode()
    assert hashlib.sha256(text.encode()).hexdigest() == event.chain_hash
    assert text.startswith('{"attributes":{"actorid":"ana","actorside":"company","causationid":')
    assert '"sequence":"00000000000000000001"' in text
    assert '"time":"2026-03-02T09:00:01.000000Z"' in text
    assert text.index('"data":{') > text.index('"type":')  # keys sorted, no whitespace
    assert " " not in text.replace("Senior backend engineer", "")


@SETTINGS
@given(event=events())
def test_hash_of_a_stored_record_needs_no_models(event: Event) -> None:
    record = encode(event)
    assert _raw_hash(record.headers, record.value) == event.chain_hash


@SETTINGS
@given(event=events(), data=st.data())
def test_changing_one_byte_of_data_changes_the_hash(event: Event, data: st.DataObject) -> None:
    record = encode(event)
    value = bytearray(record.value)
    # Letters inside JSON strings (keys included: every data object has lower-case field names).
    # Not inside an escape such as \u001f, where a changed hex digit would be invalid JSON.
    strings = [
        i
        for i, byte in enumerate(value)
        if 0x61 <= byte <= 0x7A and _inside_string(value, i) and 0x5C not in value[max(0, i - 5) : i]
    ]
    index = data.draw(st.sampled_from(strings))
    value[index] = value[index] ^ 0x01  # a -> ` , b -> c: still valid JSON, one byte different

    assert _raw_hash(record.headers, bytes(value)) != event.chain_hash


@SETTINGS
@given(event=events(), data=st.data())
def test_changing_any_attribute_changes_the_hash(event: Event, data: st.DataObject) -> None:
    record = encode(event)
    # Every attribute header; not the chainhash header, which carries the hash and is no part of it.
    name = data.draw(st.sampled_from([name for name, _ in record.headers if name != HASH_HEADER]))
    headers = [(k, v + b"x" if k == name else v) for k, v in record.headers]
    assert _raw_hash(headers, record.value) != event.chain_hash


def test_tampering_with_one_event_breaks_the_chain_at_the_next() -> None:
    story = INTERVIEW_EVENTS[1]
    forged = story.model_copy(update={"data": story.data.model_copy(update={"title": "A better story"})})
    assert forged.chain_hash != INTERVIEW_EVENTS[2].attributes.prevhash


def _inside_string(value: bytearray, index: int) -> bool:
    """True when the byte at ``index`` is inside a JSON string (an even count of quotes before it)."""
    quotes = 0
    escaped = False
    for byte in value[:index]:
        if escaped:
            escaped = False
        elif byte == 0x5C:
            escaped = True
        elif byte == 0x22:
            quotes += 1
    return quotes % 2 == 1
