"""Command records in, result and event records out: parsing, digests, encoding (no I/O)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from aiokafka.partitioner import murmur2
from pydantic import TypeAdapter, ValidationError

from schemas.codec import FieldProblem, encode, field_problems
from schemas.commands import (
    MAX_MESSAGE,
    CommandAccepted,
    CommandEnvelope,
    CommandRejected,
    CommandResult,
    CommandType,
    Token,
)
from schemas.common import Id
from schemas.envelope import Event
from services.interview.domain import Rejection
from services.interview.domain.rejections import Code
from services.platform.eos import OutRecord

JSON_HEADERS = [("content-type", b"application/json")]
_TAGS = frozenset(t.value for t in CommandType)  # discriminator tags pydantic puts in error locations
RESULT_ADAPTER: TypeAdapter[CommandResult] = TypeAdapter(CommandResult)
_ID: TypeAdapter[str] = TypeAdapter(Id)
_TOKEN: TypeAdapter[str] = TypeAdapter(Token)
MAX_PROBLEMS = 10
"""Problems a rejection lists at most; the rest are counted (a 30,000-item mistake is one mistake)."""
MAX_LOC = 200
"""Longest field path quoted in a problem (unknown field names come from the sender)."""


def owner_partition(interview_id: str, partitions: int) -> int:
    """The partition the default (murmur2) partitioner gives an interview id."""
    return int(murmur2(interview_id.encode()) & 0x7FFFFFFF) % partitions


def parse_command(
    value: bytes | None, key: bytes | None, fallback_id: str
) -> CommandEnvelope | CommandRejected:
    """A command record as an envelope, or the rejection naming every offending field."""
    try:
        raw = json.loads(value or b"")
    except (ValueError, RecursionError) as exc:  # also: nested too deep, an integer of 5,000 digits
        return _invalid(_ids({}, key, fallback_id), f"value is not JSON: {_clip(str(exc))}", "value")
    try:
        command = CommandEnvelope.model_validate(raw)
    except ValidationError as exc:
        field, message = describe_errors(exc)
        return _invalid(_ids(raw, key, fallback_id), message, field)
    if key is not None and key != command.interview_id.encode():
        message = f"record key {_clip(repr(key))} must equal interview_id {command.interview_id!r}"
        return _invalid(_ids(raw, key, fallback_id), message, "key")
    return command


def describe_errors(exc: ValidationError) -> tuple[str, str]:
    """(first offending field, message naming each field and what is allowed), bounded in size.

    At most ``MAX_PROBLEMS`` problems are listed and the rest counted, field paths are clipped and
    the message is at most ``MAX_MESSAGE`` characters: the result of any command record fits its topic.
    """
    errors = exc.errors(include_url=False, include_input=False)
    problems = [_safe(p) for p in field_problems(errors[:MAX_PROBLEMS], skip=_TAGS, noun="command")]
    message = "; ".join(str(p) for p in problems)
    if len(errors) > MAX_PROBLEMS:
        message += f"; and {len(errors) - MAX_PROBLEMS} more problem(s)"
    return problems[0].loc, _clip(message, MAX_MESSAGE)


def _safe(problem: FieldProblem) -> FieldProblem:
    return FieldProblem(_clip(problem.loc, MAX_LOC), _clip(problem.msg, MAX_MESSAGE // MAX_PROBLEMS))


def _clip(text: str, limit: int = MAX_LOC) -> str:
    """``text`` as printable, encodable UTF-8 of at most ``limit`` characters."""
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    text = "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _ids(raw: Any, key: bytes | None, fallback_id: str) -> dict[str, Any]:
    """The ids a rejection of an invalid record can still carry: only values valid as such."""
    raw = raw if isinstance(raw, dict) else {}
    key_id = _valid(_ID, (key or b"").decode("utf-8", "replace"))
    return {
        "command_id": _valid(_TOKEN, raw.get("command_id")) or fallback_id,
        "interview_id": _valid(_ID, raw.get("interview_id")) or key_id or "",
        "correlation_id": _valid(_TOKEN, raw.get("correlation_id")),
        "idempotency_key": _valid(_TOKEN, raw.get("idempotency_key")),
    }


def _valid(adapter: TypeAdapter[str], value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        return adapter.validate_python(value)
    except ValidationError:
        return None


def _invalid(ids: dict[str, Any], message: str, field: str) -> CommandRejected:
    return CommandRejected(code=Code.INVALID_COMMAND.value, message=message, field=field, **ids)


def request_digest(command: CommandEnvelope) -> str:
    """SHA-256 of what a retry must repeat exactly (not its command or correlation id)."""
    body = command.model_dump(
        mode="json", include={"interview_id", "actor_id", "actor_side", "expected_version", "payload"}
    )
    # Sorted-key compact JSON is deterministic and ~5x cheaper than RFC 8785 (only we compare digests).
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _base(command: CommandEnvelope) -> dict[str, Any]:
    return {
        "command_id": command.command_id,
        "interview_id": command.interview_id,
        "idempotency_key": command.key,
        "correlation_id": command.correlation_id,
    }


def is_first_result(result: CommandResult) -> bool:
    """Whether a result binds its idempotency key: what a retry with the same content gets back.

    Replays and ``idempotency_key_reused`` answer a retry, not the key's command; a record that did
    not parse as a command has no content digest, so its key stays free.
    """
    if result.replay_of is not None or not result.idempotency_key or result.request_digest is None:
        return False
    return not isinstance(result, CommandRejected) or result.code != Code.IDEMPOTENCY_KEY_REUSED


def accepted(command: CommandEnvelope, events: list[Event]) -> CommandAccepted:
    """The result of an accepted command (built from validated values: not validated again)."""
    return CommandAccepted.model_construct(
        event_ids=tuple(e.attributes.id for e in events),
        event_types=tuple(e.attributes.type for e in events),
        version=events[-1].attributes.sequence,
        request_digest=request_digest(command),
        **_base(command),
    )


def rejected(command: CommandEnvelope, rejection: Rejection) -> CommandRejected:
    """The result of a refused command."""
    return CommandRejected(
        code=rejection.code.value,
        message=rejection.message,
        field=rejection.field,
        current_version=rejection.current_version,
        request_digest=request_digest(command),
        **_base(command),
    )


def replayed(command: CommandEnvelope, first: CommandResult) -> CommandResult:
    """A retry's result: the first result again, under the retry's own command id."""
    return first.model_copy(update={**_base(command), "replay_of": first.command_id})


def result_record(result: CommandResult, topic: str, partition: int) -> OutRecord:
    """A result as a record on the results topic (same partition number as the command)."""
    headers = [*JSON_HEADERS, ("command_id", result.command_id.encode()), ("status", result.status.encode())]
    return OutRecord(
        topic, result.interview_id.encode(), result.model_dump_json().encode(), headers, partition
    )


def event_record(event: Event, topic: str, partition: int) -> OutRecord:
    """An event as a CloudEvents binary-mode record on the events topic."""
    record = encode(event)
    return OutRecord(topic, record.key, record.value, record.headers, partition)


def parse_result(value: bytes) -> CommandResult:
    """A result record's value back to its model."""
    return RESULT_ADAPTER.validate_json(value)
