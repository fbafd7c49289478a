"""Per-candidacy state: the latest verdict revision of each round; a candidacy revision on every change."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime

from schemas.chain import GENESIS_HASH
from schemas.common import ActorSide
from schemas.decision import CandidacyVerdictChanged
from schemas.envelope import Event
from schemas.registry import DECISION_SOURCE, build_event
from services.decision.domain.candidacy import policy, versions
from services.decision.domain.candidacy.policy import CandidacyVerdict
from services.decision.domain.candidacy.rounds import RoundInput

ACTOR_ID = "decision-service"
CANDIDACY_NAMESPACE = uuid.uuid5(
    uuid.NAMESPACE_URL, "https://hiring-pipeline.example/decision-service/candidacy"
)
"""Namespace of the candidacy revision ids: uuid5(namespace, "<candidacy>/<revision>/<policy>")."""


@dataclass(frozen=True)
class CandidacyPublished:
    """The last candidacy revision published (what the next one chains from and is compared with)."""

    revision: int
    chain_hash: str
    verdict: CandidacyVerdict
    time: datetime | None = None
    """Its time: revisions of a candidacy never go back in time (rounds run side by side)."""


@dataclass(frozen=True)
class CandidacyState:
    """The rounds of one candidacy (latest revision each, in the order first seen) and its last revision."""

    rounds: tuple[RoundInput, ...] = ()
    published: CandidacyPublished | None = None
    policy: str = policy.VERSION
    """The candidacy policy its revisions are made under (chosen at its first round, kept for good)."""


def candidacy_revision_id(candidacy_id: str, revision: int, policy_version: str) -> str:
    """Deterministic id of a candidacy revision, so a duplicate is recognisable downstream."""
    return str(uuid.uuid5(CANDIDACY_NAMESPACE, f"{candidacy_id}/{revision}/{policy_version}"))


def with_round(rounds: tuple[RoundInput, ...], item: RoundInput) -> tuple[RoundInput, ...] | None:
    """``rounds`` with ``item`` as its interview's latest revision; None if it is not newer (a replay)."""
    for i, known in enumerate(rounds):
        if known.interview_id == item.interview_id:
            if item.revision <= known.revision or item.verdict.policy_version != known.verdict.policy_version:
                return None
            return (*rounds[:i], item, *rounds[i + 1 :])
    return (*rounds, item)


def step(state: CandidacyState, item: RoundInput) -> tuple[CandidacyState, Event | None]:
    """Take a round verdict revision; a candidacy revision when the candidacy verdict changed.

    A revision already taken (or an older one: the repartition topic is at least once across a
    decision-service rebuild) changes nothing. The first policy version seen for an interview is kept,
    and the candidacy's own policy (``state.policy``) makes every revision.
    """
    rounds = with_round(state.rounds, item)
    if rounds is None:
        return state, None
    verdict = versions.evaluate(state.policy, rounds)
    state = replace(state, rounds=rounds)
    if state.published is not None and state.published.verdict == verdict:
        return state, None
    event = build_revision(item, verdict, state.published, state.policy)
    published = CandidacyPublished(
        event.attributes.sequence, event.chain_hash, verdict, event.attributes.time
    )
    return replace(state, published=published), event


def build_revision(
    cause: RoundInput,
    verdict: CandidacyVerdict,
    previous: CandidacyPublished | None,
    version: str = policy.VERSION,
) -> Event:
    """The ``candidacy_verdict_changed`` event following ``previous`` (time and ids from the cause)."""
    revision = previous.revision + 1 if previous else 1
    time = max(cause.time, previous.time) if previous and previous.time else cause.time
    data = versions.MODEL[version](
        candidacy_id=cause.candidacy_id, revision=revision, policy_version=version,
        cause=cause.interview_id, input_hash=cause.chain_hash, rounds=verdict.rounds, status=verdict.status,
        company=verdict.company, candidate=verdict.candidate, mutual=verdict.mutual, signals=verdict.signals,
    )  # fmt: skip
    return build_event(
        data, event_id=candidacy_revision_id(cause.candidacy_id, revision, version),
        subject=cause.candidacy_id, sequence=revision,
        prevhash=previous.chain_hash if previous else GENESIS_HASH,
        time=time, actorid=ACTOR_ID, actorside=ActorSide.SYSTEM, correlationid=cause.correlationid,
        causationid=cause.event_id, source=DECISION_SOURCE,
    )  # fmt: skip


def verdict_of(data: CandidacyVerdictChanged) -> CandidacyVerdict:
    """The verdict a published candidacy revision carries."""
    return CandidacyVerdict(data.rounds, data.status, data.company, data.candidate, data.mutual, data.signals)
