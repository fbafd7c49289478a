"""Verdict policies by version; a new policy is a new version, never an edit of an old one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from services.decision.domain.policy import v1
from services.decision.domain.projection import Projection
from services.decision.domain.verdict import Verdict


@dataclass(frozen=True)
class Policy:
    """A policy version bound to its thresholds."""

    version: str
    thresholds: Any
    rules: Callable[[Projection, Any], Verdict]

    def evaluate(self, projection: Projection) -> Verdict:
        """The verdict of this policy for the projection."""
        return self.rules(projection, self.thresholds)


_VERSIONS: dict[str, tuple[Callable[[Projection, Any], Verdict], Any]] = {
    v1.VERSION: (v1.evaluate, v1.THRESHOLDS_V1),
}


def policy_for(version: str = "v1", thresholds: Any | None = None) -> Policy:
    """The policy of ``version``, with its published thresholds unless others are given (what-if)."""
    if version not in _VERSIONS:
        raise KeyError(f"unknown policy version {version!r}; known: {', '.join(sorted(_VERSIONS))}")
    rules, defaults = _VERSIONS[version]
    return Policy(version, defaults if thresholds is None else thresholds, rules)


def versions() -> tuple[str, ...]:
    """Policy versions this build knows."""
    return tuple(sorted(_VERSIONS))
