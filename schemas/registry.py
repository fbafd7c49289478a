"""One registry from CloudEvents type to data model, topic and JSON Schema id."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from schemas.common import ActorSide, Frozen
from schemas.decision import (
    CandidacyVerdictChanged,
    CandidacyVerdictChangedV2,
    VerdictChanged,
    VerdictChangedV2,
)
from schemas.envelope import Attributes, Event
from schemas.interview import (
    GoalAssessed,
    GoalAssessedV1,
    GoalAssessedV2,
    InterviewConcluded,
    InterviewOpened,
    QuestionAnswered,
    QuestionAnsweredV1,
    QuestionAsked,
    QuestionAskedV1,
    StoryTold,
    StoryToldV1,
)
from schemas.topics import CANDIDACY_EVENTS, DECISION_EVENTS, INTERVIEW_EVENTS

SCHEMA_BASE = "https://hiring-pipeline.example/schemas/"
INTERVIEW_SOURCE = "/hiring-pipeline/interview-service"
DECISION_SOURCE = "/hiring-pipeline/decision-service"


@dataclass(frozen=True)
class EventType:
    """What the contract knows about one event type."""

    name: str
    model: type[Frozen]
    topic: str
    current: bool = True
    """False for a past version: read from the log (upcast on read), never written."""

    @property
    def dataschema(self) -> str:
        """Absolute ``$id`` of the type's JSON Schema (carries the major version)."""
        return f"{SCHEMA_BASE}{self.name}.json"

    @property
    def short(self) -> str:
        """Name without the ``hiring.`` prefix and version, e.g. ``interview.story_told``."""
        return self.name.removeprefix("hiring.").rsplit(".", 1)[0]


_BESIDE = frozenset({"hiring.decision.candidacy_verdict_changed.v1", "hiring.decision.verdict_changed.v1"})
"""Past versions still written beside a newer one: a candidacy (an interview) keeps its policy, and
candidacy-v1's (verdict policy v1's) revisions keep v1's shape forever (docs/decisions/0022, 0023).
They are current, so never upcast."""


def _types() -> dict[str, EventType]:
    items: list[tuple[str, type[Frozen], str]] = [
        ("hiring.interview.goal_assessed.v1", GoalAssessedV1, INTERVIEW_EVENTS),
        ("hiring.interview.opened.v1", InterviewOpened, INTERVIEW_EVENTS),
        ("hiring.interview.story_told.v1", StoryToldV1, INTERVIEW_EVENTS),
        ("hiring.interview.question_asked.v1", QuestionAskedV1, INTERVIEW_EVENTS),
        ("hiring.interview.question_answered.v1", QuestionAnsweredV1, INTERVIEW_EVENTS),
        ("hiring.interview.goal_assessed.v2", GoalAssessedV2, INTERVIEW_EVENTS),
        # Sealed text (docs/decisions/0011-crypto-shredding.md):
        ("hiring.interview.story_told.v2", StoryTold, INTERVIEW_EVENTS),
        ("hiring.interview.question_asked.v2", QuestionAsked, INTERVIEW_EVENTS),
        ("hiring.interview.question_answered.v2", QuestionAnswered, INTERVIEW_EVENTS),
        ("hiring.interview.goal_assessed.v3", GoalAssessed, INTERVIEW_EVENTS),
        ("hiring.interview.concluded.v1", InterviewConcluded, INTERVIEW_EVENTS),
        ("hiring.decision.verdict_changed.v1", VerdictChanged, DECISION_EVENTS),
        ("hiring.decision.verdict_changed.v2", VerdictChangedV2, DECISION_EVENTS),
        ("hiring.decision.candidacy_verdict_changed.v1", CandidacyVerdictChanged, CANDIDACY_EVENTS),
        ("hiring.decision.candidacy_verdict_changed.v2", CandidacyVerdictChangedV2, CANDIDACY_EVENTS),
    ]
    newest: dict[str, str] = {}
    for name, _model, _topic in items:
        base = name.rsplit(".", 1)[0]
        newest[base] = max(newest.get(base, name), name, key=lambda n: int(n.rsplit(".v", 1)[1]))
    return {
        name: EventType(name, model, topic, current=newest[name.rsplit(".", 1)[0]] == name or name in _BESIDE)
        for name, model, topic in items
    }


REGISTRY: dict[str, EventType] = _types()
"""Every event type ever published, past versions included (for their schemas and golden events)."""
CURRENT: dict[str, EventType] = {name: t for name, t in REGISTRY.items() if t.current}
"""The types producers write; the decoder upcasts every past version to one of these."""


_BY_MODEL: dict[type[Frozen], EventType] = {t.model: t for t in REGISTRY.values()}


def type_for_model(model: type[Frozen]) -> EventType:
    """The event type whose data model is ``model`` (a past version's model gives that past type)."""
    found = _BY_MODEL.get(model)
    if found is None:
        raise KeyError(f"{model.__name__} is not a registered event data model")
    return found


def build_event(
    data: Frozen,
    *,
    event_id: str,
    subject: str,
    sequence: int,
    prevhash: str,
    time: datetime,
    actorid: str,
    actorside: ActorSide | str,
    correlationid: str,
    causationid: str,
    source: str,
    traceparent: str | None = None,
    tracestate: str | None = None,
    auth: tuple[str, str, str] | None = None,
    trusted: bool = False,
) -> Event:
    """Wrap data in its envelope; ``type`` and ``dataschema`` come from the registry.

    ``trusted`` skips validating the envelope (and the event): for values this process built from
    values it had validated already (a revision from its interview event), never for outside input.
    """
    event_type = type_for_model(type(data))
    make = Attributes.trusted if trusted else Attributes
    attributes = make(
        id=event_id,
        source=source,
        type=event_type.name,
        subject=subject,
        time=time,
        dataschema=event_type.dataschema,
        sequence=sequence,
        partitionkey=subject,
        actorid=actorid,
        actorside=ActorSide(actorside),
        correlationid=correlationid,
        causationid=causationid,
        prevhash=prevhash,
        traceparent=traceparent,
        tracestate=tracestate,
        authtype=auth[0] if auth else None,  # type: ignore[arg-type]  # validated by the model
        authid=auth[1] if auth else None,
        authclaims=auth[2] if auth else None,
    )
    return Event.trusted(attributes, data) if trusted else Event(attributes=attributes, data=data)
