"""Idempotency keys bind their first result, accepted or rejected, after a rebuild too (design §5.2)."""

from __future__ import annotations

import itertools
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from schemas.commands import CommandAccepted, CommandEnvelope, CommandRejected, CommandResult
from schemas.topics import Topics
from services.interview.adapters import wire
from services.interview.adapters.handler import InterviewHandler, _Partition
from services.interview.adapters.snapshot import STATE_FORMAT
from services.platform.privacy.keystore import KeyStore, MemoryKeyStore
from services.platform.state import PartitionStore
from tests.unit.interview.given import ALICE, CANDIDATE, IID, T0, open_payload, story, uid

TOPICS = Topics("unit.")
PARTITIONS = 1  # every interview id belongs to partition 0
_offsets = itertools.count()


@dataclass(frozen=True)
class FakeRecord:
    """The fields of a consumer record the handler reads."""

    value: bytes
    key: bytes
    topic: str = TOPICS.commands
    partition: int = 0
    offset: int = 0
    headers: tuple[tuple[str, bytes], ...] = ()


def command(version: int, actor: str, payload: dict[str, Any], key: str) -> CommandEnvelope:
    """A command for interview ``IID`` under idempotency key ``key``."""
    body = {"command_id": uid(), "idempotency_key": key, "interview_id": IID, "expected_version": version}
    return CommandEnvelope.model_validate(
        body | {"actor_id": actor, "correlation_id": "corr-1", "payload": payload}
    )


def writer(keys: KeyStore | None = None) -> InterviewHandler:
    """A handler owning partition 0 with an empty store (no broker: nothing to restore)."""
    directory = Path(tempfile.mkdtemp(prefix="writer-state-"))
    handler = InterviewHandler({}, TOPICS, PARTITIONS, clock=lambda: T0, ids=uid, state_dir=directory,
                               keys=keys or MemoryKeyStore())  # fmt: skip
    handler._owned[0] = _Partition(PartitionStore(directory, TOPICS.writer_state, 0, STATE_FORMAT))
    return handler


async def send(handler: InterviewHandler, cmd: CommandEnvelope) -> tuple[CommandResult, int]:
    """Decide one command; its result and how many events it appended."""
    record = FakeRecord(cmd.model_dump_json().encode(), IID.encode(), offset=next(_offsets))
    out = await handler.handle(0, [record])  # type: ignore[list-item]
    handler.committed(0, {})  # as the engine does once the transaction committed
    results = [wire.parse_result(o.value or b"") for o in out if o.topic == TOPICS.command_results]
    assert len(results) == 1
    return results[0], sum(o.topic == TOPICS.interview_events for o in out)


async def test_a_rejected_command_retried_after_the_cause_is_gone_gets_its_rejection_again() -> None:
    handler = writer()
    early = command(1, CANDIDATE, story("s1"), key="story-1")
    first, _ = await send(handler, early)
    assert isinstance(first, CommandRejected)
    assert first.code == "not_opened"
    await send(handler, command(0, ALICE, open_payload(), key="open"))
    retry, appended = await send(handler, early.model_copy(update={"command_id": uid()}))
    assert isinstance(retry, CommandRejected)
    assert (retry.code, retry.replay_of, appended) == ("not_opened", early.command_id, 0)


async def test_different_content_under_a_rejected_key_is_a_reused_key() -> None:
    handler = writer()
    await send(handler, command(1, CANDIDATE, story("s1"), key="story-1"))
    await send(handler, command(0, ALICE, open_payload(), key="open"))
    reused, appended = await send(handler, command(1, CANDIDATE, story("s2"), key="story-1"))
    assert isinstance(reused, CommandRejected)
    assert (reused.code, reused.field, appended) == ("idempotency_key_reused", "idempotency_key", 0)
    # The reuse answered a retry: the key still returns its first result.
    again, _ = await send(handler, command(1, CANDIDATE, story("s1"), key="story-1"))
    assert isinstance(again, CommandRejected)
    assert again.code == "not_opened"


async def test_an_accepted_command_retried_gets_its_first_result() -> None:
    handler = writer()
    opened = command(0, ALICE, open_payload(), key="open")
    first, appended = await send(handler, opened)
    retry, again = await send(handler, opened.model_copy(update={"command_id": uid()}))
    assert isinstance(first, CommandAccepted)
    assert isinstance(retry, CommandAccepted)
    assert (appended, again, retry.event_ids, retry.replay_of) == (1, 0, first.event_ids, opened.command_id)


def test_which_results_bind_their_key() -> None:
    cmd = command(1, CANDIDATE, story("s1"), key="k")
    rejection = CommandRejected(
        command_id=cmd.command_id, interview_id=IID, idempotency_key="k", code="not_opened", message="m",
        request_digest=wire.request_digest(cmd),
    )  # fmt: skip
    assert wire.is_first_result(rejection)
    assert not wire.is_first_result(rejection.model_copy(update={"replay_of": "x"}))
    assert not wire.is_first_result(rejection.model_copy(update={"code": "idempotency_key_reused"}))
    unparsed = rejection.model_copy(update={"code": "invalid_command", "request_digest": None})
    assert not wire.is_first_result(unparsed)  # not a command: nothing to compare a retry with
