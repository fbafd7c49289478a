"""The decision service's per-interview state as bytes for its changelog and local store (versioned JSON).

Exactly what ``revisions.InterviewState`` holds: the projection, the last published revision (its
verdict compared with the next one) and the parking. A change to any of these classes is a new
``STATE_FORMAT``: stores of another format are discarded, and a partition whose changelog holds only
another format is rebuilt from its history once.
"""

from __future__ import annotations

from datetime import datetime
from types import MappingProxyType
from typing import Any

import orjson

from schemas.common import Confidence, GoalId, Outcome, QuestionKind, Rating, Side
from schemas.decision import Agreement, Mutual, SideVerdict, SideVerdictV2, Signal
from services.decision.domain.projection import AssessmentFact, Cause, Projection, QuestionFact, StoryFact
from services.decision.domain.revisions import InterviewState, Poison, Published, settled
from services.decision.domain.verdict import Verdict

STATE_FORMAT = "decision/3"  # /3: an assessment's stated confidence and policy v2's verdicts (ADR 0023)
INTERVIEW = "i:"
"""Key prefix of an interview's state: ``i:<interview id>``."""
DLQ_SEEN = "m:dlq_seen"
"""The highest DLQ offset the state was built from (a later release makes it stale)."""


def dump_state(state: InterviewState) -> bytes:
    """Compact JSON of an interview's decision state (a concluded one ``settled``: ADR 0015)."""
    state = settled(state)
    doc: dict[str, Any] = {}
    if state.projection is not None:
        doc["p"] = _projection(state.projection)
    if state.published is not None:
        doc["r"] = _published(state.published)
    if state.parked is not None:
        p = state.parked
        doc["x"] = [p.interview_id, p.offset, p.code, p.detail]
    return orjson.dumps(doc)  # compact UTF-8 JSON, as json.dumps wrote it, by a compiled encoder


def load_state(value: bytes) -> InterviewState:
    """An interview's decision state back from ``dump_state``."""
    doc = orjson.loads(value)
    return InterviewState(
        projection=_load_projection(doc["p"]) if "p" in doc else None,
        published=_load_published(doc["r"]) if "r" in doc else None,
        parked=Poison(*doc["x"]) if "x" in doc else None,
    )


def _projection(p: Projection) -> dict[str, Any]:
    c = p.cause
    return {
        "id": p.interview_id, "cy": p.candidacy_id, "c": [c.event_id, c.sequence, c.time.isoformat(),
        c.correlationid], "pv": p.policy_version, "sd": {k: v.value for k, v in p.sides.items()},
        "st": [[s.story_id, s.event_id] for s in p.stories],
        "q": [[q.question_id, q.event_id, q.asker_side, q.kind, q.story, q.stories_before]
              for q in p.questions],
        "a": [_assessment(a) for a in p.assessments],
        "th": dict(p.threads), "ie": dict(p.item_events), "co": p.concluded, "o": p.outcome,
        "rd": p.round,
    }  # fmt: skip


def _load_projection(d: dict[str, Any]) -> Projection:
    event_id, sequence, time, correlation = d["c"]
    return Projection(
        d["id"], d["cy"], Cause(event_id, sequence, datetime.fromisoformat(time), correlation), d["pv"],
        sides=MappingProxyType({k: Side(v) for k, v in d["sd"].items()}),
        stories=tuple(StoryFact(*s) for s in d["st"]),
        questions=tuple(
            QuestionFact(q, e, Side(side) if side else None, QuestionKind(kind), story, before)
            for q, e, side, kind, story, before in d["q"]
        ),
        assessments=tuple(_load_assessment(*a) for a in d["a"]),
        threads=MappingProxyType(d["th"]), item_events=MappingProxyType(d["ie"]), concluded=d["co"],
        outcome=Outcome(d["o"]) if d["o"] else None, round=d.get("rd", ""),
    )  # fmt: skip


def _assessment(a: AssessmentFact) -> list[Any]:
    # The stated confidence (policy v2 reads it) only when stated: most assessments keep 8 items.
    out = [a.assessment_id, a.event_id, a.assessor, a.side, a.goal, a.rating, a.evidence, a.evidence_events]
    return out if a.confidence is None else [*out, a.confidence]


def _load_assessment(
    a: str, e: str, who: str, side: str, goal: str, rating: str, ev: list[str], evs: list[str], *c: str
) -> AssessmentFact:
    confidence = Confidence(c[0]) if c else None
    return AssessmentFact(
        a, e, who, Side(side), GoalId(goal), Rating(rating), tuple(ev), tuple(evs), confidence
    )


def _published(p: Published) -> dict[str, Any]:
    v = p.verdict
    if v is None:  # settled: no verdict follows
        return {"n": p.revision, "h": p.chain_hash, "s": p.input_sequence}
    return {
        "n": p.revision, "h": p.chain_hash, "s": p.input_sequence,
        "v": {"company": v.company.model_dump(mode="json"), "candidate": v.candidate.model_dump(mode="json"),
              "mutual": v.mutual.value, "signals": [s.model_dump(mode="json") for s in v.signals],
              "agreement": v.agreement.model_dump(mode="json"), "final": v.final,
              **({} if v.another_round is None else {"ar": v.another_round})},
    }  # fmt: skip


def _load_published(d: dict[str, Any]) -> Published:
    if "v" not in d:
        return Published(d["n"], d["h"], None, d["s"])
    v = d["v"]
    side = SideVerdict if "ar" not in v else SideVerdictV2  # policy v2's verdicts carry another_round
    verdict = Verdict(
        side.model_validate(v["company"]), side.model_validate(v["candidate"]),
        Mutual(v["mutual"]), tuple(Signal.model_validate(s) for s in v["signals"]),
        Agreement.model_validate(v["agreement"]), v["final"], v.get("ar"),
    )  # fmt: skip
    return Published(d["n"], d["h"], verdict, d["s"])


SHADOW = "s:"
"""Key prefix of an interview's shadow bookkeeping (ADR 0024): ``s:<interview id>`` -> its last shadow
revision. Absent: the interview is not shadowed. Beside ``i:`` rather than in it, so the state of the
interview's own policy keeps its format and bytes whether a shadow runs or not."""


def dump_shadow(shadow: Published) -> bytes:
    """Compact JSON of an interview's last shadow revision (settled: without its verdict)."""
    return orjson.dumps(_published(shadow))


def load_shadow(value: bytes) -> Published:
    """An interview's last shadow revision back from ``dump_shadow``."""
    return _load_published(orjson.loads(value))
