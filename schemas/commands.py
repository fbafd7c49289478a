"""Commands on ``interview.commands`` and their results on ``interview.command-results``.

A command record: key = interview id, value = JSON of ``CommandEnvelope`` (UTF-8, no magic byte),
header ``content-type: application/json``. The interview service answers every command record with
exactly one ``CommandResult`` on ``interview.command-results`` (same key, same partition number),
correlated by ``command_id``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from annotated_types import Len
from pydantic import Field, StringConstraints

from schemas.common import (
    MAX_EVIDENCE,
    MAX_PARTICIPANTS,
    MAX_SKILLS,
    AtMost,
    Confidence,
    Frozen,
    GoalId,
    Id,
    Outcome,
    PlainLongText,
    PlainNote,
    PlainShortText,
    PlainText,
    PolicyVersion,
    QuestionKind,
    Rating,
    Round,
    Side,
    StoryKind,
    Tag,
    UniqueItems,
    Version,
)
from schemas.envelope import AuthId, AuthType, UuidStr

Token = Annotated[str, StringConstraints(min_length=1, max_length=200), PlainText()]
"""An opaque client-chosen token (idempotency key, correlation id): 1-200 characters on one line."""
_ReadToken = Annotated[str, StringConstraints(min_length=1, max_length=200)]
"""A token as results carry it: results already on the topic are read as they were written."""
MAX_MESSAGE = 4_000
"""Longest rejection message; the writer shortens longer ones (a list of problems is cut, not grown)."""


class Participant(Frozen):
    """A person taking part in the interview, as ``open_interview`` names them."""

    id: Id = Field(description="Participant id (pseudonymous for the candidate).")
    side: Side = Field(description="Whose side this participant is on.")
    role: PlainShortText = Field(description="Role, e.g. candidate, interviewer, hiring_manager.")


Participants = Annotated[tuple[Participant, ...], Len(2, MAX_PARTICIPANTS), AtMost(MAX_PARTICIPANTS)]
Skills = Annotated[tuple[Tag, ...], Len(0, MAX_SKILLS), AtMost(MAX_SKILLS), UniqueItems()]
Evidence = Annotated[tuple[Id, ...], Len(1, MAX_EVIDENCE), AtMost(MAX_EVIDENCE), UniqueItems()]


class CommandType(StrEnum):
    """The six commands of the interview service."""

    OPEN_INTERVIEW = "open_interview"
    TELL_STORY = "tell_story"
    ASK_QUESTION = "ask_question"
    ANSWER_QUESTION = "answer_question"
    ASSESS_GOAL = "assess_goal"
    CONCLUDE_INTERVIEW = "conclude_interview"


class OpenInterview(Frozen):
    """Open an interview; the acting participant must be one of ``participants``."""

    type: Literal["open_interview"] = "open_interview"
    candidacy_id: Id = Field(description="The application (candidacy) this interview belongs to.")
    round: Round = Field(description="Round in the candidacy, e.g. screen, technical, final.")
    position: PlainShortText = Field(description="The position interviewed for.")
    candidate_id: Id = Field(description="Pseudonymous candidate id; a candidate-side participant.")
    participants: Participants = Field(
        description=f"Everyone taking part: 2-{MAX_PARTICIPANTS}, at least one per side, unique ids."
    )
    policy_version: PolicyVersion | None = Field(
        default=None,
        description="Verdict policy to run under; omitted: the one the interview service names for new "
        "interviews (INTERVIEW_POLICY_VERSION, default v1).",
    )


class TellStory(Frozen):
    """Tell a story from one's experience (the teller is the actor)."""

    type: Literal["tell_story"] = "tell_story"
    story_id: Id = Field(description="New id, unique among this interview's items.")
    kind: StoryKind = Field(description="success, failure, bug_hunt, challenge_overcome or other.")
    title: PlainShortText = Field(description="One-line title.")
    summary: PlainLongText = Field(description="What happened.")
    skills: Skills = Field(
        default=(), description=f"Skills and topics the story shows (unique, {MAX_SKILLS} at most)."
    )
    in_reply_to: Id | None = Field(default=None, description="Question id this story answers.")


class AskQuestion(Frozen):
    """Ask a question (the asker is the actor)."""

    type: Literal["ask_question"] = "ask_question"
    question_id: Id = Field(description="New id, unique among this interview's items.")
    kind: QuestionKind = Field(description="Why the question is asked (story-first method).")
    text: PlainLongText = Field(description="The question.")
    about: Id | None = Field(
        default=None, description="Story or answer id; required for clarifying questions."
    )


class AnswerQuestion(Frozen):
    """Answer a question asked by the other side (the answerer is the actor)."""

    type: Literal["answer_question"] = "answer_question"
    answer_id: Id = Field(description="New id, unique among this interview's items.")
    question_id: Id = Field(description="The question answered.")
    text: PlainLongText = Field(description="The answer.")


class AssessGoal(Frozen):
    """Rate one of the six goals with evidence (the assessor is the actor)."""

    type: Literal["assess_goal"] = "assess_goal"
    assessment_id: Id = Field(description="New id, unique among this interview's items.")
    goal: GoalId = Field(description="One of the six goal ids.")
    rating: Rating = Field(description="strong_no, no, yes or strong_yes.")
    confidence: Confidence | None = Field(
        default=None, description="How sure the assessor is (low, medium, high); omitted: not stated."
    )
    evidence: Evidence = Field(
        description=f"Ids of stories, questions or answers of this interview (unique, 1-{MAX_EVIDENCE})."
    )
    note: PlainNote = Field(default="", description="Free-text reasoning.")


class ConcludeInterview(Frozen):
    """End the interview; nothing can be appended after it."""

    type: Literal["conclude_interview"] = "conclude_interview"
    outcome: Outcome = Field(description="completed, withdrawn_by_candidate, withdrawn_by_company, no_show.")


CommandPayload = Annotated[
    OpenInterview | TellStory | AskQuestion | AnswerQuestion | AssessGoal | ConcludeInterview,
    Field(discriminator="type"),
]
"""The command itself, discriminated by ``type``."""


class CommandPrincipal(Frozen):
    """Who sent a command, as the sender authenticated them (recorded on the events as auth*)."""

    type: AuthType = Field(description="user, service_account or unauthenticated (development).")
    id: AuthId = Field(description="The verified token's sub, or a Kafka principal.")
    issuer: Annotated[str, StringConstraints(min_length=1, max_length=500), PlainText()] = Field(
        description="Issuer of the token (its iss), or kafka."
    )
    role: Annotated[str, StringConstraints(pattern=r"^[a-z_]{1,32}$")] = Field(
        description="The role the principal acted as: recruiter, interviewer, candidate or service."
    )


class CommandEnvelope(Frozen):
    """One command record on ``interview.commands`` (key = ``interview_id``)."""

    command_id: UuidStr = Field(description="Unique id of this command record (lower-case UUID).")
    idempotency_key: Token | None = Field(
        default=None,
        description="Retries of one logical command share it; a retry with the same content appends "
        "nothing and gets the first result again, accepted or rejected (a rejection is final for its "
        "key: send a corrected command under a new key); different content under a used key is "
        "rejected as idempotency_key_reused. A record that is not a valid command (invalid_command "
        "from parsing) binds no key. Defaults to command_id.",
    )
    interview_id: Id = Field(description="The interview; also the Kafka key.")
    expected_version: Version = Field(
        description="Version (last sequence) the sender saw; 0 for open_interview. A JSON integer."
    )
    actor_id: Id = Field(description="Participant acting; must be a participant of the interview.")
    actor_side: Side | None = Field(
        default=None, description="Side the actor claims to act for; must be their own if given."
    )
    correlation_id: Token = Field(description="Id shared by everything one request caused.")
    causation_id: Token | None = Field(
        default=None, description="What caused this command, if anything (defaults to command_id)."
    )
    payload: CommandPayload = Field(description="The command, discriminated by its type.")
    principal: CommandPrincipal | None = Field(
        default=None,
        description="Who sent the command: the interview service's HTTP front sets it from the verified "
        "token; absent on a command from another Kafka producer, which then acts as the configured "
        "intake principal (INTERVIEW_INTAKE_PRINCIPAL). Only principals allowed to write "
        "interview.commands (ACLs) can set it.",
    )

    @property
    def key(self) -> str:
        """The effective idempotency key."""
        return self.idempotency_key or self.command_id


class ResultStatus(StrEnum):
    """Outcome of a command."""

    ACCEPTED = "accepted"
    REJECTED = "rejected"


class _ResultBase(Frozen):
    command_id: _ReadToken = Field(
        description="The command answered (or '<topic>:<partition>:<offset>'); a Token on write."
    )
    interview_id: str = Field(
        description="The interview (empty when the record had no valid interview id); an Id on write."
    )
    idempotency_key: str | None = Field(
        default=None, description="Effective idempotency key; a Token (1-200 characters) on write."
    )
    correlation_id: str | None = Field(
        default=None, description="Correlation id of the command; a Token (1-200 characters) on write."
    )
    replay_of: _ReadToken | None = Field(
        default=None, description="Set on a retry: the command id whose first result is repeated."
    )


class CommandAccepted(_ResultBase):
    """The command was valid; its events were appended in the same transaction."""

    status: Literal["accepted"] = "accepted"
    event_ids: tuple[UuidStr, ...] = Field(min_length=1, description="CloudEvents ids appended.")
    event_types: tuple[str, ...] = Field(description="Their CloudEvents types, in order.")
    version: int = Field(ge=1, description="The interview's version after the command.")
    request_digest: str = Field(
        description="SHA-256 of the command's content, to detect an idempotency key reused "
        "for a different command."
    )


class CommandRejected(_ResultBase):
    """The command was refused; nothing was appended."""

    status: Literal["rejected"] = "rejected"
    code: str = Field(description="Stable rejection code, e.g. version_conflict, not_a_participant.")
    message: str = Field(
        description="Human explanation naming the field and what is allowed; at most "
        f"{MAX_MESSAGE} characters on write (a longer list of problems is cut, saying how many more)."
    )
    field: str | None = Field(
        default=None, description="Offending field, e.g. payload.evidence; at most 300 characters on write."
    )
    current_version: int | None = Field(
        default=None, description="The interview's version when rejected (if known)."
    )
    request_digest: str | None = Field(
        default=None,
        description="SHA-256 of the command's content when it parsed (absent for invalid_command "
        "from parsing); a retry under the same idempotency key must match it.",
    )


CommandResult = Annotated[CommandAccepted | CommandRejected, Field(discriminator="status")]
"""One result record on ``interview.command-results``, discriminated by ``status``."""
