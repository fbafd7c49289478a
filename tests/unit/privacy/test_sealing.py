"""Sealed text: opens only under its key and its associated data; an erased key reads as erased."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from schemas import decode, encode
from schemas.commands import CommandAccepted, CommandRejected
from schemas.envelope import Event
from schemas.interview import StoryTold
from schemas.sealed import ERASED, SEALED, UNREADABLE, ClearText, SealedText, associated_data
from services.platform.privacy.crypto import (
    Kek,
    KekError,
    SealError,
    b64,
    new_data_key,
    new_kek_text,
    parse_kek,
    seal,
    unb64,
    unseal,
)
from services.platform.privacy.keystore import KafkaKeyStore, MemoryKeyStore, record_key
from services.platform.privacy.sealing import reveal, seal_event
from services.platform.privacy.settings import PrivacySettings
from tests.contract.samples import SAMPLE_KEY, SAMPLES
from tests.unit.interview.given import ALICE, CANDIDATE, open_payload, story
from tests.unit.interview.test_idempotency import TOPICS, command, send, writer

AD = associated_data("iv-1", "ev-1", "hiring.interview.story_told", "summary")
SECRET = "Rebuilt the billing pipeline at Initech after the 2019 outage"


def test_sealed_text_opens_with_its_key_and_associated_data() -> None:
    key = new_data_key("cand-7")
    sealed = seal(key, SECRET, AD)
    assert SECRET.encode() not in sealed.model_dump_json().encode()
    assert unseal(key.secret, sealed, AD) == SECRET


def test_two_seals_of_one_text_differ() -> None:  # random nonces: equal texts are not linkable
    key = new_data_key("cand-7")
    assert seal(key, SECRET, AD).ct != seal(key, SECRET, AD).ct


def test_tampered_ciphertext_is_refused() -> None:
    key = new_data_key("cand-7")
    sealed = seal(key, SECRET, AD)
    raw = bytearray(unb64(sealed.ct))
    raw[0] ^= 1
    with pytest.raises(SealError):
        unseal(key.secret, sealed.model_copy(update={"ct": b64(bytes(raw))}), AD)


@pytest.mark.parametrize(
    ("interview", "event", "field"),
    [("iv-2", "ev-1", "summary"), ("iv-1", "ev-2", "summary"), ("iv-1", "ev-1", "title")],
)
def test_text_moved_to_another_interview_event_or_field_is_refused(
    interview: str, event: str, field: str
) -> None:
    key = new_data_key("cand-7")
    sealed = seal(key, SECRET, AD)
    with pytest.raises(SealError):
        unseal(key.secret, sealed, associated_data(interview, event, "hiring.interview.story_told", field))


def test_another_candidates_key_does_not_open_it() -> None:
    sealed = seal(new_data_key("cand-7"), SECRET, AD)
    with pytest.raises(SealError):
        unseal(new_data_key("cand-8").secret, sealed, AD)


def test_wrapped_key_unwraps_only_under_its_kek_and_for_its_candidate() -> None:
    kek, other = parse_kek(new_kek_text(), "test"), parse_kek(new_kek_text(), "test")
    key = new_data_key("cand-7")
    wrapped = kek.wrap(key)
    assert kek.unwrap("cand-7", key.kid, wrapped).secret == key.secret
    with pytest.raises(SealError):
        other.unwrap("cand-7", key.kid, wrapped)
    with pytest.raises(SealError):
        kek.unwrap("cand-8", key.kid, wrapped)  # a wrapped key moved to another candidate


def test_a_bad_kek_is_refused_without_showing_it() -> None:
    with pytest.raises(KekError) as caught:
        parse_kek("c2hvcnQ", "PRIVACY_KEK")
    assert "PRIVACY_KEK" in str(caught.value)
    assert "c2hvcnQ" not in str(caught.value)
    assert "c2hvcnQ" not in repr(Kek(bytes(32)))


def test_golden_sealed_story_reads_with_the_key_erased_without_it_sealed_without_a_store() -> None:
    event = SAMPLES["hiring.interview.story_told.v2"]
    read = decode(encode(event).value, encode(event).headers)  # decoding needs no key
    assert isinstance(read.data, StoryTold)
    assert isinstance(read.data.summary, SealedText)
    keys = {SAMPLE_KEY.kid: SAMPLE_KEY}
    assert reveal(read, "title", keys.get) == "The lost Kafka offsets"
    assert reveal(read, "title", {}.get) == ERASED
    assert reveal(read, "title", None) == SEALED


def test_a_tampered_sealed_field_reads_as_unreadable_not_as_text() -> None:
    event = SAMPLES["hiring.interview.story_told.v2"]
    data = event.data
    assert isinstance(data, StoryTold)
    assert isinstance(data.summary, SealedText)
    swapped = data.model_copy(update={"summary": data.title})  # the title's ciphertext in the summary
    moved = Event(attributes=event.attributes, data=swapped)
    assert reveal(moved, "summary", {SAMPLE_KEY.kid: SAMPLE_KEY}.get) == UNREADABLE


def test_seal_event_leaves_no_clear_text_and_changes_the_hash() -> None:
    event = SAMPLES["hiring.interview.story_told.v1"]
    current = decode(encode(event).value, encode(event).headers)  # v1 read as v2 with ClearText
    assert isinstance(current.data, StoryTold)
    assert isinstance(current.data.summary, ClearText)
    key = new_data_key("c-91f3")
    sealed = seal_event(Event(attributes=current.attributes, data=current.data), key)
    assert b"auto-commit" not in encode(sealed).value
    assert reveal(sealed, "summary", {key.kid: key}.get).endswith("we traced it to auto-commit.")


async def test_the_writer_seals_what_it_writes_and_erasure_makes_it_unreadable() -> None:
    keys = MemoryKeyStore()
    handler = writer(keys)
    await send(handler, command(0, ALICE, open_payload(), key="open"))
    assert [k.candidate_id for k in keys.by_kid.values()] == [CANDIDATE]  # created at the opening
    out = await handler.handle(0, [_record(command(1, CANDIDATE, story("s1", summary=SECRET), key="s"))])
    handler.committed(0, {})
    [written] = [o for o in out if o.topic == TOPICS.interview_events]
    assert SECRET.encode() not in (written.value or b"")
    assert all(SECRET.encode() not in (o.value or b"") for o in out)  # nor in the changelog or result
    event = decode(written.value, written.headers, written.key)
    assert reveal(event, "summary", keys.lookup) == SECRET
    assert await keys.erase(CANDIDATE)
    assert reveal(event, "summary", keys.lookup) == ERASED


async def test_with_the_key_store_down_a_command_is_refused_not_written_in_the_clear() -> None:
    keys = MemoryKeyStore()
    handler = writer(keys)
    await send(handler, command(0, ALICE, open_payload(), key="open"))
    keys.available = False
    keys.by_kid.clear()
    tell = command(1, CANDIDATE, story("s1", summary=SECRET), key="s")
    refused, appended = await send(handler, tell)
    assert isinstance(refused, CommandRejected)
    assert (refused.code, appended) == ("key_store_unavailable", 0)
    keys.available = True  # the same idempotency key is decided afresh once the store is back
    accepted, appended = await send(handler, tell.model_copy(update={"command_id": tell.command_id}))
    assert isinstance(accepted, CommandAccepted)
    assert appended == 1


def _record(cmd: object) -> object:
    from tests.unit.interview.test_idempotency import FakeRecord

    return FakeRecord(cmd.model_dump_json().encode(), b"iv-1", offset=10_000)  # type: ignore[attr-defined]


def test_the_kafka_key_store_cache_drops_a_key_on_its_tombstone() -> None:
    kek = parse_kek(new_kek_text(), "test")
    store = KafkaKeyStore({}, "privacy.keys", kek)
    key = new_data_key("cand-7")
    value = json.dumps({"candidate": "cand-7", "kid": key.kid, "wrapped": kek.wrap(key)}).encode()
    store._apply(record_key("cand-7", key.kid), value)
    assert store.lookup(key.kid) == key
    assert store.kids_of("cand-7") == [key.kid]
    store._apply(record_key("cand-7", key.kid), None)  # what `privacy erase` writes
    assert store.lookup(key.kid) is None
    assert store.kids_of("cand-7") == []


def test_a_key_wrapped_under_another_kek_is_not_used() -> None:
    store = KafkaKeyStore({}, "privacy.keys", parse_kek(new_kek_text(), "test"))
    other = parse_kek(new_kek_text(), "test")
    key = new_data_key("cand-7")
    store._apply(record_key("cand-7", key.kid), json.dumps({"wrapped": other.wrap(key)}).encode())
    assert store.lookup(key.kid) is None


def test_a_development_kek_is_made_once_and_production_refuses_to_run_without_one(tmp_path: Path) -> None:
    path = tmp_path / "kek"
    with pytest.raises(KekError) as caught:
        PrivacySettings(kek_file=path, dev_kek=False).load_kek()
    assert str(path) in str(caught.value)
    first = PrivacySettings(kek_file=path, dev_kek=True).load_kek()
    assert path.stat().st_mode & 0o777 == 0o600
    assert PrivacySettings(kek_file=path, dev_kek=False).load_kek().kek_id == first.kek_id  # same key
