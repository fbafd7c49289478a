"""Data of the interview stream (topic ``interview.events``); the envelope is in ``envelope``."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from schemas.common import (
    Confidence,
    Frozen,
    GoalId,
    Id,
    LongText,
    Note,
    Outcome,
    PolicyVersion,
    QuestionKind,
    Rating,
    Round,
    ShortText,
    Side,
    StoryKind,
    Tag,
)
from schemas.sealed import Text


class Participant(Frozen):
    """A person taking part in the interview."""

    id: Id = Field(description="Participant id (pseudonymous for the candidate).")
    side: Side = Field(description="Whose side this participant is on.")
    role: ShortText = Field(description="Role, e.g. candidate, interviewer, hiring_manager.")


class InterviewOpened(Frozen):
    """An interview started; the first event of every interview."""

    candidacy_id: Id = Field(description="The application this interview belongs to.")
    round: Round = Field(description="Round in the candidacy, e.g. screen, technical, final.")
    position: ShortText = Field(description="The position interviewed for.")
    candidate_id: Id = Field(description="Pseudonymous candidate id.")
    participants: tuple[Participant, ...] = Field(
        min_length=2, description="Everyone taking part, with their side and role."
    )
    policy_version: PolicyVersion = Field(description="Verdict policy the interview runs under.")


# v1 of interview.story_told (text in the clear): read from the log and upcast to v2, never written.
# Its published schema is frozen: never edit this model.
class StoryToldV1(Frozen):
    """The candidate (or anyone) told a story from their experience."""

    model_config = ConfigDict(title="StoryTold")

    story_id: Id = Field(description="Id of the story, unique in the interview.")
    teller: Id = Field(description="Participant id of the teller.")
    kind: StoryKind = Field(description="What the story is about.")
    title: ShortText = Field(description="One-line title.")
    summary: LongText = Field(description="What happened.")
    skills: tuple[Tag, ...] = Field(default=(), description="Skills and topics the story shows.")
    in_reply_to: Id | None = Field(default=None, description="Question id this story answers.")


# v1 of interview.question_asked (text in the clear): upcast to v2 on read, never written; frozen.
class QuestionAskedV1(Frozen):
    """A participant asked a question."""

    model_config = ConfigDict(title="QuestionAsked")

    question_id: Id = Field(description="Id of the question, unique in the interview.")
    asker: Id = Field(description="Participant id of the asker.")
    kind: QuestionKind = Field(description="Why the question was asked.")
    text: LongText = Field(description="The question.")
    about: Id | None = Field(
        default=None, description="Story or answer id the question is about (clarifying)."
    )


# v1 of interview.question_answered (text in the clear): upcast to v2 on read, never written; frozen.
class QuestionAnsweredV1(Frozen):
    """A participant answered a question."""

    model_config = ConfigDict(title="QuestionAnswered")

    answer_id: Id = Field(description="Id of the answer, unique in the interview.")
    question_id: Id = Field(description="The question answered.")
    answerer: Id = Field(description="Participant id of the answerer.")
    text: LongText = Field(description="The answer.")


# v1 of interview.goal_assessed (no confidence): read from the log and upcast to v2, never written.
# Its published schema (json/hiring.interview.goal_assessed.v1.json) is frozen: never edit this model.
class GoalAssessedV1(Frozen):
    """A participant rated how well one of the six goals was met."""

    model_config = ConfigDict(title="GoalAssessed")

    assessment_id: Id = Field(description="Id of the assessment, unique in the interview.")
    assessor: Id = Field(description="Participant id of the assessor.")
    assessor_side: Side = Field(description="The assessor's side, recorded at assessment time.")
    goal: GoalId = Field(description="Which of the six goals.")
    rating: Rating = Field(description="strong_no, no, yes or strong_yes.")
    evidence: tuple[Id, ...] = Field(
        min_length=1, description="Ids of stories, questions or answers of this interview."
    )
    note: Note = Field(default="", description="Free-text reasoning.")
    supersedes: Id | None = Field(
        default=None, description="Earlier assessment of the same goal by the same assessor."
    )


# v2 of interview.goal_assessed (note in the clear): upcast to v3 on read, never written; frozen.
class GoalAssessedV2(Frozen):
    """A participant rated how well one of the six goals was met, and said how sure they are (v2)."""

    model_config = ConfigDict(title="GoalAssessed")

    assessment_id: Id = Field(description="Id of the assessment, unique in the interview.")
    assessor: Id = Field(description="Participant id of the assessor.")
    assessor_side: Side = Field(description="The assessor's side, recorded at assessment time.")
    goal: GoalId = Field(description="Which of the six goals.")
    rating: Rating = Field(description="strong_no, no, yes or strong_yes.")
    confidence: Confidence | None = Field(
        description="How sure the assessor is of the rating (low, medium, high); null when not stated, "
        "which is what every v1 assessment reads as."
    )
    evidence: tuple[Id, ...] = Field(
        min_length=1, description="Ids of stories, questions or answers of this interview."
    )
    note: Note = Field(default="", description="Free-text reasoning.")
    supersedes: Id | None = Field(
        default=None, description="Earlier assessment of the same goal by the same assessor."
    )


_SEALED = (
    " Sealed with the candidate's data key (producers write a SealedText; a ClearText only where an "
    "earlier version's record is read): erased when that key is destroyed (docs/decisions/0011)."
)


class StoryTold(Frozen):
    """The candidate (or anyone) told a story from their experience; title and summary sealed (v2)."""

    story_id: Id = Field(description="Id of the story, unique in the interview.")
    teller: Id = Field(description="Participant id of the teller.")
    kind: StoryKind = Field(description="What the story is about.")
    title: Text = Field(description="One-line title." + _SEALED)
    summary: Text = Field(description="What happened." + _SEALED)
    skills: tuple[Tag, ...] = Field(default=(), description="Skills and topics the story shows.")
    in_reply_to: Id | None = Field(default=None, description="Question id this story answers.")


class QuestionAsked(Frozen):
    """A participant asked a question; its text sealed (v2)."""

    question_id: Id = Field(description="Id of the question, unique in the interview.")
    asker: Id = Field(description="Participant id of the asker.")
    kind: QuestionKind = Field(description="Why the question was asked.")
    text: Text = Field(description="The question." + _SEALED)
    about: Id | None = Field(
        default=None, description="Story or answer id the question is about (clarifying)."
    )


class QuestionAnswered(Frozen):
    """A participant answered a question; its text sealed (v2)."""

    answer_id: Id = Field(description="Id of the answer, unique in the interview.")
    question_id: Id = Field(description="The question answered.")
    answerer: Id = Field(description="Participant id of the answerer.")
    text: Text = Field(description="The answer." + _SEALED)


class GoalAssessed(Frozen):
    """A participant rated one of the six goals, said how sure they are; the note sealed (v3)."""

    assessment_id: Id = Field(description="Id of the assessment, unique in the interview.")
    assessor: Id = Field(description="Participant id of the assessor.")
    assessor_side: Side = Field(description="The assessor's side, recorded at assessment time.")
    goal: GoalId = Field(description="Which of the six goals.")
    rating: Rating = Field(description="strong_no, no, yes or strong_yes.")
    confidence: Confidence | None = Field(
        description="How sure the assessor is of the rating (low, medium, high); null when not stated."
    )
    evidence: tuple[Id, ...] = Field(
        min_length=1, description="Ids of stories, questions or answers of this interview."
    )
    note: Text = Field(description="Free-text reasoning (may be empty)." + _SEALED)
    supersedes: Id | None = Field(
        default=None, description="Earlier assessment of the same goal by the same assessor."
    )


class InterviewConcluded(Frozen):
    """The interview ended; nothing follows it."""

    concluded_by: Id = Field(description="Participant id who concluded it.")
    outcome: Outcome = Field(description="How it ended.")
