"""One realistic, fixed event of every type: the source of the golden files and of error cases.

The interview events form one contiguous, hash-chained stream (sequence 1..6) as the v1 writer stored
it (its assessment is a ``goal_assessed.v1``); the verdict is the first event of the decision stream of
the same interview. ``ASSESSMENT_V2`` is the fifth event as the current writer stores it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from schemas import Event, build_event
from schemas.chain import GENESIS_HASH
from schemas.common import (
    ActorSide,
    Confidence,
    Frozen,
    GoalId,
    Outcome,
    QuestionKind,
    Rating,
    Side,
    StoryKind,
)
from schemas.decision import (
    Agreement,
    AssessmentRef,
    Decision,
    Mutual,
    Reason,
    SideVerdict,
    Signal,
    VerdictChanged,
)
from schemas.interview import (
    GoalAssessed,
    GoalAssessedV1,
    GoalAssessedV2,
    InterviewConcluded,
    InterviewOpened,
    Participant,
    QuestionAnswered,
    QuestionAnsweredV1,
    QuestionAsked,
    QuestionAskedV1,
    StoryTold,
    StoryToldV1,
)
from schemas.registry import DECISION_SOURCE
from schemas.sealed import SealedText, plain
from services.platform.privacy.crypto import DataKey, b64
from services.platform.privacy.sealing import ad_for, text_fields
from tests.strategies import chain

INTERVIEW = "iv-2026-0042"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

INTERVIEW_DATA = [
    InterviewOpened(
        candidacy_id="cand-7",
        round="technical",
        position="Senior backend engineer",
        candidate_id="c-91f3",
        participants=(
            Participant(id="c-91f3", side=Side.CANDIDATE, role="candidate"),
            Participant(id="ana", side=Side.COMPANY, role="interviewer"),
        ),
        policy_version="v1",
    ),
    StoryToldV1(
        story_id="s1",
        teller="c-91f3",
        kind=StoryKind.BUG_HUNT,
        title="The lost Kafka offsets",
        summary="Consumers restarted from earliest after a rebalance; we traced it to auto-commit.",
        skills=("kafka", "debugging"),
    ),
    QuestionAskedV1(
        question_id="q1",
        asker="ana",
        kind=QuestionKind.CLARIFYING,
        text="How did you prove auto-commit was the cause?",
        about="s1",
    ),
    QuestionAnsweredV1(
        answer_id="a1", question_id="q1", answerer="c-91f3", text="We replayed the group with commits logged."
    ),
    GoalAssessedV1(
        assessment_id="g1",
        assessor="ana",
        assessor_side=Side.COMPANY,
        goal=GoalId.COMPANY_LEVEL,
        rating=Rating.STRONG_YES,
        evidence=("s1", "a1"),
        note="Diagnosed from first principles — «naïve» fixes rejected.",
    ),
    InterviewConcluded(concluded_by="ana", outcome=Outcome.COMPLETED),
]

ANA = ("ana", ActorSide.COMPANY)
CANDIDATE = ("c-91f3", ActorSide.CANDIDATE)
INTERVIEW_EVENTS = chain(
    INTERVIEW_DATA, subject=INTERVIEW, start=START, actors=(ANA, CANDIDATE, ANA, CANDIDATE, ANA, ANA)
)

_REASON = Reason(
    goal=GoalId.COMPANY_LEVEL,
    mean=2.0,
    assessments=(
        AssessmentRef(
            assessment_id="g1",
            event_id=INTERVIEW_EVENTS[4].attributes.id,
            assessor="ana",
            rating=Rating.STRONG_YES,
            points=2,
            evidence=("s1", "a1"),
        ),
    ),
    agreement=1.0,
    split_panel=False,
    text="company.level: mean +2.0 from 1 assessor",
)

VERDICT = build_event(
    VerdictChanged(
        interview_id=INTERVIEW,
        candidacy_id="cand-7",
        revision=1,
        policy_version="v1",
        input_sequence=6,
        input_hash=INTERVIEW_EVENTS[5].chain_hash,
        company=SideVerdict(
            side=Side.COMPANY,
            decision=Decision.UNDECIDED,
            score=None,
            reasons=(_REASON,),
            missing=(GoalId.COMPANY_APPLICATION, GoalId.CANDIDATE_PRESENT),
            perspective=(),
        ),
        candidate=SideVerdict(
            side=Side.CANDIDATE,
            decision=Decision.UNDECIDED,
            score=None,
            reasons=(),
            missing=(GoalId.CANDIDATE_OFFER, GoalId.CANDIDATE_OPPORTUNITY, GoalId.COMPANY_ATTRACT),
            perspective=(),
        ),
        mutual=Mutual.UNDECIDED,
        signals=(
            Signal(
                code="no_candidate_questions",
                message="The candidate asked nothing about the company or role.",
                evidence=(INTERVIEW_EVENTS[5].attributes.id,),
            ),
        ),
        agreement=Agreement(overall=None, split_panel=()),
        final=True,
    ),
    event_id="5d0c6f4e-2d4b-5b8e-9a57-3f0e7c1b2a90",
    subject=INTERVIEW,
    sequence=1,
    prevhash=GENESIS_HASH,
    time=datetime(2026, 3, 2, 9, 0, 7, 250_000, tzinfo=UTC),
    actorid="decision-service",
    actorside=ActorSide.SYSTEM,
    correlationid="corr-1",
    causationid=INTERVIEW_EVENTS[5].attributes.id,
    source=DECISION_SOURCE,
)

ASSESSMENT_V2 = build_event(
    GoalAssessedV2(
        assessment_id="g1",
        assessor="ana",
        assessor_side=Side.COMPANY,
        goal=GoalId.COMPANY_LEVEL,
        rating=Rating.STRONG_YES,
        confidence=Confidence.HIGH,
        evidence=("s1", "a1"),
        note="Diagnosed from first principles — «naïve» fixes rejected.",
    ),
    event_id=INTERVIEW_EVENTS[4].attributes.id,
    subject=INTERVIEW,
    sequence=5,
    prevhash=INTERVIEW_EVENTS[3].chain_hash,
    time=INTERVIEW_EVENTS[4].attributes.time,
    actorid="ana",
    actorside=ActorSide.COMPANY,
    correlationid="corr-1",
    causationid=INTERVIEW_EVENTS[3].attributes.id,
    source=INTERVIEW_EVENTS[4].attributes.source,
)

def _candidacy(policy: str = "candidacy-v1") -> Event:
    """The candidacy revision the candidacy projection publishes for VERDICT as a concluded round."""
    from services.decision.domain.candidacy.revisions import CandidacyState, step
    from services.decision.domain.candidacy.rounds import RoundInput, round_verdict

    a = VERDICT.attributes
    assert isinstance(VERDICT.data, VerdictChanged)
    item = RoundInput(INTERVIEW, "technical", Outcome.COMPLETED, a.id, VERDICT.chain_hash, a.time,
                      a.correlationid, round_verdict(VERDICT.data))  # fmt: skip
    _, event = step(CandidacyState(policy=policy), item)
    assert event is not None
    return event


CANDIDACY = _candidacy()
CANDIDACY_V2 = _candidacy("candidacy-v2")


def _verdict_v2() -> Event:
    """The final revision policy v2 publishes for the sample interview (v2 forced on its v1 history)."""
    from schemas import decode, encode
    from services.decision.domain.replay import project

    history = [decode(r.value, r.headers, r.key) for r in map(encode, INTERVIEW_EVENTS)]
    return project(history, "v2")[-1]


VERDICT_V2 = _verdict_v2()

SAMPLE_KEY = DataKey("c-91f3", "k-sample", bytes(range(32)))
"""The fixed data key of the sealed samples (a test value: golden files must be reproducible)."""


def _sealed(index: int, data: Frozen) -> Event:
    """Sample ``index`` of the stream as the current writer stores it: same envelope, text sealed."""
    old = INTERVIEW_EVENTS[index]
    event = build_event(
        data, event_id=old.attributes.id, subject=INTERVIEW, sequence=index + 1,
        prevhash=old.attributes.prevhash, time=old.attributes.time, actorid=old.attributes.actorid,
        actorside=old.attributes.actorside, correlationid=old.attributes.correlationid,
        causationid=old.attributes.causationid, source=old.attributes.source,
    )  # fmt: skip
    update = {}
    for number, name in enumerate(text_fields(event)):
        text = getattr(data, name).plain
        nonce = bytes([index, number]) * 6  # fixed nonces: never do this outside a test fixture
        ct = AESGCM(SAMPLE_KEY.secret).encrypt(nonce, text.encode(), ad_for(event, name))
        update[name] = SealedText(alg="A256GCM", kid=SAMPLE_KEY.kid, nonce=b64(nonce), ct=b64(ct))
    return event.model_copy(update={"data": data.model_copy(update=update)})


SEALED_EVENTS = [
    _sealed(1, StoryTold(story_id="s1", teller="c-91f3", kind=StoryKind.BUG_HUNT, skills=("kafka", "debugging"),  # noqa: E501
                         title=plain(INTERVIEW_DATA[1].title), summary=plain(INTERVIEW_DATA[1].summary))),  # type: ignore[attr-defined]
    _sealed(2, QuestionAsked(question_id="q1", asker="ana", kind=QuestionKind.CLARIFYING, about="s1",
                             text=plain(INTERVIEW_DATA[2].text))),  # type: ignore[attr-defined]
    _sealed(3, QuestionAnswered(answer_id="a1", question_id="q1", answerer="c-91f3",
                                text=plain(INTERVIEW_DATA[3].text))),  # type: ignore[attr-defined]
    _sealed(4, GoalAssessed(assessment_id="g1", assessor="ana", assessor_side=Side.COMPANY,
                            goal=GoalId.COMPANY_LEVEL, rating=Rating.STRONG_YES, confidence=Confidence.HIGH,
                            evidence=("s1", "a1"), note=plain(INTERVIEW_DATA[4].note))),  # type: ignore[attr-defined]
]  # fmt: skip
"""The story, question, answer and assessment as the current (sealing) writer stores them."""

SAMPLES: dict[str, Event] = {
    event.attributes.type: event
    for event in [
        *INTERVIEW_EVENTS, ASSESSMENT_V2, *SEALED_EVENTS, VERDICT, VERDICT_V2, CANDIDACY, CANDIDACY_V2
    ]
}
"""CloudEvents type -> its fixed sample event."""
