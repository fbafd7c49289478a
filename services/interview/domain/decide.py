"""``decide(state, command, stamp) -> events | Rejection``: every rule of an interview, pure."""

from __future__ import annotations

import functools
import json

from schemas.common import ActorSide, Frozen, Side
from schemas.envelope import Event
from schemas.registry import INTERVIEW_SOURCE, build_event
from services.interview.domain import rules
from services.interview.domain.commands import (
    AnswerQuestion,
    AskQuestion,
    AssessGoal,
    Command,
    ConcludeInterview,
    OpenInterview,
    Stamp,
    TellStory,
)
from services.interview.domain.rejections import Code, RejectedError, Rejection
from services.interview.domain.state import InterviewState


def decide(state: InterviewState, command: Command, stamp: Stamp) -> list[Event] | Rejection:
    """The events ``command`` appends to the interview, or why it is refused."""
    try:
        side = _admit(state, command, stamp.policy_version)
        data = _data(state, command, side, stamp.policy_version)
    except RejectedError as exc:
        # Someone not taking part learns nothing of the interview, not even its version.
        hidden = exc.code is Code.NOT_A_PARTICIPANT
        return Rejection(exc.code, exc.message, exc.field, None if hidden else state.version)
    return [_event(state, command, stamp, data, side)]


def _admit(state: InterviewState, command: Command, policy: str) -> Side:
    """Lifecycle, version, then who may act: returns the actor's side."""
    if not isinstance(command.payload, OpenInterview) and state.opened and state.unreadable is None:
        rules.actor(dict(state.participants), command)  # a stranger hears first that they are one
    rules.lifecycle(state, command)
    rules.version(state, command)
    if isinstance(command.payload, OpenInterview):
        rules.participants(command.payload)
        rules.policy(command.payload, policy)
        participants = {p.id: p.side for p in command.payload.participants}
    else:
        participants = dict(state.participants)
    return rules.actor(participants, command)


def _data(state: InterviewState, command: Command, side: Side, policy: str) -> Frozen:
    payload, actor = command.payload, command.actor_id
    match payload:
        case OpenInterview():
            return rules.opened(payload, policy)
        case TellStory():
            return rules.story(state, payload, actor, side)
        case AskQuestion():
            return rules.question(state, payload, actor, side)
        case AnswerQuestion():
            return rules.answer(state, payload, actor, side)
        case AssessGoal():
            return rules.assessment(state, payload, actor, side)
        case ConcludeInterview():
            return rules.conclusion(payload, actor, side)
    raise RejectedError(
        Code.INVALID_COMMAND, f"unknown command type {type(payload).__name__}", "payload.type"
    )


def _event(state: InterviewState, command: Command, stamp: Stamp, data: Frozen, side: Side) -> Event:
    return build_event(
        data,
        event_id=stamp.event_ids[0],
        subject=command.interview_id,
        sequence=state.version + 1,
        prevhash=state.last_hash,
        # A new owner's clock may lag the old one's: times stay ordered so "as of T" is well defined.
        time=max(stamp.time, state.last_time) if state.last_time else stamp.time,
        actorid=command.actor_id,
        actorside=ActorSide(side.value),
        correlationid=command.correlation_id,
        causationid=command.command_id,
        source=INTERVIEW_SOURCE,
        traceparent=stamp.trace[0] if stamp.trace else None,
        tracestate=stamp.trace[1] if stamp.trace else None,
        auth=_auth(command),
    )


def _auth(command: Command) -> tuple[str, str, str] | None:
    """The Auth Context attributes of the command's principal (None: the command names none)."""
    p = command.principal
    if p is None:
        return None
    return p.type, p.id, _claims(p.issuer, p.role)


@functools.lru_cache(maxsize=256)
def _claims(issuer: str, role: str) -> str:
    """The ``authclaims`` JSON (a handful of issuers and roles: computed once each)."""
    return json.dumps({"iss": issuer, "role": role}, sort_keys=True, separators=(",", ":"))
