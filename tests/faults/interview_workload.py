"""A deterministic stream of interview commands (valid, retried, stale) and its expected outcome."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from schemas.commands import CommandEnvelope
from tests.unit.interview.given import (
    ALICE,
    BOB,
    CANDIDATE,
    answer,
    assess,
    conclude,
    open_payload,
    question,
    story,
)

LOOPS = 45  # clarifying question + answer pairs per interview: 3 + 2 * 45 + 3 = 96 valid commands
RETRIED_AT = (10, 50)  # valid command indexes retried with the same idempotency key
STALE_AFTER = (20, 70)  # valid command indexes followed by a command with a stale expected_version


def story_first_steps() -> list[tuple[str, dict[str, Any]]]:
    """96 valid (actor, payload) steps of one interview."""
    steps = [
        (ALICE, open_payload()),
        (ALICE, question("q0", "invite_story")),
        (CANDIDATE, story("s0", in_reply_to="q0")),
    ]
    for i in range(1, LOOPS + 1):
        about = "s0" if i == 1 else f"a{i - 1}"
        steps.append((ALICE if i % 2 else BOB, question(f"q{i}", "clarifying", about)))
        steps.append((CANDIDATE, answer(f"a{i}", f"q{i}")))
    steps += [
        (ALICE, assess("g1", "company.level", ["s0", "a1"])),
        (CANDIDATE, assess("g2", "company.attract", ["q0"])),
        (ALICE, conclude()),
    ]
    return steps


@dataclass
class Workload:
    """The commands to stream and what the log must show afterwards."""

    commands: list[CommandEnvelope] = field(default_factory=list)
    valid: dict[str, list[str]] = field(
        default_factory=dict
    )  # interview -> command ids that append, in order
    retries: dict[str, str] = field(default_factory=dict)  # retry command id -> original command id
    stale: set[str] = field(default_factory=set)  # command ids that must be rejected with version_conflict


def _envelope(iid: str, version: int, actor: str, payload: dict[str, Any], key: str) -> CommandEnvelope:
    return CommandEnvelope.model_validate(
        {
            "command_id": str(uuid.uuid4()),
            "idempotency_key": key,
            "interview_id": iid,
            "expected_version": version,
            "actor_id": actor,
            "correlation_id": f"crash-{iid}",
            "payload": payload,
        }
    )


def _interview(iid: str, load: Workload) -> list[CommandEnvelope]:
    out: list[CommandEnvelope] = []
    load.valid[iid] = []
    for n, (actor, payload) in enumerate(story_first_steps()):
        command = _envelope(iid, n, actor, payload, f"{iid}-{n}")
        out.append(command)
        load.valid[iid].append(command.command_id)
        if n in RETRIED_AT:
            retry = command.model_copy(update={"command_id": str(uuid.uuid4())})
            load.retries[retry.command_id] = command.command_id
            out.append(retry)
        if n in STALE_AFTER:
            late = _envelope(iid, 5, BOB, question(f"late{n}", "scripted"), f"{iid}-late{n}")
            load.stale.add(late.command_id)
            out.append(late)
    return out


def build(interviews: int = 50) -> Workload:
    """``interviews`` x 100 commands, interleaved round-robin so every partition is busy."""
    load = Workload()
    per = [_interview(f"iv-{i:03d}", load) for i in range(interviews)]
    load.commands = [cmds[j] for j in range(len(per[0])) for cmds in per]
    return load
