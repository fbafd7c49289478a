"""The candidacy policies by version, and which one a new candidacy gets (docs/decisions/0022).

A candidacy keeps the policy of its first revision for good (its revisions chain under one policy).
A new candidacy gets the configured version when its first round's revision is at or after the
configured time (no time: every new candidacy): the choice rests on the round record itself, so a
state rebuilt from ``decision.candidacy-rounds`` chooses again exactly as before.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from schemas.decision import CandidacyVerdictChanged, CandidacyVerdictChangedV2
from services.decision.domain.candidacy import policy, policy_v2
from services.decision.domain.candidacy.policy import CandidacyVerdict
from services.decision.domain.candidacy.rounds import RoundInput

DEFAULT = policy.VERSION
EVALUATE: dict[str, Callable[[Sequence[RoundInput]], CandidacyVerdict]] = {
    policy.VERSION: policy.evaluate,
    policy_v2.VERSION: policy_v2.evaluate,
}
MODEL: dict[str, type[CandidacyVerdictChanged]] = {
    policy.VERSION: CandidacyVerdictChanged,
    policy_v2.VERSION: CandidacyVerdictChangedV2,
}
"""The event data model each policy publishes (v1's shape stays v1's)."""


def evaluate(version: str, rounds: Sequence[RoundInput]) -> CandidacyVerdict:
    """The verdict of ``rounds`` under the candidacy policy ``version``."""
    return EVALUATE[version](rounds)


@dataclass(frozen=True)
class PolicyChoice:
    """Which candidacy policy a new candidacy gets."""

    version: str = DEFAULT
    since: datetime | None = None
    """New candidacies whose first round's revision is earlier than this keep ``candidacy-v1``."""

    def __post_init__(self) -> None:
        if self.version not in EVALUATE:
            raise ValueError(f"unknown candidacy policy {self.version!r}; known: {sorted(EVALUATE)}")

    def for_first(self, item: RoundInput) -> str:
        """The policy of a candidacy whose first round revision is ``item``."""
        if self.since is not None and item.time < self.since:
            return DEFAULT
        return self.version
