"""Per-interview decision state: accept an event (or park the interview), emit a revision on change."""

from __future__ import annotations

import hashlib
import uuid
from collections import OrderedDict
from dataclasses import dataclass, replace

from schemas import canonical
from schemas.chain import GENESIS_HASH
from schemas.common import ActorSide
from schemas.decision import Agreement, SideVerdict, Signal, VerdictChanged, VerdictChangedV2
from schemas.envelope import Event
from schemas.interview import InterviewOpened
from schemas.registry import DECISION_SOURCE, build_event
from services.decision.domain.policy import Policies
from services.decision.domain.projection import Projection, evolve, without_facts
from services.decision.domain.verdict import Verdict

ACTOR_ID = "decision-service"
REVISION_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://hiring-pipeline.example/decision-service")
"""Namespace of the deterministic revision ids: uuid5(namespace, "<interview>/<revision>/<policy>")."""
_NAMESPACE_BYTES = REVISION_NAMESPACE.bytes


@dataclass(frozen=True)
class Poison:
    """An input record not taken into an interview's history: it parks that interview."""

    interview_id: str
    offset: int
    code: str
    detail: str


@dataclass(frozen=True)
class Published:
    """The last revision published for an interview (what the next one is compared with)."""

    revision: int
    chain_hash: str
    verdict: Verdict | None
    """None once the interview is concluded and its final revision published: no verdict follows."""
    input_sequence: int


@dataclass(frozen=True)
class InterviewState:
    """Projection, last published revision and parking of one interview."""

    projection: Projection | None = None
    published: Published | None = None
    parked: Poison | None = None


def revision_id(interview_id: str, revision: int, policy_version: str) -> str:
    """Deterministic id of a revision, so a duplicate is recognisable downstream."""
    # ``str(uuid.uuid5(REVISION_NAMESPACE, name))`` written out: ``UUID``'s constructor costs more
    # than the SHA-1 (a test holds both equal).
    digest = bytearray(hashlib.sha1(_NAMESPACE_BYTES + f"{interview_id}/{revision}/{policy_version}".encode(),
                                    usedforsecurity=False).digest()[:16])  # fmt: skip
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def check(state: InterviewState, event: Event) -> tuple[str, str] | None:
    """Why this event cannot extend the interview's history (code, detail), or None."""
    last = state.projection.sequence if state.projection else 0
    opening = isinstance(event.data, InterviewOpened)
    if last == 0 and not opening:
        return "not_opened", f"sequence {event.attributes.sequence} arrived before interview.opened"
    if last > 0 and opening:
        return "already_opened", f"interview.opened again at sequence {event.attributes.sequence}"
    if state.projection is not None and state.projection.concluded is not None:
        return "after_concluded", f"sequence {event.attributes.sequence} follows the interview's conclusion"
    if event.attributes.sequence != last + 1:
        return "sequence_gap", f"sequence {event.attributes.sequence} follows {last}"
    return None


def unknown_policy(event: Event, policies: Policies) -> tuple[str, str] | None:
    """An interview opened under a policy this build cannot apply waits for a fix; never guess one."""
    if not isinstance(event.data, InterviewOpened):
        return None
    if policies.applying_to(event.data.policy_version) is not None:
        return None
    known = ", ".join(sorted(policies.known))
    return "unknown_policy", f"policy_version {event.data.policy_version!r} is not known here; known: {known}"


def accept(
    state: InterviewState, item: Event | Poison, offset: int = -1, policies: Policies | None = None
) -> tuple[InterviewState, Poison | None]:
    """Fold an event into the projection; a poison record or an invalid event parks the interview."""
    if state.parked is not None:
        return state, None
    if isinstance(item, Poison):
        return replace(state, parked=item), item
    last = state.projection.sequence if state.projection else 0
    if 0 < item.attributes.sequence <= last:
        return state, None  # already applied: idempotent
    problem = check(state, item) or unknown_policy(item, policies or Policies())
    if problem is not None:
        poison = Poison(item.attributes.subject, offset, *problem)
        return replace(state, parked=poison), poison
    # The constructor, not ``dataclasses.replace``: this runs for every input record (3x cheaper).
    return InterviewState(evolve(state.projection, item), state.published, state.parked), None


def settled(state: InterviewState) -> InterviewState:
    """What a concluded interview still needs once its final revision is published (ADR 0015).

    Nothing can follow a conclusion (``check`` parks it), so neither the facts the policy looked at nor
    the verdict compared with the next one are needed: only enough to refuse (sequence, conclusion), to
    chain (the last revision's number and hash) and to route (candidacy, round, outcome). About 15 times
    smaller, so a new owner restores concluded interviews that much faster.
    """
    p, published = state.projection, state.published
    if p is None or p.concluded is None or published is None:
        return state
    if published.input_sequence != p.sequence:
        return state  # its final revision is not published yet
    return InterviewState(without_facts(p), replace(published, verdict=None), state.parked)


def revise(state: InterviewState, policies: Policies, cause: Event) -> tuple[InterviewState, Event | None]:
    """Evaluate the policy; a new revision only when the verdict differs from the published one.

    ``cause`` is the input just stepped: only an event applied as the interview's head can cause a
    revision (its hash is the revision's ``input_hash``).
    """
    if state.projection is None or cause.attributes.id != state.projection.cause.event_id:
        return state, None
    if state.published is not None and state.published.verdict is None:
        return state, None  # settled: the final revision is out (a redelivered last event changes nothing)
    policy = policies.applying_to(state.projection.policy_version)
    if policy is None:  # ``accept`` parks such an interview at its opening
        return state, None
    verdict = policy.evaluate(state.projection)
    if state.published is not None and state.published.verdict == verdict:
        return state, None
    event = build_revision(state.projection, verdict, state.published, policy.version, cause.chain_hash)
    published = Published(event.attributes.sequence, event.chain_hash, verdict, state.projection.sequence)
    return InterviewState(state.projection, published, state.parked), event


def step(
    state: InterviewState, item: Event | Poison, policies: Policies, offset: int = -1
) -> tuple[InterviewState, Event | None, Poison | None]:
    """Accept one input and revise: the whole per-record behaviour of the decision service."""
    state, poison = accept(state, item, offset, policies)
    if poison is not None or isinstance(item, Poison):
        return state, None, poison
    state, revision = revise(state, policies, item)
    return state, revision, None


def build_revision(
    p: Projection, verdict: Verdict, previous: Published | None, policy_version: str, input_hash: str
) -> Event:
    """The ``decision.verdict_changed`` event following ``previous`` (times and ids from the cause).

    ``input_hash`` is the ``chain_hash`` of the interview event (its stored record's hash) at ``p.sequence``.
    """
    revision = previous.revision + 1 if previous else 1
    # Every value here was validated where it entered (the interview event) or built by the policy
    # from such values: constructed, not validated again (ADR 0017). The golden revisions and the
    # JSON Schema tests check what this builds.
    # v1's verdicts have no ``another_round`` and keep v1's shape forever; v2's are ``VerdictChangedV2``.
    v1 = verdict.another_round is None
    model = VerdictChanged if v1 else VerdictChangedV2
    extra = {} if v1 else {"another_round": verdict.another_round}
    data = model.built(
        interview_id=p.interview_id, candidacy_id=p.candidacy_id, revision=revision,
        policy_version=policy_version, input_sequence=p.sequence, input_hash=input_hash,
        company=verdict.company, candidate=verdict.candidate, mutual=verdict.mutual, signals=verdict.signals,
        agreement=verdict.agreement, final=verdict.final, **extra,
    )  # fmt: skip
    event = build_event(
        data, event_id=revision_id(p.interview_id, revision, policy_version), subject=p.interview_id,
        sequence=revision, prevhash=previous.chain_hash if previous else GENESIS_HASH, time=p.cause.time,
        actorid=ACTOR_ID, actorside=ActorSide.SYSTEM, correlationid=p.cause.correlationid,
        causationid=p.cause.event_id, source=DECISION_SOURCE, trusted=True,
    )  # fmt: skip
    event.__dict__["_data_bytes"] = _data_bytes(data)  # what Event.data_bytes() computes, spliced
    return event


_SIDE_BYTES: OrderedDict[int, tuple[SideVerdict, bytes]] = OrderedDict()
_SIDE_BYTES_MAX = 4096


def _side_bytes(verdict: SideVerdict) -> bytes:
    """Canonical JSON of a side verdict, once per verdict object (the policy reuses unchanged ones)."""
    hit = _SIDE_BYTES.get(id(verdict))
    if hit is not None and hit[0] is verdict:  # the entry holds the object, so its id is not reused
        _SIDE_BYTES.move_to_end(id(verdict))  # least recently used goes first
        return hit[1]
    doc = verdict.model_dump(mode="json")
    doc["score"] = _exact(doc["score"])
    for reason in (*doc["reasons"], *doc["perspective"]):
        reason["mean"], reason["agreement"] = _exact(reason["mean"]), _exact(reason["agreement"])
    encoded = canonical.dumps(doc)
    _SIDE_BYTES[id(verdict)] = (verdict, encoded)
    if len(_SIDE_BYTES) > _SIDE_BYTES_MAX:
        _SIDE_BYTES.popitem(last=False)
    return encoded


def _exact(value: float | None) -> float | int | None:
    """An integral float as the integer JCS writes for it, so the compiled encoder's output needs no walk.

    Only where the contract has floats (means, agreements, scores); ``canonical.dumps`` finds any other
    and walks the value then, so this changes speed, never bytes.
    """
    if value is not None and value.is_integer() and abs(value) < 1e16:
        return int(value)
    return value


def _data_bytes(data: VerdictChanged) -> bytes:
    """``canonical.dumps(data.model_dump(mode="json"))``, with both side verdicts from ``_side_bytes``.

    RFC 8785 writes an object as its members sorted by key (ASCII field names here: UTF-16 order is
    byte order), each value in its own canonical form; so the object is the members before
    ``candidate``, then ``candidate`` and ``company`` (adjacent: no field sorts between them), then the
    members after, each part canonicalised once. The other members are written out by hand (what
    ``model_dump(mode="json")`` gives them; the golden revisions hold them equal) while the model has
    exactly the fields below.
    """
    hand = _HAND_WRITTEN.get(type(data), False)
    if not hand:  # a field was added: the general way
        return canonical.dumps(data.model_dump(mode="json"))
    a = data.agreement
    before: dict[str, object] = {
        "agreement": {"overall": _exact(a.overall), "split_panel": [str(g) for g in a.split_panel]},
        "candidacy_id": data.candidacy_id,
    }
    if isinstance(data, VerdictChangedV2):  # policy v2's one more member (sorts before ``candidacy_id``)
        before["another_round"] = data.another_round
    after = {
        "final": data.final, "input_hash": data.input_hash, "input_sequence": data.input_sequence,
        "interview_id": data.interview_id, "mutual": str(data.mutual), "policy_version": data.policy_version,
        "revision": data.revision,
        "signals": [{"code": x.code, "evidence": list(x.evidence), "message": x.message}
                    for x in data.signals],
    }  # fmt: skip
    sides = b'"candidate":%s,"company":%s' % (_side_bytes(data.candidate), _side_bytes(data.company))
    return b"{" + canonical.dumps(before)[1:-1] + b"," + sides + b"," + canonical.dumps(after)[1:-1] + b"}"


_V1_FIELDS = {
    "agreement", "candidacy_id", "candidate", "company", "final", "input_hash", "input_sequence",
    "interview_id", "mutual", "policy_version", "revision", "signals",
}  # fmt: skip
_SIGNAL_FIELDS = {"code", "evidence", "message"}
_PARTS = set(Signal.model_fields) == _SIGNAL_FIELDS
_PARTS = _PARTS and set(Agreement.model_fields) == {"overall", "split_panel"}
_HAND_WRITTEN: dict[type[VerdictChanged], bool] = {
    VerdictChanged: _PARTS and set(VerdictChanged.model_fields) == _V1_FIELDS,
    VerdictChangedV2: _PARTS and set(VerdictChangedV2.model_fields) == {*_V1_FIELDS, "another_round"},
}
"""Which revision models ``_data_bytes`` writes by hand (exactly these fields); any other: the general way."""


def published_from(event: Event) -> Published:
    """The bookkeeping of a revision read back from ``decision.events``."""
    if not isinstance(event.data, VerdictChanged):
        raise TypeError(f"{event.attributes.type} is not a verdict revision")
    return Published(event.data.revision, event.chain_hash, Verdict.of(event.data), event.data.input_sequence)
