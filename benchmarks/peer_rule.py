"""Policy v1's three decisions per interview, compactly, for the benchmark's stream-processor peers.

The peers (``benchmarks.quix_peer``) do the decision service's job in its simplest form: read
``interview.events`` and publish each interview's (company, candidate, mutual) decisions whenever
they change, without reasons, evidence, signals or the CloudEvents envelope. The thresholds, the
required goals, the rating points and the ``mutual`` rule are imported from the project's pure domain;
only each side's decision (the mean of each required goal's ratings, ``_decide`` in
``services.decision.domain.policy.v1.sides``) is restated here over plain values, because the domain's
version builds the pydantic ``Reason``/``SideVerdict`` models the peers do not publish.
``tests/unit/benchmarks/test_peer_rule.py`` holds it equal to ``project()`` on varied histories.

``DecisionChanges`` counts decision changes per interview over any sequence of decisions (the
service's revisions or a peer's output), so the two are compared on the same terms.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from schemas.common import RATING_POINTS, GoalId, Side
from schemas.decision import Decision
from services.decision.domain.policy.v1.config import CANDIDATE_GOALS, COMPANY_GOALS, THRESHOLDS_V1
from services.decision.domain.policy.v1.sides import mutual

Decisions = tuple[str, str, str]
"""(company decision, candidate decision, mutual) as their published string values."""

POINTS: dict[str, int] = {rating.value: points for rating, points in RATING_POINTS.items()}
OPENED = "hiring.interview.opened."
ASSESSED = "hiring.interview.goal_assessed."
UNDECIDED: Decisions = (Decision.UNDECIDED.value, Decision.UNDECIDED.value, "undecided")


def side_decision(in_force: Mapping[str, tuple[str, int]], side: Side, goals: Iterable[GoalId]) -> Decision:
    """One side's decision from the assessments in force (``assessor|goal`` -> (side, points))."""
    t, means = THRESHOLDS_V1, []
    for goal in goals:
        points = [p for key, (s, p) in in_force.items() if s == side.value and key.endswith("|" + goal.value)]
        if not points:
            return Decision.UNDECIDED
        means.append(round(sum(points) / len(points), 4))
    score = round(sum(means) / len(means), 4)
    if any(m <= t.decline_goal_mean for m in means) or score < t.decline_score_below:
        return Decision.DECLINE
    return Decision.PROCEED


def decisions(in_force: Mapping[str, tuple[str, int]]) -> Decisions:
    """Company, candidate and mutual decisions of one interview."""
    company = side_decision(in_force, Side.COMPANY, COMPANY_GOALS)
    candidate = side_decision(in_force, Side.CANDIDATE, CANDIDATE_GOALS)
    return company.value, candidate.value, mutual(company, candidate).value


@dataclass
class Interview:
    """What the peer keeps per interview: the assessments in force and the last decisions published."""

    in_force: dict[str, tuple[str, int]] = field(default_factory=dict)
    published: Decisions | None = None

    def step(self, event_type: str, value: bytes) -> Decisions | None:
        """Apply one stored interview event; the new decisions when they changed, else None."""
        if event_type.startswith(OPENED):
            if self.published is not None:
                return None  # opened again: the service parks it; the peer does not model parking (see docs)
            self.published = UNDECIDED
            return UNDECIDED
        if not event_type.startswith(ASSESSED) or self.published is None:
            return None
        data = json.loads(value)
        # The latest assessment by the same assessor of the same goal is the one in force.
        self.in_force[f"{data['assessor']}|{data['goal']}"] = (data["assessor_side"], POINTS[data["rating"]])
        now = decisions(self.in_force)
        if now == self.published:
            return None
        self.published = now
        return now

    def dump(self) -> dict[str, Any]:
        """JSON-ready state (a stream processor's state store value)."""
        return {"a": {k: list(v) for k, v in self.in_force.items()}, "p": self.published}

    @classmethod
    def load(cls, stored: Mapping[str, Any] | None) -> Interview:
        """The state ``dump`` wrote, or a new interview."""
        if not stored:
            return cls()
        published = stored.get("p")
        in_force = {k: (v[0], int(v[1])) for k, v in stored["a"].items()}
        return cls(in_force, (published[0], published[1], published[2]) if published else None)


def revision_decisions(value: bytes) -> Decisions:
    """The decisions of a published ``decision.verdict_changed`` value (its data, JSON)."""
    data = json.loads(value)
    return data["company"]["decision"], data["candidate"]["decision"], data["mutual"]


@dataclass
class DecisionChanges:
    """Decision changes per interview: the first decisions of an interview count as one."""

    last: dict[str, Decisions] = field(default_factory=dict)
    changes: int = 0

    def add(self, interview: str, now: Decisions) -> bool:
        """Count ``now`` if it differs from the interview's previous decisions; whether it did."""
        if self.last.get(interview) == now:
            return False
        self.last[interview] = now
        self.changes += 1
        return True
