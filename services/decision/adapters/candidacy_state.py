"""The candidacy processor's state as stored and changelogged on ``decision.candidacy-state`` (ADR 0018).

Version 2 keeps what recovery needs, one key per round, so a change writes only the round it changed:

    r:<candidacy id>/<interview id>  ->  [2, position, published | null, round]

``round`` is the round as it came in (the format-2 array of ``round_format``, its bytes copied as
received), ``position`` its place among the candidacy's rounds (the order first seen), ``published``
``[revision, chain_hash, time]`` of the candidacy's last revision when this round was written (and a
fourth item, the candidacy policy, when it is not ``candidacy-v1``: ADR 0022). Every
change that publishes a revision writes the round that caused it, so the candidacy's last revision is
the highest ``published`` among its rounds. Its verdict is not stored: ``step`` keeps it equal to
the candidacy's policy of the rounds, so loading recomputes it.

Version 1 (ADR 0012) kept one key per candidacy, ``c:<candidacy id>``, a JSON object with every round's
full revision and the last verdict: still read, and replaced (the key tombstoned) at the candidacy's
next change.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping
from datetime import datetime
from typing import Any

from schemas.common import Outcome
from schemas.decision import VerdictChanged
from schemas.envelope import format_time
from services.decision.adapters.round_format import MalformedRoundError, dumps, encode_round, round_from_doc
from services.decision.domain.candidacy import versions
from services.decision.domain.candidacy.revisions import CandidacyPublished, CandidacyState
from services.decision.domain.candidacy.rounds import RoundInput, round_verdict

STATE_VERSION = 2
ROUND, LEGACY = "r:", "c:"
"""Key prefixes: a round of a candidacy (version 2), a whole candidacy (version 1)."""


def round_key(candidacy_id: str, interview_id: str) -> str:
    """The key of one round of a candidacy (ids never contain ``/``)."""
    return f"{ROUND}{candidacy_id}/{interview_id}"


def round_prefix(candidacy_id: str) -> str:
    """The prefix of every round key of a candidacy."""
    return f"{ROUND}{candidacy_id}/"


def _published_doc(state: CandidacyState) -> bytes:
    p = state.published
    if p is None:
        return b"null"
    doc = [p.revision, p.chain_hash, format_time(p.time) if p.time else None]
    # Another policy than candidacy-v1 is named (v1's values stay as they were written: ADR 0022).
    return dumps(doc if state.policy == versions.DEFAULT else [*doc, state.policy])


def state_values(
    state: CandidacyState, interviews: Collection[str], received: Mapping[str, tuple[RoundInput, bytes]]
) -> dict[str, bytes]:
    """The values to write for these interviews' rounds of ``state``.

    ``received`` maps an interview to the round taken from a format-2 record and its bytes: when that is
    still the state's round, its bytes are written as they came (no re-encoding).
    """
    published, out = _published_doc(state), {}
    for position, r in enumerate(state.rounds):
        if r.interview_id in interviews:
            item, raw = received.get(r.interview_id, (None, b""))
            body = raw if item is r else encode_round(r)
            out[round_key(r.candidacy_id, r.interview_id)] = b"[%d,%d,%s,%s]" % (
                STATE_VERSION, position, published, body)  # fmt: skip
    return out


def _with_published(rounds: tuple[RoundInput, ...], published: Any) -> CandidacyState:
    if published is None:
        return CandidacyState(rounds)
    revision, chain_hash, time, *named = published
    version = named[0] if named else versions.DEFAULT
    at = datetime.fromisoformat(time) if time else None
    verdict = versions.evaluate(version, rounds)
    return CandidacyState(rounds, CandidacyPublished(revision, chain_hash, verdict, at), version)


def state_from_rounds(values: Iterable[bytes]) -> CandidacyState:
    """A candidacy's state from its version-2 round values (any order)."""
    entries = []
    for value in values:
        doc = json.loads(value)
        if not isinstance(doc, list) or len(doc) != 4 or doc[0] != STATE_VERSION:
            raise MalformedRoundError("not a version-2 candidacy round value")
        _, position, published, body = doc
        entries.append((position, published, round_from_doc(body)))
    entries.sort(key=lambda e: e[0])
    publisheds = [p for _, p, _ in entries if p is not None]
    latest = max(publisheds, key=lambda p: p[0]) if publisheds else None
    return _with_published(tuple(r for _, _, r in entries), latest)


def load_legacy(value: bytes) -> CandidacyState:
    """A candidacy's state from a version-1 value (validated once: it was written by an older release)."""
    doc = json.loads(value)
    rounds = tuple(RoundInput(i, rd, Outcome(o) if o else None, e, h, datetime.fromisoformat(t), c,
                              round_verdict(VerdictChanged.model_validate(v)))
                   for i, rd, o, e, h, t, c, v in doc["r"])  # fmt: skip
    revision, chain_hash, _ = doc.get("p", (None, None, None))
    return _with_published(rounds, None if revision is None else [revision, chain_hash, doc.get("t")])
