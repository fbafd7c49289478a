"""Shared vocabulary of the contract: identifiers, goals, sides, ratings, kinds."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    StringConstraints,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

MAX_SAFE_INT = 2**53 - 1
"""Largest integer every JSON reader (and RFC 8785) represents exactly."""

Hex64 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
"""A SHA-256 digest in lower-case hex (the hash chain's ``prevhash``, a revision's ``input_hash``)."""

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
POLICY_VERSIONS: tuple[str, ...] = ("v1", "v2")
"""Verdict policies the contract knows; an interview opens only under one of them."""


# --- Bounds of commands (docs/decisions/0008-bounded-contract.md) ---------------------------------
# Commands are bounded strictly; published event schemas keep what they accept and the interview
# service guarantees these bounds on write, because it writes events only from bounded commands.
# tests/contract/test_bounds.py builds the largest interview they allow and checks every record fits
# the topics' max.message.bytes with margin.

MAX_PARTICIPANTS = 12
"""Participants of one interview (a panel of up to eleven and the candidate)."""
MAX_SKILLS = 50
"""Skills and topics of one story (unique)."""
MAX_EVIDENCE = 20
"""Ids one assessment cites as evidence (unique)."""
MAX_ITEMS = 500
"""Stories, questions, answers and assessments of one interview, together."""
MAX_VERSION = MAX_SAFE_INT
"""Largest ``expected_version`` (and sequence) every JSON reader represents exactly."""

_BIDI = r"\u202a-\u202e\u2066-\u2069"
SINGLE_LINE_PATTERN = rf"^[^\x00-\x1f\x7f-\x9f{_BIDI}]*$"
"""Text on one line: no C0/C1 control characters, no bidi override or isolate characters."""
MULTI_LINE_PATTERN = rf"^[^\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}]*$"
"""Long text: as one line, but newline and tab are allowed."""
_REFUSED = {
    p: re.compile(p[1:].replace("[^", "[").removesuffix("*$"))
    for p in (SINGLE_LINE_PATTERN, MULTI_LINE_PATTERN)
}


class _CheckedAnnotation:
    """A pydantic annotation that runs ``check`` after the type's own validation and adds
    ``json_schema_extra()`` to the field's JSON Schema."""

    def check(self, value: Any) -> Any:
        raise NotImplementedError

    def json_schema_extra(self) -> dict[str, Any]:
        raise NotImplementedError

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self.check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {**handler(schema), **self.json_schema_extra()}


@dataclass(frozen=True)
class PlainText(_CheckedAnnotation):
    """Refuses control and bidi override/isolate characters in a string, naming the first one found.

    The same rule is the ``pattern`` of the JSON Schema; validating it here gives a clear message
    instead of "should match pattern".
    """

    multiline: bool = False

    @property
    def pattern(self) -> str:
        """The JSON Schema pattern of the allowed text."""
        return MULTI_LINE_PATTERN if self.multiline else SINGLE_LINE_PATTERN

    def check(self, text: str) -> str:
        """``text`` unchanged, or a ``text_character`` error naming the character and its position."""
        found = _REFUSED[self.pattern].search(text)
        if found is None:
            return text
        allowed = "newline, tab and " if self.multiline else ""
        raise PydanticCustomError(
            "text_character",
            "contains {code} at position {position}; allowed: {allowed}printable characters "
            "(no control characters, no bidi override or isolate characters U+202A-U+202E, U+2066-U+2069)",
            {"code": f"U+{ord(found.group()):04X}", "position": found.start(), "allowed": allowed},
        )

    def json_schema_extra(self) -> dict[str, Any]:
        return {"pattern": self.pattern}


@dataclass(frozen=True)
class UniqueItems(_CheckedAnnotation):
    """Refuses an array with a repeated item (``uniqueItems`` in the JSON Schema): repeats mean nothing."""

    def check(self, items: tuple[Any, ...]) -> tuple[Any, ...]:
        """``items`` unchanged, or a ``unique_items`` error naming the first repeat."""
        seen: set[Any] = set()
        for index, item in enumerate(items):
            if item in seen:
                raise PydanticCustomError(
                    "unique_items",
                    "item {index} repeats {item}; items must be unique",
                    {"index": index, "item": _clip(repr(item))},
                )
            seen.add(item)
        return items

    def json_schema_extra(self) -> dict[str, Any]:
        return {"uniqueItems": True}


@dataclass(frozen=True)
class AtMost:
    """Refuses an array longer than ``limit`` before validating its items (one error, not one per item)."""

    limit: int

    def check(self, value: Any) -> Any:
        """``value`` unchanged, or a ``too_long`` error when it is a longer list."""
        if isinstance(value, list | tuple) and len(value) > self.limit:
            raise PydanticCustomError(
                "too_long",
                "has {actual} items; at most {limit} are allowed",
                {"actual": len(value), "limit": self.limit},
            )
        return value

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_before_validator_function(self.check, handler(source))


def _clip(value: Any, limit: int = 80) -> str:
    text = str(value)
    return text if len(text) <= limit else text[:limit] + "..."


PlainShortText = Annotated[
    str, StringConstraints(min_length=1, max_length=500, strip_whitespace=True), PlainText()
]
"""One line of 1-500 characters (surrounding whitespace stripped), no control or bidi characters."""
PlainLongText = Annotated[str, StringConstraints(min_length=1, max_length=10_000), PlainText(multiline=True)]
"""1-10,000 characters; newline and tab allowed, no other control or bidi characters."""
PlainNote = Annotated[str, StringConstraints(max_length=10_000), PlainText(multiline=True)]
"""0-10,000 characters; newline and tab allowed, no other control or bidi characters."""
Version = Annotated[int, Field(strict=True, ge=0, le=MAX_VERSION)]
"""A strict integer 0..2**53-1: no ``"2"``, ``true`` or ``2.0``."""


class Frozen(BaseModel):
    """Base of every contract model: immutable, unknown fields rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_enum_values=False, allow_inf_nan=False)

    @classmethod
    def built(cls, **values: Any) -> Self:
        """An instance from values this process built from validated ones: nothing is checked again.

        For the hot path only (ADR 0017): it sets the fields as given (defaults for those left out),
        without pydantic's validation or ``model_construct``'s per-field bookkeeping, so values must
        already have the field's type (a tuple where a tuple is declared). Outside input goes through
        the validating constructor.
        """
        obj = cls.__new__(cls)
        defaults = _DEFAULTS.get(cls)
        if defaults is None:
            defaults = _DEFAULTS[cls] = {
                name: f.get_default(call_default_factory=True)
                for name, f in cls.model_fields.items()
                if not f.is_required()
            }
        _set = object.__setattr__
        _set(obj, "__dict__", {**defaults, **values} if defaults else values)
        _set(obj, "__pydantic_fields_set__", set(values))
        _set(obj, "__pydantic_extra__", None)
        _set(obj, "__pydantic_private__", None)
        return obj


_DEFAULTS: dict[type[Frozen], dict[str, Any]] = {}


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
