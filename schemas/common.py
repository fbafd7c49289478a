"""Shared vocabulary of the contract: identifiers, goals, sides, ratings, kinds."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

MAX_SAFE_INT = 2**53 - 1
"""Largest integer every JSON reader (and RFC 8785) represents exactly."""

Id = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$"),
]
"""An identifier: 1-128 characters, letters, digits and ``. _ : @ -``, not starting with a symbol."""

ShortText = Annotated[str, StringConstraints(min_length=1, max_length=500, strip_whitespace=True)]
LongText = Annotated[str, StringConstraints(min_length=1, max_length=10_000)]
Note = Annotated[str, StringConstraints(max_length=10_000)]
Tag = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9+#._/-]{0,63}$")]
Round = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]{0,31}$")]
PolicyVersion = Annotated[str, StringConstraints(pattern=r"^v[1-9][0-9]*$")]
"""The shape of a policy version; which versions exist is ``POLICY_VERSIONS`` (the wire stays open)."""
POLICY_VERSIONS: tuple[str, ...] = ("v1",)
"""Verdict policies the contract knows; an interview opens only under one of them."""


class Frozen(BaseModel):
    """Base of every contract model: immutable, unknown fields rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_enum_values=False, allow_inf_nan=False)


class Side(StrEnum):
    """The two sides of an interview."""

    CANDIDATE = "candidate"
    COMPANY = "company"


class ActorSide(StrEnum):
    """Who caused an event: a side, or the system itself (decision service)."""

    CANDIDATE = "candidate"
    COMPANY = "company"
    SYSTEM = "system"


class GoalId(StrEnum):
    """The six goals of docs/design.md section 1 (stable identifiers)."""

    CANDIDATE_PRESENT = "candidate.present"
    CANDIDATE_OFFER = "candidate.offer"
    CANDIDATE_OPPORTUNITY = "candidate.opportunity"
    COMPANY_LEVEL = "company.level"
    COMPANY_APPLICATION = "company.application"
    COMPANY_ATTRACT = "company.attract"


class Rating(StrEnum):
    """The four-level rating scale (maps to -2, -1, +1, +2)."""

    STRONG_NO = "strong_no"
    NO = "no"
    YES = "yes"
    STRONG_YES = "strong_yes"


RATING_POINTS: dict[Rating, int] = {
    Rating.STRONG_NO: -2,
    Rating.NO: -1,
    Rating.YES: 1,
    Rating.STRONG_YES: 2,
}


class Confidence(StrEnum):
    """How sure an assessor is of their rating, by their own account."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class QuestionKind(StrEnum):
    """Why a question was asked (story-first method)."""

    INVITE_STORY = "invite_story"
    CLARIFYING = "clarifying"
    SCRIPTED = "scripted"
    CHALLENGE = "challenge"
    ABOUT_COMPANY = "about_company"
    ABOUT_ROLE = "about_role"


class StoryKind(StrEnum):
    """What a story is about."""

    SUCCESS = "success"
    FAILURE = "failure"
    BUG_HUNT = "bug_hunt"
    CHALLENGE_OVERCOME = "challenge_overcome"
    OTHER = "other"


class Outcome(StrEnum):
    """How an interview ended."""

    COMPLETED = "completed"
    WITHDRAWN_BY_CANDIDATE = "withdrawn_by_candidate"
    WITHDRAWN_BY_COMPANY = "withdrawn_by_company"
    NO_SHOW = "no_show"
