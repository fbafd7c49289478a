"""Verdict policies by version; a new policy is a new version, never an edit of an old one."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from services.decision.domain.policy import v1, v2
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
    v2.VERSION: (v2.evaluate, v2.THRESHOLDS_V2),
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


def _every_version() -> Mapping[str, Policy]:
    return {version: policy_for(version) for version in versions()}


@dataclass(frozen=True)
class Policies:
    """Which policy evaluates an interview: the version it was opened under, or one forced on all.

    Unforced, replaying an interview gives the verdicts its recorded policy gives; forcing a version
    (``DECISION_POLICY_VERSION``) evaluates every interview under it, e.g. to run v2 side by side.
    """

    forced: Policy | None = None
    known: Mapping[str, Policy] = field(default_factory=_every_version)

    def applying_to(self, recorded: str) -> Policy | None:
        """The policy for an interview opened under ``recorded``; None when this build lacks it."""
        return self.forced if self.forced is not None else self.known.get(recorded)

    @classmethod
    def of(cls, forced_version: str | None = None, thresholds: Any | None = None) -> Policies:
        """Each interview's own version (``None``), or ``forced_version`` for every interview."""
        if forced_version is None:
            return cls()
        return cls(forced=policy_for(forced_version, thresholds))
