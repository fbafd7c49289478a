"""The rules of an interview, one function per concern; each raises ``RejectedError`` or returns data."""

from __future__ import annotations

from collections.abc import Mapping

from schemas.common import MAX_ITEMS, POLICY_VERSIONS, Outcome, QuestionKind, Side
from schemas.interview import (
    GoalAssessed,
    InterviewConcluded,
    InterviewOpened,
    QuestionAnswered,
    QuestionAsked,
    StoryTold,
)
from schemas.sealed import plain
from services.interview.domain.commands import (
    AnswerQuestion,
    AskQuestion,
    AssessGoal,
    Command,
    ConcludeInterview,
    OpenInterview,
    TellStory,
)
from services.interview.domain.rejections import Code, RejectedError
from services.interview.domain.state import InterviewState

# The story-first method gives each kind of question to one side; clarifying belongs to both.
QUESTION_SIDES: dict[QuestionKind, frozenset[Side]] = {
    QuestionKind.INVITE_STORY: frozenset({Side.COMPANY}),
    QuestionKind.SCRIPTED: frozenset({Side.COMPANY}),
    QuestionKind.CHALLENGE: frozenset({Side.COMPANY}),
    QuestionKind.ABOUT_COMPANY: frozenset({Side.CANDIDATE}),
    QuestionKind.ABOUT_ROLE: frozenset({Side.CANDIDATE}),
    QuestionKind.CLARIFYING: frozenset({Side.CANDIDATE, Side.COMPANY}),
}
OUTCOME_SIDES: dict[Outcome, Side] = {
    Outcome.WITHDRAWN_BY_CANDIDATE: Side.CANDIDATE,
    Outcome.WITHDRAWN_BY_COMPANY: Side.COMPANY,
}


def lifecycle(state: InterviewState, command: Command) -> None:
    """Nothing before opened, an interview opens once, nothing after concluded, nothing while parked."""
    iid = command.interview_id
    if state.unreadable is not None:
        raise RejectedError(
            Code.HISTORY_UNREADABLE,
            f"interview {iid} is parked: {state.unreadable}; an operator must release it "
            "(docs/operations.md, 'An unreadable record in the history')",
            "interview_id",
        )
    if isinstance(command.payload, OpenInterview):
        if state.opened:
            raise RejectedError(
                Code.ALREADY_OPENED, f"interview {iid} is already open; it opens once", "interview_id"
            )
    elif not state.opened:
        raise RejectedError(
            Code.NOT_OPENED, f"interview {iid} is not open; send open_interview first", "interview_id"
        )
    elif state.concluded:
        raise RejectedError(
            Code.CONCLUDED, f"interview {iid} is concluded; nothing can follow", "interview_id"
        )


def version(state: InterviewState, command: Command) -> None:
    """Optimistic concurrency: the sender must have seen the current version."""
    if command.expected_version != state.version:
        raise RejectedError(
            Code.VERSION_CONFLICT,
            f"expected_version is {command.expected_version} but interview {command.interview_id} "
            f"is at version {state.version}; re-read it and retry with expected_version={state.version}",
            "expected_version",
        )


def participants(payload: OpenInterview) -> None:
    """Unique participant ids, both sides present, the candidate among the candidate side."""
    ids = [p.id for p in payload.participants]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise RejectedError(
            Code.INVALID_PARTICIPANTS,
            f"participant ids must be unique; repeated: {dupes}",
            "payload.participants",
        )
    sides = {p.side for p in payload.participants}
    if sides != {Side.CANDIDATE, Side.COMPANY}:
        raise RejectedError(
            Code.INVALID_PARTICIPANTS,
            "participants need at least one candidate-side and one company-side participant",
            "payload.participants",
        )
    if not any(p.id == payload.candidate_id and p.side is Side.CANDIDATE for p in payload.participants):
        raise RejectedError(
            Code.INVALID_PARTICIPANTS,
            f"candidate_id {payload.candidate_id!r} must be a participant on the candidate side",
            "payload.candidate_id",
        )


def policy(payload: OpenInterview, default: str) -> None:
    """An interview opens under a verdict policy the contract knows (no decision could be made else)."""
    version = payload.policy_version or default
    if version not in POLICY_VERSIONS:
        raise RejectedError(
            Code.UNKNOWN_POLICY,
            f"policy_version {version!r} is not a known verdict policy; "
            f"allowed: {list(POLICY_VERSIONS)}",
            "payload.policy_version",
        )


def actor(members: Mapping[str, Side], command: Command) -> Side:
    """The actor is a participant and, if a side is claimed, acts for their own side."""
    side = members.get(command.actor_id)
    if side is None:
        raise RejectedError(
            Code.NOT_A_PARTICIPANT,
            f"actor_id {command.actor_id!r} is not a participant of interview {command.interview_id}; "
            "only its participants act in it",
            "actor_id",
        )
    if command.actor_side is not None and command.actor_side is not side:
        raise RejectedError(
            Code.WRONG_SIDE,
            f"actor_side is {command.actor_side.value} but {command.actor_id!r} is on the {side.value} side; "
            "a participant acts only for their own side",
            "actor_side",
        )
    return side


def capacity(state: InterviewState) -> None:
    """An interview holds at most ``MAX_ITEMS`` stories, questions, answers and assessments.

    The bound keeps every record about one interview (its verdict above all, which cites the
    interview's items) within the broker's record size, so one interview can never outgrow its topics.
    """
    if len(state.item_ids) >= MAX_ITEMS:
        raise RejectedError(
            Code.TOO_MANY_ITEMS,
            f"interview {state.interview_id} already holds {len(state.item_ids)} stories, questions, "
            f"answers and assessments; at most {MAX_ITEMS} are allowed: conclude it and open another",
            "payload",
        )


def new_id(state: InterviewState, item_id: str, field: str) -> None:
    """Story, question, answer and assessment ids are unique within the interview, which has room."""
    capacity(state)
    if item_id in state.item_ids:
        raise RejectedError(
            Code.DUPLICATE_ID,
            f"{field.rsplit('.', 1)[-1]} {item_id!r} is already used in this interview",
            field,
        )


def opened(payload: OpenInterview, default: str) -> InterviewOpened:
    """The opening event's data, under the command's policy or else the service's ``default``."""
    version = payload.policy_version or default
    return InterviewOpened(**payload.model_dump(exclude={"type", "policy_version"}), policy_version=version)


def story(state: InterviewState, payload: TellStory, teller: str, side: Side) -> StoryTold:
    """A new story of the candidate's; ``in_reply_to`` must be a question of this interview."""
    if side is not Side.CANDIDATE:
        # Story-first is about the candidate's experience: an interviewer's anecdote is not a story
        # and must not silence story_not_invited, no_story or shallow_exploration downstream.
        raise RejectedError(
            Code.WRONG_SIDE,
            f"stories are the candidate's: {teller!r} is on the {side.value} side; "
            "only a candidate-side participant tells a story",
            "actor_id",
        )
    new_id(state, payload.story_id, "payload.story_id")
    if payload.in_reply_to is not None and payload.in_reply_to not in state.questions:
        raise RejectedError(
            Code.UNKNOWN_REFERENCE,
            f"in_reply_to {payload.in_reply_to!r} is not a question of this interview",
            "payload.in_reply_to",
        )
    fields = payload.model_dump(exclude={"type", "title", "summary"})
    # Text as ClearText here; the writer seals it before anything is written (docs/decisions/0011).
    return StoryTold(teller=teller, title=plain(payload.title), summary=plain(payload.summary), **fields)


def question(state: InterviewState, payload: AskQuestion, asker: str, side: Side) -> QuestionAsked:
    """A new question of a kind the asker's side may ask, about an existing story or answer."""
    new_id(state, payload.question_id, "payload.question_id")
    allowed = QUESTION_SIDES[payload.kind]
    if side not in allowed:
        kinds = sorted(k.value for k, sides in QUESTION_SIDES.items() if side in sides)
        raise RejectedError(
            Code.WRONG_SIDE,
            f"the {side.value} side does not ask {payload.kind.value} questions; allowed kinds: {kinds}",
            "payload.kind",
        )
    _about(state, payload)
    return QuestionAsked(
        asker=asker, text=plain(payload.text), **payload.model_dump(exclude={"type", "text"})
    )


def _about(state: InterviewState, payload: AskQuestion) -> None:
    if payload.about is None:
        if payload.kind is QuestionKind.CLARIFYING:
            raise RejectedError(
                Code.MISSING_REFERENCE,
                "a clarifying question needs about: the id of a story or answer of this interview",
                "payload.about",
            )
    elif payload.about not in state.stories | state.answers:
        raise RejectedError(
            Code.UNKNOWN_REFERENCE,
            f"about {payload.about!r} is not a story or answer of this interview",
            "payload.about",
        )


def answer(state: InterviewState, payload: AnswerQuestion, answerer: str, side: Side) -> QuestionAnswered:
    """An answer to an existing question asked by the other side."""
    new_id(state, payload.answer_id, "payload.answer_id")
    asker = state.questions.get(payload.question_id)
    if asker is None:
        raise RejectedError(
            Code.UNKNOWN_REFERENCE,
            f"question_id {payload.question_id!r} is not a question of this interview",
            "payload.question_id",
        )
    if state.participants[asker] is side:
        raise RejectedError(
            Code.WRONG_SIDE,
            f"question {payload.question_id!r} was asked by the {side.value} side; "
            "only the other side answers it",
            "payload.question_id",
        )
    return QuestionAnswered(
        answerer=answerer, text=plain(payload.text), **payload.model_dump(exclude={"type", "text"})
    )


def assessment(state: InterviewState, payload: AssessGoal, assessor: str, side: Side) -> GoalAssessed:
    """A rating of a goal with evidence from this interview; supersedes the assessor's earlier one."""
    new_id(state, payload.assessment_id, "payload.assessment_id")
    evidence_pool = state.stories | state.questions.keys() | state.answers
    for index, item in enumerate(payload.evidence):
        if item not in evidence_pool:
            raise RejectedError(
                Code.INVALID_EVIDENCE,
                f"evidence[{index}] {item!r} is not a story, question or answer of this interview",
                f"payload.evidence[{index}]",
            )
    return GoalAssessed(
        assessor=assessor,
        assessor_side=side,
        supersedes=state.assessments.get((assessor, payload.goal)),
        note=plain(payload.note),
        **payload.model_dump(exclude={"type", "note"}),
    )


def conclusion(payload: ConcludeInterview, by: str, side: Side) -> InterviewConcluded:
    """The end; a side withdraws only for itself."""
    needed = OUTCOME_SIDES.get(payload.outcome)
    if needed is not None and needed is not side:
        raise RejectedError(
            Code.WRONG_SIDE,
            f"outcome {payload.outcome.value} can only be declared by the {needed.value} side",
            "payload.outcome",
        )
    return InterviewConcluded(concluded_by=by, outcome=payload.outcome)
