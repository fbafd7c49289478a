"""The commands the domain decides on (the wire models of ``schemas.commands``) and their stamp."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from schemas.commands import (
    AnswerQuestion,
    AskQuestion,
    AssessGoal,
    CommandEnvelope,
    CommandPayload,
    ConcludeInterview,
    OpenInterview,
    TellStory,
)

Command = CommandEnvelope
"""A command addressed to one interview, with its actor and expected version."""


@dataclass(frozen=True)
class Stamp:
    """What the domain may not invent: fresh event ids and the accepting time."""

    event_ids: Sequence[str]
    time: datetime
    trace: tuple[str, str | None] | None = None
    """W3C traceparent and tracestate of the operation deciding the command (None: tracing is off)."""
    policy_version: str = "v1"
    """The verdict policy an interview opens under when its command names none (the service's setting)."""


__all__ = [
    "AnswerQuestion",
    "AskQuestion",
    "AssessGoal",
    "Command",
    "CommandPayload",
    "ConcludeInterview",
    "OpenInterview",
    "Stamp",
    "TellStory",
]
