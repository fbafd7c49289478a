"""What each reader sees of a verdict: the full revision, or the candidate's view.

The candidate's view keeps every decision and the reasons owed to the candidate (for each goal: the
mean, the agreement and the summary text, and the signals about how the interview was run) and their
own side's assessments in full, but drops the company panel's individual assessments (who rated what,
on which evidence) from the company's reasons and from the candidate's perspective, so no other
participant's id reaches the candidate. Under policy v2 the company's confidence keeps its level and
reasons (their texts count assessors, never name them) without their evidence (the panel's events).
"""

from __future__ import annotations

from enum import StrEnum

from schemas.decision import Reason, SideVerdict, SideVerdictV2, VerdictChanged
from services.platform.auth import Grant, Role, Scope


class View(StrEnum):
    """How much of a verdict a reader sees."""

    FULL = "full"
    CANDIDATE = "candidate"


def _summary(reasons: tuple[Reason, ...]) -> tuple[Reason, ...]:
    return tuple(r.model_copy(update={"assessments": ()}) for r in reasons)


def _company(company: SideVerdict) -> SideVerdict:
    update: dict[str, object] = {"reasons": _summary(company.reasons)}
    if isinstance(company, SideVerdictV2):
        c = company.confidence
        reasons = tuple(r.model_copy(update={"evidence": ()}) for r in c.reasons)
        update["confidence"] = c.model_copy(update={"reasons": reasons})
    return company.model_copy(update=update)


def candidate_view(verdict: VerdictChanged) -> VerdictChanged:
    """The verdict as the candidate may read it."""
    company, candidate = verdict.company, verdict.candidate
    return verdict.model_copy(
        update={
            "company": _company(company),
            "candidate": candidate.model_copy(update={"perspective": _summary(candidate.perspective)}),
        }
    )


def view_for(grant: Grant, side: str | None, opened_by: str | None) -> View | None:
    """The view ``grant`` gets of an interview where its subject is on ``side`` (None: no access)."""
    if grant.scope is Scope.ALL:
        return View.FULL
    if grant.scope is Scope.OPENED:
        return View.FULL if opened_by == grant.principal.sub else None
    if grant.role is Role.INTERVIEWER and side == "company":
        return View.FULL
    if grant.role is Role.CANDIDATE and side == "candidate":
        return View.CANDIDATE
    return None
