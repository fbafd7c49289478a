"""The query store on disk: what it answers equals the published revisions, and it survives a reopen."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from schemas import encode
from schemas.envelope import Event
from services.decision.adapters.verdict_store import VerdictStore, open_store
from services.decision.domain.replay import project
from testkit.interviews import checklist, interleaved, story_first


@dataclass(frozen=True)
class FakeRecord:
    """The fields of a consumed record the store reads."""

    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]


def records(revisions: list[Event]) -> list[FakeRecord]:
    """Revisions as ``decision.events`` records."""
    return [FakeRecord(r.key, r.value, r.headers) for r in map(encode, revisions)]


def test_queries_answer_the_published_revisions(tmp_path: Path) -> None:
    revisions = project(interleaved(story_first("iv-a").events, checklist("iv-b").events))
    store = VerdictStore(tmp_path / "q.sqlite")
    store.add_records(records(revisions))
    store.add_records(records(revisions[:3]))  # read twice after a restart: kept once
    mine = [r for r in revisions if r.attributes.subject == "iv-a"]
    assert store.revisions("iv-a") == mine
    assert store.current("iv-a") == mine[-1]
    for revision in mine:
        data = revision.data
        assert store.as_of_sequence("iv-a", data.input_sequence) == revision  # type: ignore[attr-defined]
        assert store.as_of_time("iv-a", revision.attributes.time) == revision
    first_input = mine[0].data.input_sequence  # type: ignore[attr-defined]
    assert store.as_of_sequence("iv-a", first_input - 1) is None
    assert store.current("nobody") is None
    assert len(store) == 2


def test_a_reopened_store_keeps_revisions_and_positions(tmp_path: Path) -> None:
    revisions = project(story_first("iv-a").events)
    store = open_store(tmp_path, "decision.events")
    store.add_records(records(revisions))
    store.read_to(0, 41)
    path = store.path
    store.close()
    again = VerdictStore(path)
    assert again.position(0) == 41
    assert again.position(1) == 0
    assert again.revisions("iv-a") == revisions


def test_a_store_ahead_of_its_topic_forgets_everything(tmp_path: Path) -> None:
    """The topic was recreated (a new broker): what the store read belongs to another history."""
    store = VerdictStore(tmp_path / "q.sqlite")
    store.add_records(records(project(story_first("iv-a").events)))
    store.read_to(0, 41)
    assert not store.forget_if_ahead({0: 41, 1: 0})
    assert store.current("iv-a") is not None
    assert store.forget_if_ahead({0: 3, 1: 0})
    assert store.current("iv-a") is None
    assert store.position(0) == 0


def test_the_latest_verdicts_answer_current_before_the_history_is_read(tmp_path: Path) -> None:
    """ADR 0015: a new replica reads compacted decision.verdicts first, decision.events after."""
    revisions = project(interleaved(story_first("iv-a").events, checklist("iv-b").events))
    latest = {r.attributes.subject: r for r in revisions}  # what compaction leaves
    store = VerdictStore(tmp_path / "q.sqlite")
    store.add_records(records(list(latest.values())))
    store.read_to(0, 2, source="latest")
    assert store.current("iv-a") == latest["iv-a"]
    assert store.current("iv-b") == latest["iv-b"]
    assert store.revisions("iv-a") == [latest["iv-a"]]  # incomplete: the API answers 503 until the
    assert store.position(0) == 0  # history feed, with its own positions, has caught up
    store.add_records(records(revisions))
    store.read_to(0, len(revisions))
    assert store.revisions("iv-a") == [r for r in revisions if r.attributes.subject == "iv-a"]
    assert store.current("iv-a") == latest["iv-a"]
    assert (store.position(0, "latest"), store.position(0)) == (2, len(revisions))
