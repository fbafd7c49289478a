"""Data of the decision stream (``decision.events`` and compacted ``decision.verdicts``)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from schemas.common import (
    MAX_SAFE_INT,
    Frozen,
    GoalId,
    Hex64,
    Id,
    Outcome,
    PolicyVersion,
    Rating,
    Round,
    Side,
)


class Decision(StrEnum):
    """One side's decision about going on with the other."""

    PROCEED = "proceed"
    DECLINE = "decline"
    UNDECIDED = "undecided"


class Mutual(StrEnum):
    """The combination of both sides' decisions."""

    MUTUAL_FIT = "mutual_fit"
    COMPANY_ONLY = "company_only"
    CANDIDATE_ONLY = "candidate_only"
    NO_FIT = "no_fit"
    UNDECIDED = "undecided"


class AssessmentRef(Frozen):
    """One assessment that counts in a reason (superseded ones are left out)."""

    assessment_id: Id = Field(description="Id of the GoalAssessed data.")
    event_id: str = Field(description="CloudEvents id of the goal_assessed event.")
    assessor: Id = Field(description="Participant id of the assessor.")
    rating: Rating = Field(description="The rating given.")
    points: int = Field(ge=-2, le=2, description="The rating as -2, -1, +1 or +2.")
    evidence: tuple[Id, ...] = Field(description="Story/question/answer ids cited.")
    evidence_events: tuple[str, ...] = Field(
        default=(), description="CloudEvents ids of the events that told/asked/answered the cited ids."
    )


class Reason(Frozen):
    """Why a goal weighs the way it does: its assessments combined mechanically (mean)."""

    goal: GoalId = Field(description="The goal.")
    mean: float = Field(description="Mean of the assessors' points, rounded to 4 decimals.")
    assessments: tuple[AssessmentRef, ...] = Field(description="Assessments combined.")
    agreement: float = Field(description="Share of assessors on the majority side (0..1).")
    split_panel: bool = Field(description="True when both positive and negative ratings exist.")
    text: str = Field(description="Human-readable summary.")


class SideVerdict(Frozen):
    """One side's verdict: should this side proceed with the other?"""

    side: Side = Field(description="Whose decision this is.")
    decision: Decision = Field(description="proceed, decline or undecided.")
    score: float | None = Field(description="Mean of the required goals' means (None if any missing).")
    reasons: tuple[Reason, ...] = Field(description="One per required goal that has assessments.")
    missing: tuple[GoalId, ...] = Field(description="Required goals without any assessment.")
    perspective: tuple[Reason, ...] = Field(
        description="The other side's assessments of this side's goals; shown, not counted in v1."
    )


class Signal(Frozen):
    """An interview-quality signal (advisory: lowers confidence, never flips a decision)."""

    code: str = Field(description="Signal code, e.g. story_not_invited.")
    message: str = Field(description="What was observed.")
    evidence: tuple[str, ...] = Field(description="CloudEvents ids of the events that triggered it.")


class Agreement(Frozen):
    """Inter-rater agreement over the goals that count in the decisions."""

    overall: float | None = Field(
        description="Mean agreement over counted goals with 2+ assessors (None if there are none)."
    )
    split_panel: tuple[GoalId, ...] = Field(description="Counted goals with both signs present.")


class VerdictChanged(Frozen):
    """A new revision of an interview's verdicts."""

    interview_id: Id = Field(description="The interview.")
    candidacy_id: Id = Field(description="The candidacy the interview belongs to.")
    revision: int = Field(ge=1, le=MAX_SAFE_INT, description="1, 2, ... per interview and policy version.")
    policy_version: PolicyVersion = Field(description="Policy that produced the verdict.")
    input_sequence: int = Field(ge=1, le=MAX_SAFE_INT, description="Last interview event sequence applied.")
    input_hash: Hex64 = Field(
        description=(
            "Hash of the interview event at input_sequence, as stored: anchors the head of the interview's "
            "hash chain"
        )
    )
    company: SideVerdict = Field(description="Should the company proceed?")
    candidate: SideVerdict = Field(description="Should the candidate proceed?")
    mutual: Mutual = Field(description="Combination of both decisions.")
    signals: tuple[Signal, ...] = Field(description="Interview-quality signals.")
    agreement: Agreement = Field(description="Inter-rater agreement summary (both sides' counted goals).")
    final: bool = Field(description="True once the interview has concluded.")


CandidacyPolicy = Annotated[str, StringConstraints(pattern=r"^candidacy-v[1-9][0-9]*$")]
"""The shape of a candidacy combination policy version, e.g. ``candidacy-v1``."""


class CandidacyStatus(StrEnum):
    """Where a candidacy stands under its combination policy."""

    OPEN = "open"
    """A round is still open: the candidacy is undecided until it concludes."""
    CONCLUDED = "concluded"
    """Every known round concluded: the decisions rest on them."""
    WITHDRAWN = "withdrawn"
    """A round ended with the candidate (or the company) withdrawing: the candidacy has ended."""


class RoundRef(Frozen):
    """One round of a candidacy: the interview verdict revision the candidacy verdict rests on."""

    interview_id: Id = Field(description="The round's interview.")
    round: Round = Field(description="Round name from interview.opened (screen, technical, final...).")
    revision: int = Field(ge=1, le=MAX_SAFE_INT, description="The interview verdict revision used.")
    revision_event: str = Field(description="CloudEvents id of that decision.verdict_changed revision.")
    revision_hash: Hex64 = Field(description="Hash of that revision as stored on decision.events.")
    policy_version: PolicyVersion = Field(description="Policy of the round's verdict.")
    company: Decision = Field(description="The round's company decision.")
    candidate: Decision = Field(description="The round's candidate decision.")
    mutual: Mutual = Field(description="The round's mutual verdict.")
    concluded: bool = Field(description="True once the round's interview concluded (its verdict is final).")
    outcome: Outcome | None = Field(description="How the round's interview ended (None while open).")


class RoundGoal(Frozen):
    """One concluded round's part of a goal's reason."""

    interview_id: Id = Field(description="The round's interview.")
    round: Round = Field(description="Round name.")
    revision: int = Field(ge=1, le=MAX_SAFE_INT, description="The interview verdict revision cited.")
    mean: float = Field(description="The round's goal mean (its own verdict's reason).")
    assessments: int = Field(ge=1, description="Assessments behind the round's mean.")
    declined: bool = Field(
        description="True when this round alone declines on the goal (mean at/below limit)."
    )
    assessment_events: tuple[str, ...] = Field(description="CloudEvents ids of the goal_assessed events.")
    evidence_events: tuple[str, ...] = Field(description="CloudEvents ids of the evidence those cite.")


class CandidacyReason(Frozen):
    """A goal across rounds: round means weighted by their assessment counts."""

    goal: GoalId = Field(description="The goal.")
    mean: float = Field(description="Mean over rounds weighted by assessment count, rounded to 4 decimals.")
    assessments: int = Field(ge=1, description="Assessments in all concluded rounds together.")
    rounds: tuple[RoundGoal, ...] = Field(description="The concluded rounds that assessed the goal.")
    declined_in: tuple[Id, ...] = Field(description="Interview ids of rounds that declined on this goal.")
    text: str = Field(description="Human-readable summary citing the rounds.")


class CandidacySide(Frozen):
    """One side's verdict on the candidacy."""

    side: Side = Field(description="Whose decision this is.")
    decision: Decision = Field(description="proceed, decline or undecided.")
    score: float | None = Field(
        description="Mean of the required goals' weighted means (None if any missing)."
    )
    reasons: tuple[CandidacyReason, ...] = Field(description="One per required goal assessed in a round.")
    missing: tuple[GoalId, ...] = Field(description="Required goals no concluded round assessed.")
    text: str = Field(description="Why the decision is what it is, in one line.")


class CandidacyVerdictChanged(Frozen):
    """A new revision of a candidacy's verdicts, combining its rounds' interview verdicts."""

    candidacy_id: Id = Field(description="The candidacy.")
    revision: int = Field(ge=1, le=MAX_SAFE_INT, description="1, 2, ... per candidacy and policy.")
    policy_version: CandidacyPolicy = Field(description="Combination policy, e.g. candidacy-v1.")
    cause: Id = Field(description="Interview whose verdict revision caused this revision.")
    input_hash: Hex64 = Field(description="Hash of that verdict revision as stored (anchors its chain).")
    rounds: tuple[RoundRef, ...] = Field(description="Every round known, in the order first seen.")
    status: CandidacyStatus = Field(description="open, concluded or withdrawn.")
    company: CandidacySide = Field(description="Should the company proceed with the candidate?")
    candidate: CandidacySide = Field(description="Should the candidate proceed with the company?")
    mutual: Mutual = Field(description="Combination of both decisions.")
    signals: tuple[Signal, ...] = Field(description="Pipeline-quality signals across rounds (advisory).")


# candidacy-v2 (docs/decisions/0022): the v1 shapes above stay as they are; v2 adds to them.


class RoundRefV2(RoundRef):
    """A round of a ``candidacy-v2`` candidacy: as in v1, and whether it counts."""

    counted: bool = Field(
        description="False for a round held after the candidacy ended with a withdrawal: cited, not combined."
    )


class CandidacyHold(Frozen):
    """Why a side that would proceed on the combination alone is held ``undecided`` (candidacy-v2)."""

    code: Literal["declined_in_round"] = Field(
        description="declined_in_round: a round declined on a required goal and no later round cleared it."
    )
    goal: GoalId = Field(description="The required goal the round declined on.")
    interview_id: Id = Field(description="The round's interview.")
    round: Round = Field(description="Round name.")
    revision: int = Field(ge=1, le=MAX_SAFE_INT, description="The interview verdict revision cited.")
    mean: float = Field(description="That round's own mean on the goal (at or below the decline limit).")


class CandidacySideV2(CandidacySide):
    """One side's ``candidacy-v2`` verdict: a score only beside a decision, and the holds."""

    score: float | None = Field(
        description="Mean of the required goals' weighted means beside proceed or decline; None while "
        "undecided (an open candidacy shows no score; the goals' means stay in the reasons)."
    )
    holds: tuple[CandidacyHold, ...] = Field(
        description="Rounds that declined on a required goal and were not cleared by a later round; a side "
        "with any is never proceed (it is undecided, or decline when the combination declines)."
    )


class CandidacyVerdictChangedV2(CandidacyVerdictChanged):
    """A ``candidacy-v2`` revision: v1's shape with counted rounds, holds, and no score while undecided."""

    rounds: tuple[RoundRefV2, ...] = Field(description="Every round known, in the order first seen.")
    company: CandidacySideV2 = Field(description="Should the company proceed with the candidate?")
    candidate: CandidacySideV2 = Field(description="Should the candidate proceed with the company?")


# Verdict policy v2 (docs/decisions/0023): v1's shapes above stay as they are; v2 adds to them.


class ConfidenceLevel(StrEnum):
    """How far a side's verdict can be trusted, given how informative the interview was (policy v2)."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class ConfidenceReason(Frozen):
    """One thing that bears on how far a side's verdict can be trusted (verdict policy v2)."""

    code: str = Field(description="What was looked at, e.g. story_explored, no_story, one_assessor.")
    effect: Literal["supports", "neutral", "lowers", "forces_low"] = Field(
        description="supports or neutral: no change; lowers: one step down from high; forces_low: low "
        "whatever else holds."
    )
    text: str = Field(description="What was observed, in one line.")
    evidence: tuple[str, ...] = Field(description="CloudEvents ids of the events it rests on.")


class SideConfidence(Frozen):
    """How well the interview informed one side's verdict: high, medium or low, and why."""

    level: ConfidenceLevel = Field(description="high (nothing lowers it), medium (one thing does) or low.")
    reasons: tuple[ConfidenceReason, ...] = Field(description="Everything looked at, in a fixed order.")


class SideVerdictV2(SideVerdict):
    """One side's verdict under policy v2: v1's fields, the decision it leans to, and its confidence."""

    decision: Decision = Field(
        description="leaning, unless confidence is low: then undecided (the interview did not reveal "
        "enough to take the decision)."
    )
    leaning: Decision = Field(
        description="The decision the assessments point to by v1's rules (undecided while goals are missing)."
    )
    confidence: SideConfidence = Field(description="How far the interview supports this side's verdict.")


class VerdictChangedV2(VerdictChanged):
    """A policy-v2 revision: v1's shape with each side's leaning and confidence, and another_round."""

    company: SideVerdictV2 = Field(description="Should the company proceed?")
    candidate: SideVerdictV2 = Field(description="Should the candidate proceed?")
    another_round: bool = Field(
        description="True once concluded when a side leans to proceed or decline but its confidence is low "
        "(held undecided): the interview did not reveal enough, another round is needed to decide."
    )
