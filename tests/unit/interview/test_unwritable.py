"""A command whose event could never be produced is refused with a clear result, and changes nothing."""

from __future__ import annotations

import pytest

from schemas.commands import CommandAccepted, CommandRejected
from services.interview.adapters import handler as handler_module
from services.interview.adapters.snapshot import interview_key
from tests.unit.interview.given import ALICE, CANDIDATE, IID, open_payload, story
from tests.unit.interview.test_idempotency import command, send, writer


async def test_an_event_over_the_record_limit_is_refused_and_nothing_changes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    handler = writer()
    opened, _ = await send(handler, command(0, ALICE, open_payload(), key="open"))
    assert isinstance(opened, CommandAccepted)
    before = handler._owned[0].store.get(interview_key(IID))
    monkeypatch.setattr(handler_module, "MAX_RECORD_BYTES", 500)  # a story event is larger than this
    refused, appended = await send(handler, command(1, CANDIDATE, story("s1"), key="story"))
    assert isinstance(refused, CommandRejected)
    assert (refused.code, refused.field, appended) == ("output_too_large", "payload", 0)
    assert "over the 500-byte limit" in refused.message
    assert handler._owned[0].store.get(interview_key(IID)) == before  # the interview did not move
    monkeypatch.setattr(handler_module, "MAX_RECORD_BYTES", 1_048_576)
    told, appended = await send(handler, command(1, CANDIDATE, story("s1"), key="story-again"))
    assert isinstance(told, CommandAccepted)
    assert appended == 1
