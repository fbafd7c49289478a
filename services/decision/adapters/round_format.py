"""The round record of ``decision.candidacy-rounds`` and the candidacy state value (ADR 0018).

Both are compact JSON arrays of what ``candidacy-v1`` reads and cites of a round verdict revision
(``RoundInput``), not a copy of the revision. Layout of a round (format 2), positionally:

    [event_id, chain_hash, time, correlationid, interview_id, round, outcome|null,
     candidacy_id, revision, policy_version, final, mutual, company, candidate, signals]
    side    = [decision, [missing goal, ...], [[goal, mean, [assessment event id, ...],
                                                 [evidence event id, ...]], ...]]
    signals = [[code, [evidence event id, ...]], ...]        (only ``ROUND_SIGNALS``)

``chain_hash`` is the revision's hash as stored on ``decision.events`` (the writer built that record),
``time`` its ``time`` attribute as stored. A repartition record says its format in the
``cy_format`` header; records without it are format 1 (ADR 0012: the revision's own record plus
``cy_round``/``cy_outcome`` headers) and are still read. The topic is internal and written only by the
decision service in the transaction that publishes the revision, so decoding checks shape and types
(cheaply) instead of revalidating through pydantic; anything else raises ``MalformedRoundError``.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from schemas.common import GoalId, Outcome
from schemas.decision import Decision, Mutual
from schemas.envelope import format_time
from services.decision.domain.candidacy.rounds import (
    RoundInput,
    RoundReason,
    RoundSide,
    RoundSignal,
    RoundVerdict,
)

FORMAT_HEADER = "cy_format"
ROUND_FORMAT = 2
"""Format of a ``decision.candidacy-rounds`` record written now (1: a full revision copy, ADR 0012)."""
FORMAT_2 = [(FORMAT_HEADER, b"2")]


class MalformedRoundError(ValueError):
    """A round record or state value that is not what this service writes."""


def dumps(doc: Any) -> bytes:
    """Compact JSON (floats as Python's shortest repr: they read back exactly)."""
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()


def _side(s: RoundSide) -> list[Any]:
    reasons = [[r.goal.value, r.mean, list(r.assessment_events), list(r.evidence_events)] for r in s.reasons]
    return [s.decision.value, [g.value for g in s.missing], reasons]


def round_doc(item: RoundInput) -> list[Any]:
    """A round as the format-2 array."""
    v = item.verdict
    return [
        item.event_id, item.chain_hash, format_time(item.time), item.correlationid, item.interview_id,
        item.round, item.outcome.value if item.outcome else None, v.candidacy_id, v.revision,
        v.policy_version, v.final, v.mutual.value, _side(v.company), _side(v.candidate),
        [[s.code, list(s.evidence)] for s in v.signals],
    ]  # fmt: skip


def _str(x: Any) -> str:
    if type(x) is not str:
        raise MalformedRoundError(f"expected a string, got {type(x).__name__}")
    return x


def _strs(x: Any) -> tuple[str, ...]:
    if type(x) is not list or any(type(e) is not str for e in x):
        raise MalformedRoundError("expected a list of strings")
    return tuple(x)


def _list(x: Any) -> list[Any]:
    if type(x) is not list:
        raise MalformedRoundError(f"expected a list, got {type(x).__name__}")
    return x


def _reason(doc: Any) -> RoundReason:
    goal, mean, assessments, evidence = _list(doc)
    if type(mean) not in (float, int):
        raise MalformedRoundError("a goal mean is not a number")
    return RoundReason(GoalId(goal), float(mean), _strs(assessments), _strs(evidence))


def _round_side(doc: Any) -> RoundSide:
    decision, missing, reasons = _list(doc)
    return RoundSide(
        decision=Decision(decision), reasons=tuple(map(_reason, _list(reasons))),
        missing=tuple(GoalId(g) for g in _strs(missing)),
    )  # fmt: skip


def _signal(doc: Any) -> RoundSignal:
    code, evidence = _list(doc)
    return RoundSignal(_str(code), _strs(evidence))


def _round(doc: Any) -> RoundInput:
    (event_id, chain_hash, time, correlationid, interview_id, round_name, outcome, candidacy_id, revision,
     policy_version, final, mutual, company, candidate, signals) = _list(doc)  # fmt: skip
    if type(revision) is not int or revision < 1 or type(final) is not bool:
        raise MalformedRoundError("revision or final of the wrong type")
    if len(_str(chain_hash)) != 64:
        raise MalformedRoundError("chain_hash is not a SHA-256 hex digest")
    verdict = RoundVerdict(
        _str(candidacy_id), revision, _str(policy_version), final, Mutual(mutual), _round_side(company),
        _round_side(candidate), tuple(map(_signal, _list(signals))),
    )  # fmt: skip
    at = datetime.fromisoformat(_str(time))
    if at.tzinfo is None:
        raise MalformedRoundError("a time without its UTC offset")
    return RoundInput(
        _str(interview_id), _str(round_name), None if outcome is None else Outcome(outcome), _str(event_id),
        chain_hash, at, _str(correlationid), verdict,
    )  # fmt: skip


def round_from_doc(doc: Any) -> RoundInput:
    """A round back from its format-2 array; ``MalformedRoundError`` if it is not one."""
    try:
        return _round(doc)
    except MalformedRoundError:
        raise
    except (ValueError, TypeError) as exc:  # wrong arity, unknown enum value, bad time
        raise MalformedRoundError(f"not a format-{ROUND_FORMAT} round: {exc}") from exc


def encode_round(item: RoundInput) -> bytes:
    """A round as a ``decision.candidacy-rounds`` value (format 2)."""
    return dumps(round_doc(item))


def decode_round(value: bytes | None) -> RoundInput:
    """A format-2 ``decision.candidacy-rounds`` value back as the round it carries."""
    if value is None:
        raise MalformedRoundError("a round record without a value")
    try:
        doc = json.loads(value)
    except ValueError as exc:
        raise MalformedRoundError(f"a round record that is not JSON: {exc}") from exc
    return round_from_doc(doc)
