"""INTERVIEW_POLICY_VERSION: the writer opens interviews whose open command names no policy under it."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest

from services.interview.adapters.handler import InterviewHandler, _Partition
from services.interview.adapters.snapshot import STATE_FORMAT
from services.interview.entrypoints.settings import InterviewSettings
from services.platform.privacy.keystore import MemoryKeyStore
from services.platform.state import PartitionStore
from tests.unit.interview.given import ALICE, IID, T0, open_payload, uid
from tests.unit.interview.test_idempotency import PARTITIONS, TOPICS, FakeRecord, command


def writer(policy_version: str) -> InterviewHandler:
    directory = Path(tempfile.mkdtemp(prefix="writer-state-"))
    handler = InterviewHandler({}, TOPICS, PARTITIONS, clock=lambda: T0, ids=uid, state_dir=directory,
                               keys=MemoryKeyStore(), policy_version=policy_version)  # fmt: skip
    handler._owned[0] = _Partition(PartitionStore(directory, TOPICS.writer_state, 0, STATE_FORMAT))
    return handler


async def opened_under(handler: InterviewHandler, payload: dict[str, object]) -> str:
    record = FakeRecord(command(0, ALICE, payload, key="open").model_dump_json().encode(), IID.encode())
    out = await handler.handle(0, [record])  # type: ignore[list-item]
    events = [o for o in out if o.topic == TOPICS.interview_events]
    assert len(events) == 1
    return str(json.loads(events[0].value or b"{}")["policy_version"])


@pytest.mark.parametrize("setting", ["v1", "v2"])
async def test_an_open_naming_no_policy_gets_the_setting_a_named_one_keeps_it(setting: str) -> None:
    unnamed = {k: v for k, v in open_payload().items() if k != "policy_version"}
    assert await opened_under(writer(setting), unnamed) == setting
    assert await opened_under(writer(setting), open_payload(policy_version="v1")) == "v1"


def test_the_setting_defaults_to_v1_and_refuses_an_unknown_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INTERVIEW_POLICY_VERSION", raising=False)
    assert InterviewSettings().policy_version == "v1"
    monkeypatch.setenv("INTERVIEW_POLICY_VERSION", "v2")
    assert InterviewSettings().policy_version == "v2"
    monkeypatch.setenv("INTERVIEW_POLICY_VERSION", "v9")
    with pytest.raises(ValueError, match="unknown verdict policy 'v9'"):
        InterviewSettings()

