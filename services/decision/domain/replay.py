"""The decision service as one pure function of the interview event sequence (for audits and tests)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from schemas.envelope import Event
from services.decision.domain.policy import Policies
from services.decision.domain.revisions import InterviewState, Poison, step


def subject_of(item: Event | Poison) -> str:
    """The interview an input belongs to."""
    return item.interview_id if isinstance(item, Poison) else item.attributes.subject


def revisions(items: Iterable[Event | Poison], policies: Policies) -> Iterator[Event]:
    """Yield every decision event the service publishes for this input sequence, in order."""
    states: dict[str, InterviewState] = {}
    for item in items:
        key = subject_of(item)
        state, revision, _ = step(states.get(key, InterviewState()), item, policies)
        states[key] = state
        if revision is not None:
            yield revision


def project(
    events: Iterable[Event | Poison], policy_version: str | None = None, thresholds: Any | None = None
) -> list[Event]:
    """All ``decision.verdict_changed`` events for ``events`` (interview events, any interleaving).

    Each interview is evaluated under the policy version it was opened with, or every one under
    ``policy_version`` when given (a what-if). A ``Poison`` item (a record that could not be decoded)
    parks its interview exactly as the service does: nothing of that interview after it counts.
    """
    return list(revisions(events, Policies.of(policy_version, thresholds)))
