"""A policy run in shadow: its revisions for interviews opened under another policy (ADR 0024).

The shadow policy sees the very projection the interview's own policy sees and publishes what that
policy's own revisions would be (same revision numbering from 1, same deterministic ids, its own
``prevhash`` chain): byte for byte what ``replay.project(items, shadow_version)`` recomputes, so the
audit proves them like any other revision. Only interviews whose opening the shadow saw are shadowed,
so every shadow chain starts at revision 1; one opened before the shadow ran is left to ``what-if``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from schemas.envelope import Event
from schemas.interview import InterviewOpened
from services.decision.domain.policy import Policy
from services.decision.domain.revisions import InterviewState, Published, build_revision


@dataclass(frozen=True)
class Shadowed:
    """An interview's shadow bookkeeping: its last shadow revision, or None when it is not shadowed."""

    last: Published | None = None


NOT_SHADOWED = Shadowed()


def shadow_revise(
    state: InterviewState, shadow: Shadowed, policy: Policy, cause: Event
) -> tuple[Shadowed, Event | None]:
    """The shadow policy's next revision after ``cause`` was stepped into ``state``, if its verdict changed.

    ``state`` is the interview's state after the step (its own policy's revision already decided);
    ``cause`` the input just stepped. Nothing for a parked interview, an input that is not the head,
    an interview opened under the shadow policy itself, or one whose opening the shadow did not see.
    """
    p = state.projection
    if p is None or state.parked is not None or cause.attributes.id != p.cause.event_id:
        return shadow, None
    if p.policy_version == policy.version:
        return shadow, None  # its own policy already publishes exactly these verdicts
    last = shadow.last
    if last is None and not isinstance(cause.data, InterviewOpened):
        return shadow, None  # opened before the shadow ran: a chain from revision 1 is impossible
    if last is not None and last.verdict is None:
        return shadow, None  # settled: the final shadow revision is out
    verdict = policy.evaluate(p)
    if last is not None and last.verdict == verdict:
        return shadow, None
    event = build_revision(p, verdict, last, policy.version, cause.chain_hash)
    return Shadowed(Published(event.attributes.sequence, event.chain_hash, verdict, p.sequence)), event


def settled_shadow(shadow: Shadowed, state: InterviewState) -> Shadowed:
    """Without its verdict once the interview is concluded and the final shadow revision is out."""
    p, last = state.projection, shadow.last
    if p is None or p.concluded is None or last is None or last.input_sequence != p.sequence:
        return shadow
    return Shadowed(replace(last, verdict=None))


def already_shadowed(shadow: Shadowed, item: Event) -> bool:
    """During a rebuild: the item precedes or is the input of the last shadow revision published."""
    return shadow.last is not None and item.attributes.sequence <= shadow.last.input_sequence
