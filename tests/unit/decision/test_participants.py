"""Who may read what: decision.participants records (ADR 0015) and the store fed from them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from schemas.topics import Topics
from services.decision.adapters.participants import ParticipantStore
from services.decision.adapters.records import participant_record
from testkit.interviews import checklist, story_first


@dataclass(frozen=True)
class FakeRecord:
    """The fields of a consumed record the store reads."""

    key: bytes
    value: bytes | None
    offset: int = 0


def test_only_an_opened_interview_names_its_participants() -> None:
    events = story_first("iv-a").events
    topics = Topics("t.")
    out = participant_record(events[0], topics, 4)
    assert [(o.topic, o.key, o.partition) for o in out] == [("t.decision.participants", b"iv-a", 4)]
    assert json.loads(out[0].value or b"") == {
        "v": 1, "candidacy_id": "cy-iv-a", "opened_by": "int1",
        "participants": [["cand", "candidate"], ["int1", "company"], ["int2", "company"]],
    }  # fmt: skip
    assert [participant_record(e, topics, 4) for e in events[1:]] == [[]] * (len(events) - 1)


def test_the_store_answers_sides_openers_and_candidacies(tmp_path: Path) -> None:
    topics = Topics()
    opened = [story_first("iv-a").events[0], checklist("iv-b").events[0]]
    records = [FakeRecord(o.key, o.value) for e in opened for o in participant_record(e, topics, 0)]
    store = ParticipantStore(tmp_path / "p.sqlite")
    store.add_records([*records, FakeRecord(b"iv-c", None), FakeRecord(b"iv-d", b'{"v":99}')])
    store.add_records(records)  # read again after a restart: kept once
    assert store.side("iv-a", "cand") == "candidate"
    assert store.side("iv-b", "int2") == "company"
    assert store.side("iv-a", "mallory") is None
    assert store.side("iv-c", "cand") is None
    assert store.side("iv-d", "cand") is None
    assert store.opened_by("iv-b") == "int1"
    assert store.candidacy_side("cy-iv-b", "cand") == "candidate"
    assert store.candidacy_side("cy-iv-z", "cand") is None
