"""Revisions of a policy run in shadow (ADR 0024): kept apart from the interview's own, proven alike.

A shadow revision is recomputed and compared byte for byte like any revision (``verify`` replays each
published policy version); what is particular to the shadow is only where its revisions may be and
that its chain may end early: a shadow switched off (or an interview that stopped being shadowed)
leaves the later revisions unpublished, which is reported as information, never hidden as a match.
"""

from __future__ import annotations

from schemas.topics import DECISION_EVENTS, DECISION_SHADOW
from services.audit.domain.chain import finding
from services.audit.domain.history import Entry, InterviewLog, revision_data
from services.audit.domain.report import Discrepancy, Kind


def is_shadow(published: list[Entry]) -> bool:
    """Whether a policy version's published revisions for an interview are shadow revisions."""
    return bool(published) and all(e.record.topic == DECISION_SHADOW for e in published)


def misplaced(log: InterviewLog, published: dict[str, list[Entry]]) -> list[Discrepancy]:
    """Shadow revisions under the interview's own policy, or one policy's revisions on both topics.

    Either would mix a shadow into what consumers of ``decision.events`` read, or split one chain.
    """
    own = log.policy_version()
    out = []
    for version, entries in published.items():
        topics = {e.record.topic for e in entries}
        if DECISION_SHADOW not in topics:
            continue
        if version == own or DECISION_EVENTS in topics:
            why = "the interview's own policy" if version == own else f"{version}, also on {DECISION_EVENTS}"
            entry = next(e for e in entries if e.record.topic == DECISION_SHADOW)
            data = revision_data(entry)
            detail = (
                f"{entry.record.where()}: a shadow revision of {why}; shadow revisions are of another policy"
            )
            out.append(finding(Kind.SHADOW_MISPLACED, entry, detail, policy_version=version,
                               revision=data.revision if data else None))  # fmt: skip
    return out


def stopped(found: list[Discrepancy], published: list[Entry]) -> tuple[list[Discrepancy], list[Discrepancy]]:
    """Findings of a shadow chain with its unpublished tail turned into one ``shadow_stopped`` note.

    Only revisions after the last one published count as the tail: a revision missing inside the
    chain is still a finding.
    """
    last = max((d.revision for e in published if (d := revision_data(e)) is not None), default=0)
    tail = [f for f in found if f.kind == Kind.MISSING_REVISION and (f.revision or 0) > last]
    if not tail:
        return found, []
    first = tail[0]
    detail = (
        f"the shadow of {first.policy_version} stopped after revision {last}: {len(tail)} later revision(s) "
        "recomputed but not published (the shadow was switched off, or the interview stopped being shadowed)"
    )
    note = first.model_copy(update={"kind": Kind.SHADOW_STOPPED, "topic": DECISION_SHADOW, "detail": detail})
    return [f for f in found if f not in tail], [note]
