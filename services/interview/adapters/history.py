"""Rebuild one partition's writer state from the log: interviews from events, retries from results."""

from __future__ import annotations

from typing import Any

import structlog

from schemas.codec import ContractError, decode
from schemas.commands import CommandResult
from services.interview.adapters.wire import is_first_result, parse_result
from services.interview.domain import BrokenHistoryError, InterviewState, evolve
from services.interview.domain.state import parked
from services.platform.log_reader import read_partition

log = structlog.get_logger("interview.history")

IdempotencyIndex = dict[tuple[str, str], CommandResult]
"""First result, accepted or rejected, per (interview id, idempotency key)."""


async def load_interviews(client: dict[str, Any], topic: str, partition: int) -> dict[str, InterviewState]:
    """Every interview of this partition folded from its committed events (read_committed).

    A record that does not decode, or does not extend its interview's chain, parks that interview
    (it refuses every command, naming the record) and nothing after it is folded; the partition's
    other interviews go on.
    """
    states: dict[str, InterviewState] = {}
    async for record in read_partition(client, topic, partition):
        where = f"{topic}[{partition}]@{record.offset}"
        try:
            event = decode(record.value, record.headers, record.key)
        except ContractError as exc:
            iid = record.key.decode("utf-8", "replace") if record.key else ""
            _park(states, iid, f"the record at {where} does not decode ({exc.code}: {str(exc)[:500]})")
            continue
        iid = event.attributes.subject
        current = states.get(iid) or InterviewState(iid)
        if current.unreadable is not None:
            continue  # parked: nothing after the unreadable record can be chained
        try:
            states[iid] = evolve(current, event)
        except BrokenHistoryError as exc:
            _park(states, iid, f"the record at {where} breaks the history ({str(exc)[:500]})")
    return states


def _park(states: dict[str, InterviewState], iid: str, reason: str) -> None:
    if iid and (iid not in states or states[iid].unreadable is None):
        log.error("interview parked: unreadable history", interview_id=iid, reason=reason)
        states[iid] = parked(iid, reason)


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
