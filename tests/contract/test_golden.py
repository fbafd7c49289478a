"""Golden stored events of every version decode, and current ones re-encode byte for byte.

These guard schema evolution (docs/design.md section 2): a change to a model, the codec or the canonical
form that would misread a record already in Kafka fails here. Golden files are never rewritten.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from schemas import REGISTRY, ContractError, Event, canonical, decode, encode, registry
from schemas.chain import HASH_HEADER
from schemas.interview import StoryTold
from schemas.upcast import UPCASTERS, upcast
from tests.contract import golden
from tests.contract.samples import SAMPLES
from tests.contract.test_hash_chain import _raw_hash

FILES = golden.all_files()
CURRENT = [path for path in FILES if path.stem in registry.CURRENT]
PAST = [path for path in FILES if path.stem not in registry.CURRENT]


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_golden_event_decodes_and_its_hash_is_unchanged(path: Path) -> None:
    record, doc = golden.load(path)
    event = decode(record.value, record.headers, record.key)
    assert event.chain_hash == doc["sha256"] == _raw_hash(record.headers, record.value)
    assert REGISTRY[event.attributes.type].topic == record.topic


@pytest.mark.parametrize("path", CURRENT, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_current_version_re_encodes_byte_identically(path: Path) -> None:
    record, doc = golden.load(path)
    encoded = encode(decode(record.value, record.headers, record.key))
    assert golden.published(encoded) == record  # key, value, ce_* and content-type headers, in order
    assert encoded.headers[-1] == (HASH_HEADER, doc["sha256"].encode())  # and the hash it carries since


@pytest.mark.parametrize("path", PAST, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_past_version_is_read_as_the_current_one_and_its_own_model_keeps_its_bytes(path: Path) -> None:
    record, _ = golden.load(path)
    event = decode(record.value, record.headers, record.key)
    assert registry.CURRENT[event.attributes.type].short == REGISTRY[path.stem].short
    past = REGISTRY[path.stem].model.model_validate_json(record.value)
    assert canonical.dumps(past.model_dump(mode="json")) == record.value


def test_every_type_of_every_version_has_a_golden_event() -> None:
    assert {p.stem for p in golden.GOLDEN.glob("v*/*.json")} >= set(REGISTRY)


def test_golden_events_are_the_samples() -> None:
    for event_type, event in SAMPLES.items():
        record, doc = golden.load(golden.path_for(event_type))
        assert golden.published(encode(event)) == record
        assert dict(encode(event).headers)[HASH_HEADER] == doc["sha256"].encode()
        if event_type in registry.CURRENT:
            assert decode(record.value, record.headers, record.key) == event


# --- upcasters ---------------------------------------------------------------------------------

STORY_V1, _ = golden.load(golden.path_for("hiring.interview.story_told.v1"))
STORY_V0_VALUE = (
    b'{"story_id":"s1","teller":"c-91f3","title":"The lost Kafka offsets",'
    b'"summary":"Consumers restarted from earliest.","skills":"kafka, debugging"}'
)
"""A synthetic v0: no ``kind``, skills as one comma-separated string."""


def _v0_headers() -> list[tuple[str, bytes]]:
    def v0(name: str, value: bytes) -> bytes:
        return value.replace(b".v1", b".v0") if name in ("ce_type", "ce_dataschema") else value

    return [(name, v0(name, value)) for name, value in STORY_V1.headers]


def story_v0_to_v1(attrs: dict[str, str], data: dict[str, Any]) -> dict[str, Any]:
    skills = [s.strip() for s in data.pop("skills", "").split(",") if s.strip()]
    return {**data, "kind": "other", "skills": skills}


@pytest.fixture
def v0_upcaster(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(UPCASTERS, ("hiring.interview.story_told", 0), story_v0_to_v1)


def test_v0_without_an_upcaster_is_an_unknown_type() -> None:
    with pytest.raises(ContractError) as caught:
        decode(STORY_V0_VALUE, _v0_headers(), STORY_V1.key)
    assert caught.value.code == "unknown_type"


@pytest.mark.usefixtures("v0_upcaster")
def test_v0_is_read_as_v1_through_the_upcaster() -> None:
    event = decode(STORY_V0_VALUE, _v0_headers(), STORY_V1.key)

    assert event.attributes.type == "hiring.interview.story_told.v2"  # v0 -> v1 -> v2 (sealable text)
    assert event.attributes.dataschema == REGISTRY["hiring.interview.story_told.v2"].dataschema
    assert isinstance(event.data, StoryTold)
    assert event.data.skills == ("kafka", "debugging")
    assert event.data.kind == "other"
    assert event.attributes.sequence == 2


@pytest.mark.usefixtures("v0_upcaster")
def test_chain_hash_is_taken_from_the_record_as_stored_not_as_upcast() -> None:
    stored_hash = _raw_hash(_v0_headers(), STORY_V0_VALUE)
    event = decode(STORY_V0_VALUE, _v0_headers(), STORY_V1.key)
    assert event.attributes.type.endswith(".v2")  # read as the newest version ...
    assert event.chain_hash == stored_hash  # ... but hashed as the record it was read from
    rebuilt = Event(attributes=event.attributes, data=event.data)
    assert rebuilt.chain_hash != stored_hash  # the upcast view is another record


@pytest.mark.usefixtures("v0_upcaster")
def test_malformed_v0_is_still_reported_as_malformed_json() -> None:
    with pytest.raises(ContractError) as caught:
        decode(STORY_V0_VALUE[:-1], _v0_headers(), STORY_V1.key)
    assert caught.value.code == "malformed_json"


def test_upcasters_chain_until_the_newest_version(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(UPCASTERS, ("hiring.test.thing", 1), lambda attrs, data: {**data, "b": data["a"]})
    monkeypatch.setitem(UPCASTERS, ("hiring.test.thing", 2), lambda attrs, data: {"c": data["b"] * 2})

    attrs, value = upcast({"type": "hiring.test.thing.v1", "id": "x"}, b'{"a": 21}')

    assert attrs == {
        "type": "hiring.test.thing.v3",
        "id": "x",
        "dataschema": "https://hiring-pipeline.example/schemas/hiring.test.thing.v3.json",
    }
    assert value == b'{"c":42}'


def test_no_upcaster_leaves_the_record_untouched() -> None:
    attrs = {"type": "hiring.interview.story_told.v2"}  # the newest version: nothing to lift
    assert upcast(attrs, STORY_V1.value) == (attrs, STORY_V1.value)


def test_every_past_version_has_an_upcaster_to_the_next() -> None:
    for event_type in REGISTRY.values():
        if not event_type.current:
            base, version = event_type.name.rsplit(".v", 1)
            assert (base, int(version)) in UPCASTERS, event_type.name


def test_a_past_version_without_its_upcaster_is_refused_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(UPCASTERS, ("hiring.interview.goal_assessed", 1))
    record, _ = golden.load(golden.path_for("hiring.interview.goal_assessed.v1"))
    with pytest.raises(ContractError) as caught:
        decode(record.value, record.headers, record.key)
    assert caught.value.code == "no_upcaster"
