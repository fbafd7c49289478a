"""Two sample interviews fed through the interview service's HTTP API by the main run.

Both open under verdict policy v2 (ADR 0023), named in the command: their verdicts show each side's
confidence and its reasons. The run's other samples name no policy and open under the service's
``INTERVIEW_POLICY_VERSION`` (v1 by default), so ``hiring-audit what-if --policy v2`` has differences
to show on the run's history.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

PARTICIPANTS = [
    {"id": "cand-7", "side": "candidate", "role": "candidate"},
    {"id": "alice", "side": "company", "role": "interviewer"},
    {"id": "bob", "side": "company", "role": "hiring_manager"},
]
OPEN = {
    "candidacy_id": "cy-1",
    "position": "Backend engineer",
    "candidate_id": "cand-7",
    "participants": PARTICIPANTS,
}
OPEN_V2 = OPEN | {"policy_version": "v2"}

Step = tuple[str, str, dict[str, Any]]  # (route, actor, body)


def _ask(qid: str, kind: str, text: str, about: str | None = None) -> dict[str, Any]:
    body = {"question_id": qid, "kind": kind, "text": text}
    return body | ({"about": about} if about else {})


def _assess(aid: str, goal: str, rating: str, *evidence: str) -> dict[str, Any]:
    return {"assessment_id": aid, "goal": goal, "rating": rating, "evidence": list(evidence)}


STORY_FIRST: list[Step] = [
    ("open", "alice", OPEN_V2 | {"round": "technical"}),
    (
        "questions",
        "alice",
        _ask(
            "q1",
            "invite_story",
            "Tell me the most interesting story from your "
            "technical experience that shows you as a professional engineer.",
        ),
    ),
    (
        "stories",
        "cand-7",
        {
            "story_id": "s1",
            "kind": "bug_hunt",
            "title": "The 3 a.m. file-handle leak",
            "summary": "A consumer leaked file handles under rebalances; I traced it with "
            "heap dumps and lsof and fixed the close path.",
            "skills": ["kafka", "python"],
            "in_reply_to": "q1",
        },
    ),
    ("questions", "alice", _ask("q2", "clarifying", "How did you narrow it down?", "s1")),
    ("answers", "cand-7", {"answer_id": "a1", "question_id": "q2", "text": "Heap dumps, then lsof."}),
    ("questions", "bob", _ask("q3", "clarifying", "What would you change in the design now?", "a1")),
    (
        "answers",
        "cand-7",
        {
            "answer_id": "a2",
            "question_id": "q3",
            "text": "Own the consumer lifecycle in one place and test rebalances.",
        },
    ),
    ("questions", "cand-7", _ask("q4", "about_company", "How do you run on-call?")),
    ("answers", "alice", {"answer_id": "a3", "question_id": "q4", "text": "A week per quarter, paid."}),
    ("questions", "cand-7", _ask("q5", "about_role", "What would I own in the first six months?")),
    ("answers", "bob", {"answer_id": "a4", "question_id": "q5", "text": "The event pipeline."}),
    ("assessments", "alice", _assess("g1", "company.level", "strong_yes", "s1", "a1")),
    ("assessments", "bob", _assess("g2", "company.level", "yes", "a2")),
    ("assessments", "alice", _assess("g3", "company.application", "yes", "a1", "a2")),
    ("assessments", "bob", _assess("g4", "candidate.present", "strong_yes", "s1")),
    ("assessments", "cand-7", _assess("g5", "candidate.offer", "yes", "a3")),
    ("assessments", "cand-7", _assess("g6", "candidate.opportunity", "strong_yes", "a4")),
    ("assessments", "cand-7", _assess("g7", "company.attract", "yes", "a3", "a4")),
    ("conclusion", "alice", {"outcome": "completed"}),
]

_SCRIPTED = [
    "Explain the CAP theorem.",
    "What is a B-tree?",
    "Reverse a linked list.",
    "What does HTTP 418 mean?",
    "Name the SOLID principles.",
]
CHECKLIST: list[Step] = [
    ("open", "alice", OPEN_V2 | {"round": "screen"}),
    *[
        step
        for n, text in enumerate(_SCRIPTED, 1)
        for step in (
            ("questions", "alice", _ask(f"q{n}", "scripted", text)),
            (
                "answers",
                "cand-7",
                {"answer_id": f"a{n}", "question_id": f"q{n}", "text": "A textbook answer."},
            ),
        )
    ],
    ("questions", "bob", _ask("q6", "challenge", "Why should we not hire you?")),
    ("answers", "cand-7", {"answer_id": "a6", "question_id": "q6", "text": "Hmm."}),
    ("assessments", "alice", _assess("g1", "company.level", "no", "a1", "a3")),
    ("assessments", "alice", _assess("g2", "company.application", "no", "a2")),
    ("assessments", "bob", _assess("g3", "candidate.present", "yes", "a6")),
    ("assessments", "cand-7", _assess("g4", "candidate.offer", "no", "q6")),
    ("assessments", "cand-7", _assess("g5", "candidate.opportunity", "no", "q1")),
    ("assessments", "cand-7", _assess("g6", "company.attract", "strong_no", "q6")),
    ("conclusion", "alice", {"outcome": "completed"}),
]


@dataclass
class FedInterview:
    """An interview fed through the API: its id and the event ids appended."""

    interview_id: str
    version: int = 0
    event_ids: list[str] = field(default_factory=list)


def role_of(route: str, actor: str) -> str:
    """The role a sample step's actor acts as: opening is a recruiter's; then their side's role."""
    if route == "open":
        return "recruiter"
    sides = {p["id"]: p["side"] for p in PARTICIPANTS}
    return "candidate" if sides.get(actor) == "candidate" else "interviewer"


Tokens = Callable[[str, str], str]
"""(role, subject) -> a bearer token."""


async def feed(
    http: httpx.AsyncClient, interview_id: str, steps: list[Step], tokens: Tokens | None = None
) -> FedInterview:
    """Send each step as one HTTP command with the version the previous answer gave.

    With ``tokens``, each step carries its actor's own token (the actor acts as themselves); without,
    the client's default headers must authenticate (e.g. a service token acting for each actor).
    """
    fed = FedInterview(interview_id)
    for n, (route, actor, body) in enumerate(steps, 1):
        payload = {"actor_id": actor, "expected_version": fed.version} | body
        headers = {"Idempotency-Key": f"{interview_id}-{n}"}
        if tokens is not None:
            headers["Authorization"] = f"Bearer {tokens(role_of(route, actor), actor)}"
        response = await http.post(f"/interviews/{interview_id}/{route}", json=payload, headers=headers)
        if response.status_code != 201:
            raise RuntimeError(f"{interview_id} step {n} ({route}) refused: {response.text}")
        answer = response.json()
        fed.version = answer["version"]
        fed.event_ids.extend(answer["event_ids"])
    return fed
