"""Rebuild one partition's writer state from the log: interviews from events, retries from results."""

from __future__ import annotations

from typing import Any

from schemas.codec import ContractError, decode
from schemas.commands import CommandResult
from services.interview.adapters.wire import is_first_result, parse_result
from services.interview.domain import InterviewState, evolve
from services.platform.log_reader import read_partition

IdempotencyIndex = dict[tuple[str, str], CommandResult]
"""First result, accepted or rejected, per (interview id, idempotency key)."""


class UnreadableHistoryError(RuntimeError):
    """A committed event of our own topic does not decode: refuse to write on top of it."""


async def load_interviews(client: dict[str, Any], topic: str, partition: int) -> dict[str, InterviewState]:
    """Every interview of this partition folded from its committed events (read_committed)."""
    states: dict[str, InterviewState] = {}
    async for record in read_partition(client, topic, partition):
        try:
            event = decode(record.value, record.headers, record.key)
        except ContractError as exc:
            where = f"{topic}[{partition}]@{record.offset}"
            raise UnreadableHistoryError(f"cannot rebuild from {where}: {exc}") from exc
        iid = event.attributes.subject
        states[iid] = evolve(states.get(iid) or InterviewState(iid), event)
    return states


async def load_idempotency(client: dict[str, Any], topic: str, partition: int) -> IdempotencyIndex:
    """First result of every idempotency key still in the results topic's retention."""
    index: IdempotencyIndex = {}
    async for record in read_partition(client, topic, partition):
        if record.value is None:
            continue
        result = parse_result(record.value)
        if is_first_result(result) and result.idempotency_key:
            index.setdefault((result.interview_id, result.idempotency_key), result)
    return index
